"""Checks a whole set of record files before anything is written.

Every problem is reported with its file, line and place in the file; the import only starts
when there are none.
"""

import datetime
import json
import re
from pathlib import Path

from django.conf import settings

from portal.exchange import FORMAT
from portal.exchange.files import Problem
from portal.exchange.serialize import KIND_FIELDS
from portal.models.links import LinkType
from portal.models.identifiers import DOI_PATTERN
from portal.models.taxonomy import BCP47, JURISDICTION_CODE
from portal.text import anchor

SCHEMA_PATH = Path(settings.BASE_DIR) / "data" / "schema" / "records.schema.json"
TERM_SECTIONS = ("topics", "sectors", "jurisdictions", "organisations", "languages")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Catalogue:
    """Everything the files define, by key, with where each item was defined."""

    def __init__(self, documents):
        self.documents = documents
        self.terms = {section: {} for section in TERM_SECTIONS}  # section -> key -> (doc, where, item)
        self.records = {}  # (kind, slug) -> (doc, where, record)
        self.crosswalks = {}  # slug -> (doc, where, crosswalk)
        self.problems = []

    def problem(self, doc, where, message):
        self.problems.append(Problem(doc.path, _where(where), message, doc.line(*where)))

    def collect(self):
        for doc in self.documents:
            if doc.data.get("format") != FORMAT:
                self.problem(doc, ("format",), f"the file must start with 'format: {FORMAT}'")
                continue
            for section in TERM_SECTIONS:
                for i, item in enumerate(doc.data.get(section) or []):
                    if not isinstance(item, dict):
                        continue
                    key = item.get("code") if section in ("jurisdictions", "languages") else item.get("slug")
                    self._add(self.terms[section], key, doc, (section, i), item, f"{section[:-1]} '{key}'")
            for i, record in enumerate(doc.data.get("records") or []):
                if isinstance(record, dict):
                    key = (record.get("kind"), record.get("slug"))
                    self._add(self.records, key, doc, ("records", i), record, f"{key[0]} '{key[1]}'")
            for i, crosswalk in enumerate(doc.data.get("crosswalks") or []):
                if isinstance(crosswalk, dict):
                    key = crosswalk.get("slug")
                    self._add(self.crosswalks, key, doc, ("crosswalks", i), crosswalk, f"crosswalk '{key}'")
        return self

    def _add(self, table, key, doc, where, item, label):
        if key in table:
            other_doc, other_where, _ = table[key]
            self.problem(doc, where, f"{label} is already defined in {other_doc.path}:{other_doc.line(*other_where)}")
        else:
            table[key] = (doc, where, item)


def _where(where):
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def schema_problems(documents):
    """Shape errors (unknown keys, wrong types, bad enums) against the JSON Schema, if present."""
    if not SCHEMA_PATH.exists():
        return []
    try:
        import jsonschema
    except ImportError:
        return []
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = []
    for doc in documents:
        data = json.loads(json.dumps(doc.data, default=_json_default))
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            where = tuple(error.absolute_path)
            problems.append(Problem(doc.path, _where(where), error.message, doc.line(*where)))
    return problems


def _json_default(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


class Checker:
    """Meaning checks the schema cannot express: references resolve, codes are unique, dates are in order."""

    def __init__(self, catalogue, database):
        self.cat = catalogue
        self.db = database  # a portal.exchange.importer.DatabaseIndex

    def run(self):
        for section in TERM_SECTIONS:
            for key, (doc, where, item) in self.cat.terms[section].items():
                self.check_term(section, key, doc, where, item)
        uuids = {}
        for (kind, slug), (doc, where, record) in self.cat.records.items():
            self.check_record(kind, slug, doc, where, record)
            uuid = record.get("uuid")
            if uuid:
                if uuid in uuids:
                    self.cat.problem(doc, where + ("uuid",), f"uuid {uuid} is also used by {uuids[uuid]}")
                uuids[uuid] = f"{kind} '{slug}'"
                owner = self.db.record_by_uuid(uuid)
                if owner and (owner.record_kind, owner.slug) != (kind, slug) and self.db.record(kind, slug):
                    self.cat.problem(
                        doc,
                        where + ("slug",),
                        f"'{slug}' already belongs to another {kind} than the one with uuid {uuid}",
                    )
        for doc, where, crosswalk in self.cat.crosswalks.values():
            self.check_crosswalk(doc, where, crosswalk)
        return self.cat.problems

    # -- terms -----------------------------------------------------------------
    def term_exists(self, section, key):
        return key in self.cat.terms[section] or self.db.term(section, key) is not None

    def check_term(self, section, key, doc, where, item):
        slug = item.get("slug")
        if not slug or not SLUG.match(str(slug)):
            self.cat.problem(doc, where + ("slug",), "a slug of lower-case letters, digits and hyphens is required")
        if not item.get("name"):
            self.cat.problem(doc, where + ("name",), "a name is required")
        if section == "jurisdictions" and not JURISDICTION_CODE.match(str(key or "")):
            self.cat.problem(doc, where + ("code",), f"'{key}' is not an ISO 3166-1 alpha-2 code, EU or INT")
        if section == "languages" and not BCP47.match(str(key or "")):
            self.cat.problem(doc, where + ("code",), f"'{key}' is not a BCP 47 language tag such as en or zh-Hans")
        if section == "topics" and item.get("parent"):
            parent, seen = item.get("parent"), {slug}
            if not self.term_exists("topics", parent):
                self.cat.problem(doc, where + ("parent",), f"there is no topic '{parent}'")
            while parent in self.cat.terms["topics"]:
                if parent in seen:
                    self.cat.problem(doc, where + ("parent",), "topics form a loop through their parents")
                    break
                seen.add(parent)
                parent = self.cat.terms["topics"][parent][2].get("parent")
        if section == "organisations" and item.get("jurisdiction"):
            if not self.term_exists("jurisdictions", item["jurisdiction"]):
                self.cat.problem(doc, where + ("jurisdiction",), f"there is no jurisdiction '{item['jurisdiction']}'")

    # -- records ---------------------------------------------------------------
    def check_record(self, kind, slug, doc, where, record):
        if kind not in KIND_FIELDS:
            self.cat.problem(doc, where + ("kind",), f"kind must be one of {', '.join(KIND_FIELDS)}, not '{kind}'")
            return
        if not slug or not SLUG.match(str(slug)):
            self.cat.problem(doc, where + ("slug",), "a slug of lower-case letters, digits and hyphens is required")
        for key in ("title", "summary", "publication_date"):
            if not record.get(key):
                self.cat.problem(doc, where + (key,), f"{key.replace('_', ' ')} is required")
        self.check_date(doc, where + ("publication_date",), record.get("publication_date"))
        for section in TERM_SECTIONS:
            for i, key in enumerate(record.get(section) or []):
                if not self.term_exists(section, key):
                    self.cat.problem(doc, where + (section, i), f"there is no {section[:-1]} '{key}'")
        for i, identifier in enumerate(record.get("identifiers") or []):
            if isinstance(identifier, dict) and identifier.get("scheme") == "doi":
                if not DOI_PATTERN.match(str(identifier.get("value", ""))):
                    self.cat.problem(doc, where + ("identifiers", i, "value"), "this is not a DOI (10.xxxx/...)")
        self.check_sharing(doc, where + ("sharing",), record.get("sharing") or {})
        fields = record.get(kind) or {}
        if kind == "framework":
            self.check_framework(doc, where + ("framework",), fields)
        elif kind == "finding":
            if fields.get("doi") and not DOI_PATTERN.match(str(fields["doi"])):
                self.cat.problem(doc, where + ("finding", "doi"), "this is not a DOI (10.xxxx/...)")
        elif kind == "lesson":
            self.check_order(doc, where + ("lesson",), fields, "event_date", "event_end_date")
        self.check_links(kind, slug, doc, where, record.get("links") or [])

    def check_sharing(self, doc, where, sharing):
        if sharing.get("owner") and not self.term_exists("organisations", sharing["owner"]):
            self.cat.problem(doc, where + ("owner",), f"there is no organisation '{sharing['owner']}'")
        for i, slug in enumerate(sharing.get("organisations") or []):
            if not self.term_exists("organisations", slug):
                self.cat.problem(doc, where + ("organisations", i), f"there is no organisation '{slug}'")
        people = sharing.get("people") or []
        found = {user.get_username() for user in self.db.users(people)}
        for i, name in enumerate(people):
            if name not in found:
                self.cat.problem(doc, where + ("people", i), f"there is no user '{name}' on this portal")

    def check_framework(self, doc, where, fields):
        if fields.get("issuing_body") and not self.term_exists("organisations", fields["issuing_body"]):
            self.cat.problem(doc, where + ("issuing_body",), f"there is no organisation '{fields['issuing_body']}'")
        self.check_order(doc, where, fields, "effective_date", "end_date")
        anchors, previous = {}, 0
        for i, provision in enumerate(fields.get("provisions") or []):
            if not isinstance(provision, dict):
                continue
            code, level = str(provision.get("code") or ""), provision.get("level", 1)
            here = where + ("provisions", i)
            if not code:
                self.cat.problem(doc, here + ("code",), "every provision needs a code")
            elif anchor(code) in anchors:
                self.cat.problem(
                    doc,
                    here + ("code",),
                    f"code '{code}' repeats '{anchors[anchor(code)]}' in this framework",
                )
            else:
                anchors[anchor(code)] = code
            if not isinstance(level, int) or not 1 <= level <= 6:
                self.cat.problem(doc, here + ("level",), "level must be a whole number from 1 to 6")
            elif level > previous + 1:
                self.cat.problem(doc, here + ("level",), f"level {level} cannot follow level {previous}")
            else:
                previous = level

    def check_order(self, doc, where, fields, start, end):
        first = self.check_date(doc, where + (start,), fields.get(start))
        last = self.check_date(doc, where + (end,), fields.get(end))
        if first and last and last < first:
            self.cat.problem(
                doc,
                where + (end,),
                f"{end.replace('_', ' ')} {last} is before {start.replace('_', ' ')} {first}",
            )

    def check_date(self, doc, where, value):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.cat.problem(doc, where, f"'{value}' is not a date in the form YYYY-MM-DD")
            return None

    def provision_codes(self, slug):
        """Anchors of the provision codes of framework ``slug``: from the files, else the database."""
        entry = self.cat.records.get(("framework", slug))
        if entry:
            provisions = (entry[2].get("framework") or {}).get("provisions") or []
            return {anchor(p.get("code")) for p in provisions if isinstance(p, dict)}
        return {anchor(code) for code in self.db.provision_codes(slug)}

    def record_exists(self, kind, slug):
        return (kind, slug) in self.cat.records or self.db.record(kind, slug) is not None

    def check_links(self, kind, slug, doc, where, links):
        seen = set()
        for i, link in enumerate(links):
            if not isinstance(link, dict):
                continue
            here = where + ("links", i)
            if link.get("type") not in LinkType.values:
                self.cat.problem(doc, here + ("type",), f"link type must be one of {', '.join(LinkType.values)}")
            target = link.get("target") or {}
            key = (target.get("kind"), target.get("slug"))
            if not self.record_exists(*key):
                self.cat.problem(doc, here + ("target",), f"there is no {key[0]} '{key[1]}'")
                continue
            if key == (kind, slug):
                self.cat.problem(doc, here + ("target",), "a record cannot link to itself")
            provision = target.get("provision")
            if provision is not None:
                if key[0] != "framework":
                    self.cat.problem(doc, here + ("target", "provision"), "only frameworks have provisions")
                elif anchor(provision) not in self.provision_codes(key[1]):
                    self.cat.problem(
                        doc,
                        here + ("target", "provision"),
                        f"framework '{key[1]}' has no provision '{provision}'",
                    )
            identity = (link.get("type"), key, provision)
            if identity in seen:
                self.cat.problem(doc, here, "this link is listed twice")
            seen.add(identity)

    def check_crosswalk(self, doc, where, crosswalk):
        source, target = crosswalk.get("source"), crosswalk.get("target")
        for end in ("source", "target"):
            if not self.record_exists("framework", crosswalk.get(end)):
                self.cat.problem(doc, where + (end,), f"there is no framework '{crosswalk.get(end)}'")
                return
        if source == target:
            self.cat.problem(doc, where + ("target",), "a crosswalk maps two different frameworks")
            return
        left, right, seen = self.provision_codes(source), self.provision_codes(target), set()
        for i, mapping in enumerate(crosswalk.get("mappings") or []):
            if not isinstance(mapping, dict):
                continue
            here = where + ("mappings", i)
            if anchor(mapping.get("source")) not in left:
                self.cat.problem(
                    doc,
                    here + ("source",),
                    f"framework '{source}' has no provision '{mapping.get('source')}'",
                )
            if anchor(mapping.get("target")) not in right:
                self.cat.problem(
                    doc,
                    here + ("target",),
                    f"framework '{target}' has no provision '{mapping.get('target')}'",
                )
            pair = (anchor(mapping.get("source")), anchor(mapping.get("target")))
            if pair in seen:
                self.cat.problem(doc, here, "this mapping is listed twice")
            seen.add(pair)
