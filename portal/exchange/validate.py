"""Checks a whole set of record files before anything is written.

Every problem is reported with its file, line and place in the file; the import only starts
when there are none. The checks of a kind's own fields, its provisions and sections such as
crosswalks are the apps' (``kinds``); they report through the ``Checker`` they are given.
"""

import datetime
import json
import re
from pathlib import Path

from django.conf import settings

from portal.exchange import FORMAT, FORMATS, kinds
from portal.exchange.catalogue import where_text
from portal.exchange.files import Problem
from portal.exchange.keys import RecordKey
from portal.exchange.serialize import TAXONOMY_LAYOUT, in_layout
from portal.models.identifiers import DOI_PATTERN
from portal.models.links import LinkType
from portal.models.taxonomy import BCP47, JURISDICTION_CODE
from portal.text import anchor, as_date

SCHEMA_FOLDER = Path(settings.BASE_DIR) / "data" / "schema"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def schema_problems(documents):
    """Shape errors (unknown keys, wrong types, bad enums) against the JSON Schema of each file's
    format (the current format's for a file of no known format)."""
    import jsonschema

    validators = {}
    problems = []
    for doc in documents:
        name = FORMATS.get(doc.data.get("format") if isinstance(doc.data, dict) else None, FORMATS[FORMAT])
        if not (SCHEMA_FOLDER / name).exists():
            continue
        if name not in validators:
            schema = json.loads((SCHEMA_FOLDER / name).read_text())
            validators[name] = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        validator = validators[name]
        data = json.loads(json.dumps(doc.data, default=_json_default))
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            where = tuple(error.absolute_path)
            problems.append(Problem(doc.path, where_text(where), error.message, doc.line(*where)))
    return problems


def _json_default(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


class Checker:
    """Meaning checks the schema cannot express: references resolve, codes are unique, dates are in order.

    The apps' checks (``kinds``) call ``problem``, ``check_date``, ``check_order``,
    ``term_exists``, ``record_exists`` and ``provision_codes``.
    """

    def __init__(self, catalogue, database):
        self.cat = catalogue
        self.db = database  # a portal.exchange.database.DatabaseIndex

    def problem(self, doc, where, message):
        self.cat.problem(doc, where, message)

    def run(self):
        for relation in in_layout(TAXONOMY_LAYOUT):
            for key, entry in self.cat.terms[relation.relation].items():
                self.check_term(relation.relation, key.value, *entry)
        uuids = {}
        for key, (doc, where, record) in self.cat.records.items():
            kind, slug = key.kind, key.slug
            self.check_record(kind, slug, doc, where, record)
            uuid = record.get("uuid")
            if uuid:
                if uuid in uuids:
                    self.problem(doc, where + ("uuid",), f"uuid {uuid} is also used by {uuids[uuid]}")
                uuids[uuid] = key.quoted()
                owner = self.db.record_by_uuid(uuid)
                if owner and (owner.record_kind, owner.slug) != (kind, slug) and self.db.record(kind, slug):
                    self.problem(
                        doc,
                        where + ("slug",),
                        f"'{slug}' already belongs to another {kind} than the one with uuid {uuid}",
                    )
        for name, section in kinds.sections().items():
            for doc, where, item in self.cat.sections[name].values():
                section.check(self, doc, where, item)
        return self.cat.problems

    # -- terms -----------------------------------------------------------------
    def term_exists(self, relation, key):
        return self.cat.has_term(relation, key) or self.db.term(relation, key) is not None

    def check_term(self, relation, key, doc, where, item):
        slug = item.get("slug")
        if not slug or not SLUG.match(str(slug)):
            self.problem(doc, where + ("slug",), "a slug of lower-case letters, digits and hyphens is required")
        if not item.get("name"):
            self.problem(doc, where + ("name",), "a name is required")
        if relation == "jurisdictions" and not JURISDICTION_CODE.match(str(key or "")):
            self.problem(doc, where + ("code",), f"'{key}' is not an ISO 3166-1 alpha-2 code, EU or INT")
        if relation == "languages" and not BCP47.match(str(key or "")):
            self.problem(doc, where + ("code",), f"'{key}' is not a BCP 47 language tag such as en or zh-Hans")
        if relation == "topics" and item.get("parent"):
            parent, seen = item.get("parent"), {slug}
            if not self.term_exists("topics", parent):
                self.problem(doc, where + ("parent",), f"there is no topic '{parent}'")
            while self.cat.has_term("topics", parent):
                if parent in seen:
                    self.problem(doc, where + ("parent",), "topics form a loop through their parents")
                    break
                seen.add(parent)
                parent = self.cat.term("topics", parent).get("parent")
        if relation == "organisations" and item.get("jurisdiction"):
            if not self.term_exists("jurisdictions", item["jurisdiction"]):
                self.problem(doc, where + ("jurisdiction",), f"there is no jurisdiction '{item['jurisdiction']}'")

    # -- records ---------------------------------------------------------------
    def check_record(self, kind, slug, doc, where, record):
        registered = kinds.registered()
        if kind not in registered:
            self.problem(doc, where + ("kind",), f"kind must be one of {', '.join(registered)}, not '{kind}'")
            return
        if not slug or not SLUG.match(str(slug)):
            self.problem(doc, where + ("slug",), "a slug of lower-case letters, digits and hyphens is required")
        for key in ("title", "summary", "publication_date"):
            if not record.get(key):
                self.problem(doc, where + (key,), f"{key.replace('_', ' ')} is required")
        self.check_date(doc, where + ("publication_date",), record.get("publication_date"))
        for relation in in_layout(TAXONOMY_LAYOUT):
            section = relation.relation
            for i, key in enumerate(record.get(section) or []):
                if not self.term_exists(section, key):
                    self.problem(doc, where + (section, i), f"there is no {relation.facet} '{key}'")
        for i, identifier in enumerate(record.get("identifiers") or []):
            if isinstance(identifier, dict) and identifier.get("scheme") == "doi":
                if not DOI_PATTERN.match(str(identifier.get("value", ""))):
                    self.problem(doc, where + ("identifiers", i, "value"), "this is not a DOI (10.xxxx/...)")
        self.check_sharing(doc, where + ("sharing",), record.get("sharing") or {})
        self.check_kind_fields(registered[kind], doc, where + (kind,), record.get(kind) or {})
        self.check_links(kind, slug, doc, where, record.get("links") or [])

    def check_kind_fields(self, exchange, doc, where, fields):
        """A kind's own fields: organisations exist, dates are dates and in order, then the app's checks."""
        for key, kind_of in exchange.fields.items():
            if kind_of == "org" and fields.get(key) and not self.term_exists("organisations", fields[key]):
                self.problem(doc, where + (key,), f"there is no organisation '{fields[key]}'")
        dates_in_order = {key for pair in exchange.date_order for key in pair}
        for key, kind_of in exchange.fields.items():
            if kind_of == "date" and key not in dates_in_order:
                self.check_date(doc, where + (key,), fields.get(key))
        for start, end in exchange.date_order:
            self.check_order(doc, where, fields, start, end)
        if exchange.provisions:
            exchange.provisions.check(self, doc, where, fields.get("provisions") or [])
        if exchange.check:
            exchange.check(self, doc, where, fields)

    def check_sharing(self, doc, where, sharing):
        if sharing.get("owner") and not self.term_exists("organisations", sharing["owner"]):
            self.problem(doc, where + ("owner",), f"there is no organisation '{sharing['owner']}'")
        for i, slug in enumerate(sharing.get("organisations") or []):
            if not self.term_exists("organisations", slug):
                self.problem(doc, where + ("organisations", i), f"there is no organisation '{slug}'")
        people = sharing.get("people") or []
        found = {user.get_username() for user in self.db.users(people)}
        for i, name in enumerate(people):
            if name not in found:
                self.problem(doc, where + ("people", i), f"there is no user '{name}' on this portal")

    def check_order(self, doc, where, fields, start, end):
        first = self.check_date(doc, where + (start,), fields.get(start))
        last = self.check_date(doc, where + (end,), fields.get(end))
        if first and last and last < first:
            self.problem(
                doc,
                where + (end,),
                f"{end.replace('_', ' ')} {last} is before {start.replace('_', ' ')} {first}",
            )

    def check_date(self, doc, where, value):
        try:
            return as_date(value)
        except ValueError:
            self.problem(doc, where, f"'{value}' is not a date in the form YYYY-MM-DD")
            return None

    # -- references ------------------------------------------------------------
    def provision_codes(self, kind, slug):
        """Anchors of the provision codes of the ``kind`` record ``slug``: from the files, else the
        database; None if records of ``kind`` hold no provisions."""
        provisions = kinds.get(kind).provisions if kind in kinds.registered() else None
        if provisions is None:
            return None
        record = self.cat.record(kind, slug)
        if record is not None:
            return {anchor(code) for code in provisions.codes_in_file(record.get(kind) or {})}
        page = self.db.record(kind, slug)
        return {anchor(p.code) for p in provisions.stored(page)} if page else set()

    def record_exists(self, kind, slug):
        return RecordKey(kind, slug) in self.cat.records or self.db.record(kind, slug) is not None

    def check_links(self, kind, slug, doc, where, links):
        seen = set()
        for i, link in enumerate(links):
            if not isinstance(link, dict):
                continue
            here = where + ("links", i)
            if link.get("type") not in LinkType.values:
                self.problem(doc, here + ("type",), f"link type must be one of {', '.join(LinkType.values)}")
            target = link.get("target") or {}
            key = (target.get("kind"), target.get("slug"))
            if not self.record_exists(*key):
                self.problem(doc, here + ("target",), f"there is no {key[0]} '{key[1]}'")
                continue
            if key == (kind, slug):
                self.problem(doc, here + ("target",), "a record cannot link to itself")
            provision = target.get("provision")
            if provision is not None:
                codes = self.provision_codes(*key)
                if codes is None:
                    holders = " and ".join(k.plural for k in kinds.with_provisions()) or "no records"
                    self.problem(doc, here + ("target", "provision"), f"only {holders} have provisions")
                elif anchor(provision) not in codes:
                    self.problem(
                        doc,
                        here + ("target", "provision"),
                        f"{key[0]} '{key[1]}' has no provision '{provision}'",
                    )
            identity = (link.get("type"), key, provision)
            if identity in seen:
                self.problem(doc, here, "this link is listed twice")
            seen.add(identity)
