"""Frameworks as OSCAL catalogs and crosswalks as OSCAL mapping collections (JSON).

A framework's provision tree becomes the catalog's groups and controls: a provision with
provisions under it is a group, unless it is a control (``provision_type`` 'control', e.g. an
SP 800-53 control with its enhancements), sits under a control, or has a sibling that cannot be
a group (an OSCAL group holds groups or controls, not both); every other provision is a control,
and the controls under a control are its nested controls.
Ids come from the provision codes (``GOVERN 1.1`` -> ``GOVERN_1.1``), the code itself is the
``label`` prop, and the reading order the ``sort-id`` prop. A crosswalk becomes one mapping from
the source catalog to the target, each mapping a map in the OSCAL relationship vocabulary, with
gap summaries for the controls no map names. Document UUIDs are derived from our own keys, so an
export of unchanged data is the same document. The reverse (a catalog read as a new framework)
is ``oscal_import``. The shapes are documented in docs/data-format.md ("OSCAL").
"""

import datetime
import re
import uuid as uuid_lib
from dataclasses import dataclass

from .models import CrosswalkMapping, Provision

#: The OSCAL version the documents are written in (the mapping model is part of OSCAL 1.2).
OSCAL_VERSION = "1.2.1"
#: The media type of OSCAL JSON documents.
MEDIA_TYPE = "application/oscal+json"
#: The namespace of the props that are ours rather than OSCAL's (provision dates, strength…).
NS = "urn:x-ai-safety-governance-portal:oscal"
#: The namespace of the UUIDs derived from our keys (uuid5).
UUID_NAMESPACE = uuid_lib.UUID("6b0f8f3e-4d52-4c41-9a57-1e0b7f6c2d18")

#: Our relation (with its rationale) -> OSCAL's relationship. "equal" judged on the wording is
#: OSCAL's equal-to; judged on meaning or outcome, equivalent-to.
RELATIONSHIPS = {
    "subset_of": "subset-of",
    "superset_of": "superset-of",
    "intersects_with": "intersects-with",
    "not_related": "no-relationship",
}

PROVISION_VALUES = ("code", "provision_type", "level", "title", "text", "applies_from", "applies_until")

_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_.\-]+")


class Unrepresentable(ValueError):
    """What we hold cannot be written as a valid OSCAL document (the message says why)."""


def derived_uuid(*parts):
    """A stable UUID (version 5) for one of our things, from its kind and keys."""
    return str(uuid_lib.uuid5(UUID_NAMESPACE, ":".join(str(part) for part in parts)))


def token(code):
    """An OSCAL id (a token) for a provision code: 'GOVERN 1.1' -> 'GOVERN_1.1', 'Art. 5' ->
    'Art._5', 'LLM01:2025' -> 'LLM01_2025'; one that would start with a digit gets a '_' first."""
    value = _NOT_TOKEN.sub("_", str(code).strip()).strip("_") or "provision"
    return value if re.match(r"[A-Za-z_]", value) else "_" + value


def control_ids(codes):
    """{code: id} for the codes of one framework, in reading order; a second code with the same
    id gets '-2' (then '-3'…) added, so ids stay unique."""
    ids, taken = {}, set()
    for code in codes:
        base, n = token(code), 1
        candidate = base
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        ids[code], taken = candidate, taken | {candidate}
    return ids


@dataclass
class Node:
    row: dict
    children: list
    group: bool = False


def outline(rows):
    """The provision rows (reading order) as a tree of ``Node``, each marked group or control."""
    roots, stack = [], []
    for row in rows:
        node = Node(row, [])
        while stack and stack[-1].row["level"] >= row["level"]:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def mark(nodes, top):
        # A group holds groups or controls, not both (the catalog itself may hold both).
        heading = [bool(node.children) and node.row["provision_type"] != "control" for node in nodes]
        for node, is_heading in zip(nodes, heading, strict=True):
            node.group = is_heading and (top or all(heading))
            if node.group:
                mark(node.children, False)  # under a control everything stays a control (the default)

    mark(roots, True)
    return roots


def provision_rows(framework):
    """The framework's provisions in reading order, as value rows (one query)."""
    return list(Provision.objects.filter(framework=framework).order_by("sort_order", "pk").values(*PROVISION_VALUES))


def _moment(value):
    """An OSCAL date-time (with its time zone) from a datetime or a date."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _prop(name, value, ns=None):
    prop = {"name": name, "value": str(value)}
    if ns:
        prop["ns"] = ns
    return prop


def _element(node, ids, position):
    row = node.row
    element_id = ids[row["code"]]
    element = {"id": element_id, "class": row["provision_type"], "title": row["title"].strip() or row["code"]}
    props = [_prop("label", row["code"]), _prop("sort-id", f"{position[0]:05d}")]
    position[0] += 1
    for name in ("applies_from", "applies_until"):
        if row[name]:
            props.append(_prop(name.replace("_", "-"), row[name].isoformat(), NS))
    element["props"] = props
    text = (row["text"] or "").strip()
    if text:
        name = "overview" if node.group else "statement"
        element["parts"] = [{"id": f"{element_id}_{'ovw' if node.group else 'smt'}", "name": name, "prose": text}]
    groups = [_element(child, ids, position) for child in node.children if child.group]
    controls = [_element(child, ids, position) for child in node.children if not child.group]
    if groups:
        element["groups"] = groups
    if controls:
        element["controls"] = controls
    return element


def _party(organisation):
    party = {"uuid": derived_uuid("organisation", organisation.slug), "type": "organization", "name": organisation.name}
    if organisation.acronym:
        party["short-name"] = organisation.acronym
    return party


def catalog(framework, web_url=None, rows=None):
    """The OSCAL catalog of ``framework`` (a FrameworkPage with ``issuing_body`` loaded), as a
    dict ready for JSON; ``web_url`` is the framework's page. Two queries at most: the
    provisions (unless ``rows`` are given) and the issuing body if it was not selected with it."""
    rows = provision_rows(framework) if rows is None else rows
    ids = control_ids(row["code"] for row in rows)
    changed = framework.last_published_at or framework.latest_revision_created_at or framework.publication_date
    metadata = {
        "title": framework.title,
        "published": _moment(framework.publication_date),
        "last-modified": _moment(changed),
        "version": framework.version or framework.publication_date.isoformat(),
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("status", framework.status, NS),
            _prop("legal-effect", framework.legal_effect, NS),
            _prop("sharing-level", framework.sharing_level, NS),
        ],
    }
    if framework.effective_date:
        metadata["props"].append(_prop("effective-date", framework.effective_date.isoformat(), NS))
    links = []
    if web_url:
        links.append({"href": web_url, "rel": "alternate", "media-type": "text/html"})
    if framework.source_url:
        links.append({"href": framework.source_url, "rel": "reference"})
    if links:
        metadata["links"] = links
    if framework.issuing_body_id:
        party = _party(framework.issuing_body)
        metadata["roles"] = [{"id": "creator", "title": "Issuer"}]
        metadata["parties"] = [party]
        metadata["responsible-parties"] = [{"role-id": "creator", "party-uuids": [party["uuid"]]}]
    if framework.summary.strip():
        metadata["remarks"] = framework.summary.strip()
    document = {"uuid": derived_uuid("framework", framework.translation_key), "metadata": metadata}
    position = [1]
    roots = outline(rows)
    groups = [_element(node, ids, position) for node in roots if node.group]
    controls = [_element(node, ids, position) for node in roots if not node.group]
    if groups:
        document["groups"] = groups
    if controls:
        document["controls"] = controls
    return {"catalog": document}


def relationship(mapping):
    if mapping.relation == CrosswalkMapping.Relation.EQUAL:
        return "equal-to" if mapping.rationale == CrosswalkMapping.Rationale.SYNTACTIC else "equivalent-to"
    return RELATIONSHIPS[mapping.relation]


def _gap(crosswalk, side, ids, mapped):
    unmapped = [ids[code] for code in ids if ids[code] not in mapped]
    if not unmapped:
        return None
    return {"uuid": derived_uuid("crosswalk-gap", crosswalk.slug, side), "unmapped-controls": [{"with-ids": unmapped}]}


def _control_ids(rows):
    """{code: id} of the provisions that are controls in the catalog (groups cannot be mapped)."""
    ids = control_ids(row["code"] for row in rows)
    controls = {}

    def walk(nodes):
        for node in nodes:
            if not node.group:
                controls[node.row["code"]] = ids[node.row["code"]]
            walk(node.children)

    walk(outline(rows))
    return {code: controls[code] for code in ids if code in controls}


def mapping_collection(crosswalk, href, rows):
    """The OSCAL mapping collection of ``crosswalk`` (both frameworks and its mappings with their
    provisions loaded). ``href(framework)`` is where each catalog is; ``rows`` is {framework id:
    provision rows} for both frameworks. Raises ``Unrepresentable`` when no mapping can be
    written (OSCAL needs at least one)."""
    source, target = crosswalk.source_framework, crosswalk.target_framework
    left, right = _control_ids(rows.get(source.pk, [])), _control_ids(rows.get(target.pk, []))
    maps, skipped, mapped_left, mapped_right, rationales = [], [], set(), set(), {}
    for mapping in crosswalk.mappings.all():
        ours, theirs = mapping.source_provision.code, mapping.target_provision.code
        if ours not in left or theirs not in right:
            skipped.append(f"{ours} → {theirs}")
            continue
        mapped_left.add(left[ours])
        mapped_right.add(right[theirs])
        rationales[mapping.rationale] = rationales.get(mapping.rationale, 0) + 1
        entry = {
            "uuid": derived_uuid("crosswalk-map", crosswalk.slug, ours, theirs),
            "matching-rationale": mapping.rationale,
            "relationship": relationship(mapping),
            "sources": [{"type": "control", "id-ref": left[ours]}],
            "targets": [{"type": "control", "id-ref": right[theirs]}],
            "props": [_prop("relation", mapping.relation, NS)],
        }
        if mapping.strength is not None:
            entry["props"].append(_prop("strength", mapping.strength, NS))
        remarks = [text for text in (mapping.note.strip(), mapping.source.strip()) if text]
        if mapping.source.strip():
            remarks[-1] = f"Source: {mapping.source.strip()}"
        if remarks:
            entry["remarks"] = "\n\n".join(remarks)
        maps.append(entry)
    if not maps:
        raise Unrepresentable(
            "This crosswalk has no mapping between two controls yet, and an OSCAL mapping needs at least one."
        )
    rationale = max(sorted(rationales), key=rationales.get)
    description = crosswalk.description.strip() or crosswalk.title
    mapping = {
        "uuid": derived_uuid("crosswalk-mapping", crosswalk.slug),
        "source-resource": {"type": "catalog", "href": href(source)},
        "target-resource": {"type": "catalog", "href": href(target)},
        "maps": maps,
        "mapping-description": description,
    }
    if skipped:
        mapping["remarks"] = (
            "Mappings that name a heading (a group of the catalog, which OSCAL maps cannot name) are "
            "left out: " + "; ".join(skipped) + "."
        )
    for side, ids, mapped in (("source", left, mapped_left), ("target", right, mapped_right)):
        gap = _gap(crosswalk, side, ids, mapped)
        if gap:
            mapping[f"{side}-gap-summary"] = gap
    changed = [f.last_published_at for f in (source, target) if f.last_published_at]
    metadata = {
        "title": crosswalk.title,
        "last-modified": _moment(max(changed) if changed else max(source.publication_date, target.publication_date)),
        "version": "1",
        "oscal-version": OSCAL_VERSION,
    }
    if crosswalk.source_url:
        metadata["links"] = [{"href": crosswalk.source_url, "rel": "reference"}]
    if crosswalk.source_title:
        metadata["remarks"] = f"Follows {crosswalk.source_title}."
    return {
        "mapping-collection": {
            "uuid": derived_uuid("crosswalk", crosswalk.slug),
            "metadata": metadata,
            "provenance": {
                "method": "human",
                "matching-rationale": rationale,
                "status": "complete",
                "mapping-description": description,
            },
            "mappings": [mapping],
        }
    }


def rows_of(frameworks):
    """{framework id: provision rows} for several frameworks (one query)."""
    rows = {}
    values = (
        Provision.objects.filter(framework__in=[f.pk for f in frameworks])
        .order_by("framework_id", "sort_order", "pk")
        .values("framework_id", *PROVISION_VALUES)
    )
    for row in values:
        rows.setdefault(row["framework_id"], []).append(row)
    return rows
