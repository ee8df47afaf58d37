"""An OSCAL catalog (JSON, OSCAL 1.1 or later) read as a new framework.

The file is checked before anything is written: its size, its nesting, the OSCAL version, the
catalog's shape (compliance-trestle's model of the catalog), and ids used once. The catalog then
becomes a framework record in the form of the record files (docs/data-format.md) and goes
through the record files' own checks and importer (``portal.exchange``), in one transaction, so
the same rules, revisions and change log apply as to ``import_records``.

Groups and controls become provisions in reading order, one level per nesting: the code is the
``label`` prop (else the id; a label "Title (ID)" that ends with the id gives the id), the type
the ``class`` if it is one of ours (else 'section' for a group and 'control' for a control), the
text the ``statement`` part (its items in order, with their labels; parameters shown as
``[Assignment: label]``), else the ``overview`` part. Groups and controls marked withdrawn are
left out, with all they hold. Siblings come in the order of their ``sort-id`` props, if every one
has one.
"""

import json
import re
import uuid as uuid_lib
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

from portal.exchange import FORMAT
from portal.exchange.catalogue import Catalogue
from portal.exchange.files import MAX_FILE_BYTES, Document
from portal.exchange.importer import Importer
from portal.exchange.validate import Checker, schema_problems
from portal.models import Organisation, SharingLevel

from .models import FrameworkPage, Provision
from .oscal import NS, derived_uuid

#: Provision levels the portal holds (the admin's outline and the record files' schema).
MAX_LEVEL = 6
#: JSON nesting a catalog may have (SP 800-53 needs about 20).
MAX_JSON_DEPTH = 64
#: Lengths of the record files' schema, checked here to name the catalog's own place.
CODE_LENGTH, TITLE_LENGTH, TEXT_LENGTH = 60, 500, 20000
#: Our own props (``oscal.NS``) read back: a provision's dates, a framework's status and so on.
PROVISION_DATES = ("applies-from", "applies-until")
FRAMEWORK_PROPS = {"status": "status", "legal-effect": "legal_effect", "effective-date": "effective_date"}
#: NIST writes some catalogs' versions with a "v" (``v1.2.2``, in the CSF 2.0 catalog).
SUPPORTED_VERSION = re.compile(r"^v?1\.(1|2)\.\d+$")
#: A label that gives a title with the identifier in brackets: "Organizational Context (GV.OC)".
_TITLED_LABEL = re.compile(r"^.*\(([^()\s]+)\)$")
_PARAM = re.compile(r"\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}")


@dataclass
class Problem:
    where: str
    message: str

    def __str__(self):
        return f"{self.where}: {self.message}" if self.where else self.message


class CatalogError(Exception):
    def __init__(self, problems):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def _depth(value, limit):
    """Raise ValueError when ``value`` nests deeper than ``limit`` (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise ValueError(f"nested more than {limit} levels deep")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def load(data, name="catalog"):
    """The catalog dict of an OSCAL catalog file's bytes, or raise ``CatalogError``."""
    if len(data) > MAX_FILE_BYTES:
        raise CatalogError(
            [Problem(name, f"is {len(data) // 2**20} MB; catalogs over {MAX_FILE_BYTES // 2**20} MB are refused")]
        )
    try:
        document = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except UnicodeDecodeError as error:
        raise CatalogError([Problem(name, f"is not UTF-8 text (byte {error.start})")]) from None
    except json.JSONDecodeError as error:
        raise CatalogError([Problem(name, f"is not valid JSON: {error.msg} (line {error.lineno})")]) from None
    except RecursionError:
        raise CatalogError([Problem(name, f"is nested too deeply (more than {MAX_JSON_DEPTH} levels)")]) from None
    try:
        _depth(document, MAX_JSON_DEPTH)
    except ValueError as error:
        raise CatalogError([Problem(name, f"is {error}; a catalog needs far fewer")]) from None
    if not isinstance(document, dict) or set(document) != {"catalog"}:
        keys = ", ".join(sorted(document)) if isinstance(document, dict) else type(document).__name__
        raise CatalogError([Problem(name, f"is not an OSCAL catalog: its top level must be 'catalog' alone ({keys})")])
    catalog = document["catalog"]
    version = (catalog.get("metadata") or {}).get("oscal-version") if isinstance(catalog, dict) else None
    if not isinstance(version, str) or not SUPPORTED_VERSION.match(version):
        raise CatalogError(
            [Problem("catalog.metadata.oscal-version", f"'{version}' is not supported: use OSCAL 1.1 or 1.2")]
        )
    _validate(catalog)
    return catalog


def _validate(catalog):
    """The catalog's shape, by compliance-trestle's model of it (the library OSCAL tools use)."""
    from pydantic import ValidationError
    from trestle.oscal.catalog import Catalog

    try:
        Catalog.model_validate(catalog)
    except ValidationError as error:
        problems = []
        for item in error.errors()[:20]:
            where = "catalog." + ".".join(str(part) for part in item["loc"] if not str(part).startswith("function-"))
            problems.append(Problem(where, item["msg"]))
        if error.error_count() > 20:
            problems.append(Problem("", f"and {error.error_count() - 20} more problems of the same kind"))
        raise CatalogError(problems) from None


def _prose(part, params):
    """A part's prose and its items', in order, with their labels, parameters filled in."""
    lines = []
    label = next((p.get("value") for p in part.get("props") or [] if p.get("name") == "label"), "")
    prose = _PARAM.sub(lambda m: params.get(m.group(1), f"[{m.group(1)}]"), part.get("prose") or "").strip()
    if prose or label:
        lines.append(" ".join(filter(None, [label, prose])))
    for child in part.get("parts") or []:
        lines.extend(_prose(child, params))
    return lines


def ours(props):
    """{name: value} of the props in our namespace (an export of this portal has them)."""
    return {p["name"]: p["value"] for p in props or [] if p.get("ns") == NS}


def _params(catalog):
    """{parameter id: how it reads in the text} for every parameter of the catalog."""
    found = {}
    stack = [catalog]
    while stack:
        item = stack.pop()
        for param in item.get("params") or []:
            choices = (param.get("select") or {}).get("choice")
            if choices:
                found[param["id"]] = "[Selection: " + "; ".join(_PARAM.sub("…", c) for c in choices) + "]"
            else:
                found[param["id"]] = f"[Assignment: {param.get('label') or param['id']}]"
        stack.extend(item.get("groups") or [])
        stack.extend(item.get("controls") or [])
    return found


def _text(element, params):
    parts = element.get("parts") or []
    for name in ("statement", "overview"):
        chosen = [part for part in parts if part.get("name") == name]
        if chosen:
            return "\n\n".join(line for part in chosen for line in _prose(part, params))
    return ""


def is_withdrawn(element):
    """Whether a group or control is marked withdrawn (a ``status`` prop, as NIST marks SP 800-53's
    withdrawn controls and CSF 1.1's categories in the CSF 2.0 catalog)."""
    return any(p["name"] == "status" and p.get("value") == "withdrawn" for p in element.get("props") or [])


def withdrawn(catalog):
    """The ids of the catalog's withdrawn groups and controls (with all they hold), in reading
    order: what ``provisions`` leaves out."""
    found = []

    def walk(element, left_out):
        left_out = left_out or is_withdrawn(element)
        if left_out:
            found.append(element["id"])
        for child, _, _ in children(element, ""):
            walk(child, left_out)

    for element, _, _ in children(catalog, ""):
        walk(element, False)
    return found


def _sort_id(element):
    return next((p["value"] for p in element.get("props") or [] if p["name"] == "sort-id" and not p.get("ns")), None)


def children(element, where):
    """(child, where, is_group) of an element's groups and then its controls, in the order of their
    ``sort-id`` props when every one has one (NIST's CSF catalog lists categories alphabetically
    and gives the framework's order in the sort-ids), else as the file lists them."""
    found = [(group, f"{where}.groups.{i}", True) for i, group in enumerate(element.get("groups") or [])]
    found += [(control, f"{where}.controls.{i}", False) for i, control in enumerate(element.get("controls") or [])]
    keys = [_sort_id(child) for child, _, _ in found]
    if all(keys):
        found = [child for _, child in sorted(zip(keys, found, strict=True), key=lambda pair: pair[0])]
    return found


def provisions(catalog):
    """The catalog's groups and controls as provisions in file form, or raise ``CatalogError``."""
    params, problems, items, ids = _params(catalog), [], [], {}
    types = set(Provision.Type.values)

    def walk(element, where, is_group, level):
        element_id = element["id"]
        if element_id in ids:
            problems.append(Problem(where, f"the id '{element_id}' is also used at {ids[element_id]}"))
        ids.setdefault(element_id, where)
        if level > MAX_LEVEL:
            problems.append(Problem(where, f"is nested {level} levels deep; the portal holds {MAX_LEVEL} levels"))
            return
        props = element.get("props") or []
        if is_withdrawn(element):
            return
        labels = [p for p in props if p["name"] == "label" and not p.get("ns")]
        # SP 800-53 gives two labels, 'AC-1' and the 'zero-padded' class's 'AC-01': the plain one.
        label = next((p["value"] for p in labels if not p.get("class")), labels[0]["value"] if labels else "")
        titled = _TITLED_LABEL.match(label)
        code = titled.group(1) if titled and titled.group(1).lower() == element_id.lower() else label or element_id
        kind = element.get("class") if element.get("class") in types else ("section" if is_group else "control")
        item = {"level": level, "type": kind, "code": code, "title": element["title"], "text": _text(element, params)}
        item.update({key.replace("-", "_"): value for key, value in ours(props).items() if key in PROVISION_DATES})
        for key, limit in (("code", CODE_LENGTH), ("title", TITLE_LENGTH), ("text", TEXT_LENGTH)):
            if len(item[key]) > limit:
                problems.append(Problem(where, f"its {key} is {len(item[key])} characters; at most {limit} are kept"))
        items.append(item)
        for child in children(element, where):
            walk(*child, level + 1)

    for child in children(catalog, "catalog"):
        walk(*child, 1)
    if not items and not problems:
        problems.append(Problem("catalog", "has no groups or controls"))
    if problems:
        raise CatalogError(problems)
    return items


def _issuing_body(metadata, slug):
    """The organisation named with --issuing-body, else the catalog's creator (or its only party)
    if the portal has an organisation of that name or acronym, else None."""
    if slug:
        return slug
    parties = metadata.get("parties") or []
    creators = set()
    for responsible in metadata.get("responsible-parties") or []:
        if responsible["role-id"] == "creator":
            creators.update(responsible["party-uuids"])
    for party in parties:
        if party["uuid"] in creators or len(parties) == 1:
            match = Organisation.objects.filter(name=party.get("name")).first()
            if match is None and party.get("short-name"):
                match = Organisation.objects.filter(acronym=party["short-name"]).first()
            if match:
                return match.slug
    return None


def framework_record(catalog, slug=None, sharing_level=SharingLevel.GREEN, issuing_body=None, published=True):
    """The framework record (file form) for ``catalog``: a new framework, whose UUID is derived
    from the catalog's, so the same catalog imported twice is found the second time."""
    metadata = catalog["metadata"]
    # "Framework 2.0" gives framework-2-0, not framework-20.
    slug = slug or slugify(metadata["title"].replace(".", " ")).replace("_", "-")[:100].strip("-")
    if not slug:
        raise CatalogError([Problem("catalog.metadata.title", "gives no slug: name one with --slug")])
    day = (metadata.get("published") or metadata["last-modified"])[:10]
    summary = (metadata.get("remarks") or "").strip() or (
        f"{metadata['title']}, version {metadata['version']}, imported from its OSCAL catalog."
    )
    fields = {
        "version": str(metadata["version"])[:50],
        "status": "in_force",
        "legal_effect": "voluntary",
        "provisions": provisions(catalog),
    }
    fields.update(
        {FRAMEWORK_PROPS[key]: value for key, value in ours(metadata.get("props")).items() if key in FRAMEWORK_PROPS}
    )
    body = _issuing_body(metadata, issuing_body)
    if body:
        fields["issuing_body"] = body
    links = [link for link in metadata.get("links") or [] if link.get("rel") == "reference"]
    source = next((link["href"] for link in links if re.match(r"https?://\S+$", link["href"])), None)
    record = {
        "kind": "framework",
        "slug": slug,
        "uuid": str(uuid_lib.UUID(derived_uuid("imported-catalog", catalog["uuid"]))),
        "title": metadata["title"][:255],
        "summary": summary[:1500],
        "publication_date": day,
        "identifiers": [{"scheme": "other", "value": f"OSCAL catalog {catalog['uuid']}"}],
        "published": published,
        "sharing": {"level": sharing_level},
        "framework": fields,
    }
    if source:
        record["source_url"] = source
    return record


class CatalogImporter(Importer):
    """The record files' importer, given one framework record made from a catalog."""

    def __init__(self, record, name, progress=None):
        super().__init__([], progress=progress)
        self.record, self.name = record, name
        self.documents = [Document(name, {"format": FORMAT, "records": [record]})]

    def check(self):
        self.problems = []
        existing = FrameworkPage.objects.filter(translation_key=self.record["uuid"]).first()
        if existing is not None:
            self.problems.append(
                Problem(self.name, f"this catalog was already imported, as the framework '{existing.slug}'")
            )
        elif FrameworkPage.objects.filter(slug=self.record["slug"]).exists():
            self.problems.append(
                Problem(self.name, f"there is already a framework '{self.record['slug']}': choose another slug")
            )
        if self.problems:
            return self.problems
        self.problems = schema_problems(self.documents)
        if self.problems:
            return self.problems
        self.catalogue = Catalogue(self.documents).collect()
        self.problems.extend(Checker(self.catalogue, self.db).run())
        return self.problems


def read(path):
    """The catalog of the file at ``path``, or raise ``CatalogError``."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as error:
        raise CatalogError([Problem(str(path), f"cannot be read ({error.strerror})")]) from None
    if size > MAX_FILE_BYTES:
        raise CatalogError(
            [Problem(str(path), f"is {size // 2**20} MB; catalogs over {MAX_FILE_BYTES // 2**20} MB are refused")]
        )
    return load(file.read_bytes(), str(path))
