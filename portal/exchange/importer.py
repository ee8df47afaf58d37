"""Importing record files: read, check everything, then apply in one transaction.

The plan compares each item in the files with what the database holds (both in the canonical
form of ``serialize``): new items are created, changed ones updated (a record gets a new
revision), identical ones left alone, so importing the same files twice changes nothing.
"""

import sys
import uuid as uuid_lib
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from portal import audit
from portal.exchange import files as record_files
from portal.exchange.serialize import (
    KIND_FIELDS,
    crosswalk_to_dict,
    normalize,
    record_to_dict,
    sharing_to_dict,
    term_to_dict,
    with_defaults,
    with_sharing_default,
)
from portal.exchange.site import ensure_site_structure
from portal.exchange.validate import TERM_SECTIONS, Catalogue, Checker, schema_problems
from portal.models import TERM_MODELS, AuditEntry, CrossLink, ExternalIdentifier, RecordPage, Topic
from portal.text import anchor

TERM_KEY = {"jurisdictions": "code", "languages": "code"}


def _provision_model():
    return apps.get_model("frameworks", "Provision")


def _crosswalk_models():
    return apps.get_model("frameworks", "Crosswalk"), apps.get_model("frameworks", "CrosswalkMapping")


class DatabaseIndex:
    """Looks up what already exists, for references the files do not define themselves."""

    def term(self, section, key):
        model = TERM_MODELS[section]
        return model.objects.filter(**{TERM_KEY.get(section, "slug"): key}).first()

    def record(self, kind, slug):
        model = RecordPage.kind_models().get(kind)
        return model.objects.filter(slug=slug).first() if model else None

    def record_by_uuid(self, value):
        try:
            key = uuid_lib.UUID(str(value))
        except ValueError:
            return None
        page = RecordPage.objects.filter(translation_key=key).first()
        return page.specific if page else None

    def users(self, usernames):
        User = get_user_model()
        return list(User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames}))

    def provision_codes(self, slug):
        page = self.record("framework", slug)
        return list(page.provisions.values_list("code", flat=True)) if page else []


@dataclass
class Change:
    action: str  # "create", "update" or "unchanged"
    label: str
    fields: list = field(default_factory=list)

    def __str__(self):
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.action:9} {self.label}{detail}"


class Importer:
    def __init__(self, paths, progress=None, create_only=False):
        self.paths = paths
        #: Only add what is missing; never change existing items (used for demo data, so that
        #: editors' changes survive ``make run``).
        self.create_only = create_only
        self.progress = progress or (lambda done, total, label: None)
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
        for section in TERM_SECTIONS:
            for key, (_, _, item) in sorted(self.catalogue.terms[section].items()):
                existing = self.db.term(section, key)
                wanted = normalize(item)
                label = f"{section[:-1]} {key}"
                if existing is None:
                    self.changes.append(Change("create", label))
                else:
                    self.changes.append(self._diff(label, term_to_dict(existing, section), wanted))
        for (kind, slug), (_, _, record) in sorted(self.catalogue.records.items()):
            page = self._existing_record(kind, slug, record.get("uuid"))
            label = f"{kind} {slug}"
            if page is None:
                self.changes.append(Change("create", label))
            else:
                current = record_to_dict(page, self._content(page))
                wanted = normalize(
                    dict(
                        record,
                        uuid=record.get("uuid") or current["uuid"],
                        published=record.get("published", True),
                        **{kind: with_defaults(kind, record.get(kind))},
                    )
                )
                self.changes.append(self._diff(label, current, wanted))
        for slug, (_, _, crosswalk) in sorted(self.catalogue.crosswalks.items()):
            Crosswalk, _ = _crosswalk_models()
            existing = Crosswalk.objects.filter(slug=slug).first()
            label = f"crosswalk {slug}"
            if existing is None:
                self.changes.append(Change("create", label))
            else:
                self.changes.append(self._diff(label, crosswalk_to_dict(existing), normalize(crosswalk)))
        return self.changes

    def _diff(self, label, current, wanted):
        keys = sorted(k for k in set(current) | set(wanted) if current.get(k) != wanted.get(k))
        if keys and not self.create_only:
            return Change("update", label, keys)
        return Change("unchanged", label)

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
        todo = {c.label for c in self.changes if c.action != "unchanged"}
        self._apply_terms(todo)
        indexes = ensure_site_structure()
        pages = {}
        records = sorted(self.catalogue.records.items())
        for (kind, slug), (_, _, record) in records:
            page = self._existing_record(kind, slug, record.get("uuid"))
            if page is None:
                page = self._create_stub(indexes[kind], kind, record)
            pages[(kind, slug)] = page
            if f"{kind} {slug}" in todo and kind == "framework":
                self._sync_provisions(page, (record.get("framework") or {}).get("provisions") or [])
        changed = [(key, entry) for key, entry in records if f"{key[0]} {key[1]}" in todo]
        sharing_changed = {c.label for c in self.changes if c.action == "update" and "sharing" in c.fields}
        for done, ((kind, slug), (_, _, record)) in enumerate(changed, start=1):
            page = pages[(kind, slug)]
            before = sharing_to_dict(page) if f"{kind} {slug}" in sharing_changed else None
            with audit.sharing_recorded_by_caller():
                self._save_record(page, record)
            if before is not None:
                audit.record(
                    AuditEntry.Action.SHARING_CHANGED,
                    target=f"{kind} {page.uuid} {record['title']}",
                    via="import_records",
                    before=before,
                    after=with_sharing_default(record)["sharing"],
                )
            self.progress(done, len(changed), f"{kind} {slug}")
        self._apply_crosswalks(todo)
        if todo:
            refresh_statistics()

    def _apply_terms(self, todo):
        for section in TERM_SECTIONS:
            model = TERM_MODELS[section]
            key_field = TERM_KEY.get(section, "slug")
            for key, (_, _, item) in sorted(self.catalogue.terms[section].items()):
                if f"{section[:-1]} {key}" not in todo:
                    continue
                term = model.objects.filter(**{key_field: key}).first() or model(**{key_field: key})
                term.slug, term.name = item["slug"], item["name"]
                term.description = item.get("description") or ""
                if section in ("jurisdictions", "languages"):
                    term.code = item["code"]
                if section == "organisations":
                    term.acronym = item.get("acronym") or ""
                    term.website = item.get("website") or ""
                    code = item.get("jurisdiction")
                    term.jurisdiction = self.db.term("jurisdictions", code) if code else None
                if section == "topics":
                    term.parent = None if term.pk is None else term.parent
                term.save()
        # Parents last, once every topic exists.
        for key, (_, _, item) in self.catalogue.terms["topics"].items():
            if f"topic {key}" in todo:
                Topic.objects.filter(slug=key).update(
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

    def _sync_provisions(self, page, items):
        Provision = _provision_model()
        existing = {anchor(p.code): p for p in Provision.objects.filter(framework=page)}
        for position, item in enumerate(items):
            provision = existing.pop(anchor(item["code"]), None) or Provision(framework=page)
            provision.code = str(item["code"])
            provision.title = item.get("title") or ""
            provision.text = item.get("text") or ""
            provision.level = item.get("level", 1)
            provision.provision_type = item.get("type") or "other"
            provision.sort_order = position
            provision.save()
        for provision in existing.values():
            provision.delete()

    def _save_record(self, page, record):
        kind = page.record_kind
        content = self._content(page)
        content.title, content.slug = record["title"], record["slug"]
        content.draft_title = record["title"]
        content.summary = record["summary"]
        content.publication_date = record["publication_date"]
        content.source_url = record.get("source_url") or ""
        content.body = [{"type": b["type"], "value": b["value"]} for b in record.get("body") or []]
        for section in TERM_SECTIONS:
            getattr(content, section).set([self.db.term(section, key) for key in record.get(section) or []])
        content.tags.set(record.get("tags") or [])
        content.external_ids = [
            ExternalIdentifier(scheme=i["scheme"], value=i["value"]) for i in record.get("identifiers") or []
        ]
        content.links = [self._link(link) for link in record.get("links") or []]
        sharing = with_sharing_default(record)["sharing"]
        content.sharing_level = sharing["level"]
        content.owning_organisation = self.db.term("organisations", sharing["owner"]) if sharing.get("owner") else None
        content.shared_with_organisations.set(
            [self.db.term("organisations", slug) for slug in sharing.get("organisations") or []]
        )
        content.shared_with_people.set(self.db.users(sharing.get("people") or []))
        fields = with_defaults(kind, record.get(kind))
        for key, kind_of in KIND_FIELDS[kind].items():
            value = fields.get(key)
            if kind_of == "lines":
                value = "\n".join(value or [])
            elif kind_of == "org":
                value = self.db.term("organisations", value) if value else None
            setattr(content, key, value)
        if kind == "framework":
            content.provisions = list(_provision_model().objects.filter(framework=page).order_by("sort_order"))
        revision = content.save_revision(log_action=True, clean=True)
        if record.get("published", True):
            revision.publish()
        elif page.live:
            page.unpublish()

    def _link(self, link):
        target = link["target"]
        page = self.db.record(target["kind"], target["slug"])
        provision = None
        if target.get("provision") is not None:
            provision = next((p for p in page.provisions.all() if anchor(p.code) == anchor(target["provision"])), None)
        return CrossLink(
            link_type=link["type"], target_id=page.pk, target_provision=provision, note=link.get("note") or ""
        )

    def _apply_crosswalks(self, todo):
        Crosswalk, Mapping = _crosswalk_models()
        for slug, (_, _, item) in sorted(self.catalogue.crosswalks.items()):
            if f"crosswalk {slug}" not in todo:
                continue
            source, target = (
                self.db.record("framework", item["source"]),
                self.db.record("framework", item["target"]),
            )
            crosswalk = Crosswalk.objects.filter(slug=slug).first() or Crosswalk(slug=slug)
            crosswalk.title = item["title"]
            crosswalk.source_framework, crosswalk.target_framework = source, target
            crosswalk.description = item.get("description") or ""
            crosswalk.source_title = item.get("source_title") or ""
            crosswalk.source_url = item.get("source_url") or ""
            crosswalk.save()
            left = {anchor(p.code): p for p in source.provisions.all()}
            right = {anchor(p.code): p for p in target.provisions.all()}
            Mapping.objects.filter(crosswalk=crosswalk).delete()
            for position, mapping in enumerate(item.get("mappings") or []):
                Mapping.objects.create(
                    crosswalk=crosswalk,
                    sort_order=position,
                    source_provision=left[anchor(mapping["source"])],
                    target_provision=right[anchor(mapping["target"])],
                    relation=mapping.get("relation") or "related",
                    note=mapping.get("note") or "",
                    source=mapping.get("source_ref") or "",
                )


def refresh_statistics():
    """Have the database measure its tables again (``ANALYZE``), after a bulk load (every import
    that writes something: the commands, the admin's import, ``load_demo``). Without
    statistics SQLite takes every table to be the same size, and may walk all 10,000 records to
    find the 1,000 frameworks of the compare picker (7 ms, against 1 ms with them). PostgreSQL
    measures on its own in the background; here it does so at once."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def stderr_progress(done, total, label):
    """A one-line progress bar on a terminal; a line per 10% when the output is a log."""
    if sys.stderr.isatty():
        filled = int(30 * done / total)
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {label[:50]:<50}")
        if done == total:
            sys.stderr.write("\n")
    elif done == total or done % max(1, total // 10) == 0:
        sys.stderr.write(f"  {done}/{total} records saved\n")
    sys.stderr.flush()
