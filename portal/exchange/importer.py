"""Importing record files: read, check everything, then apply in one transaction.

The plan compares each item in the files with what the database holds (both in the canonical
form of ``serialize``): new items are created, changed ones updated (a record gets a new
revision), identical ones left alone, so importing the same files twice changes nothing. The
plan names each item by its key (``keys``), and the apply step writes the items whose keys the
plan marked as to create or update.
"""

import uuid as uuid_lib

from django.db import connection, transaction

from portal import audit
from portal.exchange import files as record_files
from portal.exchange import kinds
from portal.exchange.catalogue import Catalogue
from portal.exchange.database import DatabaseIndex
from portal.exchange.keys import Change
from portal.exchange.serialize import (
    TAXONOMY_LAYOUT,
    body_blocks,
    in_layout,
    normalize,
    record_to_dict,
    sharing_to_dict,
    term_to_dict,
    with_defaults,
    with_sharing_default,
)
from portal.exchange.site import ensure_site_structure
from portal.exchange.validate import Checker, schema_problems
from portal.models import AuditEntry, CrossLink, ExternalIdentifier, RecordPage, Topic
from portal.search.progress import Progress
from portal.text import anchor


class Importer:
    def __init__(self, paths, progress=None, create_only=False):
        self.paths = paths
        #: Only add what is missing; never change existing items (used for demo data, so that
        #: editors' changes survive ``make run``).
        self.create_only = create_only
        #: Where to show the progress of saving records (an OutputWrapper), or None.
        self.progress = progress
        self.db = DatabaseIndex()
        self.problems, self.changes = [], []
        self.documents, self.catalogue = [], None

    # -- reading and checking ----------------------------------------------------
    def check(self):
        """Read and check every file. Returns the list of problems (empty when the import can run)."""
        found, missing = record_files.expand(self.paths)
        self.problems = [record_files.Problem(name, "", "no such file or folder") for name in missing]
        if not found and not missing:
            self.problems.append(
                record_files.Problem(", ".join(map(str, self.paths)), "", "holds no .yaml, .yml or .json files")
            )
        for path in found:
            document, problems = record_files.read(path)
            self.problems.extend(problems)
            if document:
                self.documents.append(document)
        shape = schema_problems(self.documents)
        self.problems.extend(shape)
        if shape:
            return self.problems
        self.catalogue = Catalogue(self.documents).collect()
        self.problems.extend(Checker(self.catalogue, self.db).run())
        return self.problems

    # -- planning ----------------------------------------------------------------
    def plan(self):
        """What the import would do, as a list of ``Change`` (computed without writing)."""
        self.changes = []
        for relation in in_layout(TAXONOMY_LAYOUT):
            for key, (_, _, item) in sorted(self.catalogue.terms[relation.relation].items()):
                existing = self.db.term(key.relation, key.value)
                if existing is None:
                    self.changes.append(Change("create", key))
                else:
                    self.changes.append(self._diff(key, term_to_dict(existing, key.relation), normalize(item)))
        for key, (_, _, record) in sorted(self.catalogue.records.items()):
            page = self._existing_record(key.kind, key.slug, record.get("uuid"))
            if page is None:
                self.changes.append(Change("create", key))
            else:
                current = record_to_dict(page, self._content(page))
                wanted = normalize(
                    dict(
                        with_sharing_default(record),
                        uuid=record.get("uuid") or current["uuid"],
                        body=body_blocks(record.get("body")),
                        published=record.get("published", True),
                        **{key.kind: with_defaults(key.kind, record.get(key.kind))},
                    )
                )
                self.changes.append(self._diff(key, current, wanted))
        for name, section in kinds.sections().items():
            for key, (_, _, item) in sorted(self.catalogue.sections[name].items()):
                stored = section.stored(key.slug)
                if stored is None:
                    self.changes.append(Change("create", key))
                else:
                    self.changes.append(self._diff(key, stored, normalize(item)))
        return self.changes

    def _diff(self, key, current, wanted):
        keys = sorted(k for k in set(current) | set(wanted) if current.get(k) != wanted.get(k))
        if keys and not self.create_only:
            return Change("update", key, keys)
        return Change("unchanged", key)

    def _existing_record(self, kind, slug, uuid):
        if uuid:
            page = self.db.record_by_uuid(uuid)
            if page is not None:
                return page
        return self.db.record(kind, slug)

    @staticmethod
    def _content(page):
        """The version of a record that an export shows: live content, or the latest draft."""
        if page.live or not page.latest_revision_id:
            return page
        return page.get_latest_revision_as_object()

    # -- applying ----------------------------------------------------------------
    @transaction.atomic
    def apply(self):
        """Write the planned changes. Call ``check()`` and ``plan()`` first."""
        todo = {c.key for c in self.changes if c.action != "unchanged"}
        self._apply_terms(todo)
        indexes = ensure_site_structure()
        pages = {}
        records = sorted(self.catalogue.records.items())
        for key, (_, _, record) in records:
            page = self._existing_record(key.kind, key.slug, record.get("uuid"))
            if page is None:
                page = self._create_stub(indexes[key.kind], key.kind, record)
            pages[key] = page
            provisions = kinds.get(key.kind).provisions
            if key in todo and provisions:
                provisions.write(page, (record.get(key.kind) or {}).get("provisions") or [])
        changed = [(key, entry) for key, entry in records if key in todo]
        sharing_changed = {c.key for c in self.changes if c.action == "update" and "sharing" in c.fields}
        progress = Progress(self.progress, "Saving records", len(changed)) if changed else None
        for key, (_, _, record) in changed:
            page = pages[key]
            before = sharing_to_dict(page) if key in sharing_changed else None
            with audit.sharing_recorded_by_caller():
                self._save_record(page, record)
            if before is not None:
                audit.record(
                    AuditEntry.Action.SHARING_CHANGED,
                    target=f"{key.kind} {page.uuid} {record['title']}",
                    via="import_records",
                    before=before,
                    after=with_sharing_default(record)["sharing"],
                )
            progress.advance(1)
        if progress:
            progress.finish()
        for name, section in kinds.sections().items():
            for key, (_, _, item) in sorted(self.catalogue.sections[name].items()):
                if key in todo:
                    section.save(key.slug, item, self.db)
        if todo:
            refresh_statistics()

    def _apply_terms(self, todo):
        for relation in in_layout(TAXONOMY_LAYOUT):
            for key, (_, _, item) in sorted(self.catalogue.terms[relation.relation].items()):
                if key not in todo:
                    continue
                term = self.db.term(key.relation, key.value) or relation.model(**{relation.key: key.value})
                term.slug, term.name = item["slug"], item["name"]
                term.description = item.get("description") or ""
                if relation.key == "code":
                    term.code = item["code"]
                if relation.relation == "organisations":
                    term.acronym = item.get("acronym") or ""
                    term.website = item.get("website") or ""
                    code = item.get("jurisdiction")
                    term.jurisdiction = self.db.term("jurisdictions", code) if code else None
                if relation.relation == "topics":
                    term.parent = None if term.pk is None else term.parent
                term.save()
        # Parents last, once every topic exists.
        for key, (_, _, item) in self.catalogue.terms["topics"].items():
            if key in todo:
                Topic.objects.filter(slug=key.value).update(
                    parent=self.db.term("topics", item.get("parent")) if item.get("parent") else None
                )

    def _create_stub(self, parent, kind, record):
        model = RecordPage.kind_models()[kind]
        page = model(
            title=record["title"],
            slug=record["slug"],
            summary=record["summary"],
            publication_date=record["publication_date"],
            live=False,
            translation_key=uuid_lib.UUID(str(record["uuid"])) if record.get("uuid") else uuid_lib.uuid4(),
        )
        parent.add_child(instance=page)
        return page

    def _save_record(self, page, record):
        kind = page.record_kind
        exchange = kinds.get(kind)
        content = self._content(page)
        content.title, content.slug = record["title"], record["slug"]
        content.draft_title = record["title"]
        content.summary = record["summary"]
        content.publication_date = record["publication_date"]
        content.source_url = record.get("source_url") or ""
        content.body = body_blocks(record.get("body"))
        for relation in in_layout(TAXONOMY_LAYOUT):
            section = relation.relation
            getattr(content, section).set([self.db.term(section, key) for key in record.get(section) or []])
        content.tags.set(record.get("tags") or [])
        content.external_ids = [
            ExternalIdentifier(scheme=i["scheme"], value=i["value"]) for i in record.get("identifiers") or []
        ]
        # In file order: without a sort_order two links came back in any order on PostgreSQL, and a
        # second import of the same file saw a change.
        content.links = [self._link(link, position) for position, link in enumerate(record.get("links") or [])]
        sharing = with_sharing_default(record)["sharing"]
        content.sharing_level = sharing["level"]
        content.owning_organisation = self.db.term("organisations", sharing["owner"]) if sharing.get("owner") else None
        content.shared_with_organisations.set(
            [self.db.term("organisations", slug) for slug in sharing.get("organisations") or []]
        )
        content.shared_with_people.set(self.db.users(sharing.get("people") or []))
        fields = with_defaults(kind, record.get(kind))
        for key, kind_of in exchange.fields.items():
            value = fields.get(key)
            if kind_of == "lines":
                value = "\n".join(value or [])
            elif kind_of == "org":
                value = self.db.term("organisations", value) if value else None
            setattr(content, key, value)
        if exchange.provisions:
            exchange.provisions.attach(content, page)
        for part in exchange.parts:
            part.attach(content, fields.get(part.name) or [])
        revision = content.save_revision(log_action=True, clean=True)
        if record.get("published", True):
            revision.publish()
        elif page.live:
            page.unpublish()

    def _link(self, link, position=0):
        target = link["target"]
        page = self.db.record(target["kind"], target["slug"])
        provision = None
        if target.get("provision") is not None:
            stored = kinds.get(target["kind"]).provisions.stored(page)
            provision = next((p for p in stored if anchor(p.code) == anchor(target["provision"])), None)
        return CrossLink(
            link_type=link["type"],
            target_id=page.pk,
            target_provision=provision,
            note=link.get("note") or "",
            sort_order=position,
        )


def refresh_statistics():
    """Have the database measure its tables again (``ANALYZE``), after a bulk load (every import
    that writes something: the commands, the admin's import, ``load_demo``). Without
    statistics SQLite takes every table to be the same size and may choose a slow plan (a
    full scan of the records to find one kind; docs/performance.md). PostgreSQL measures on
    its own in the background; here it does so at once."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
