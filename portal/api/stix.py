"""STIX 2.1: each record as STIX objects, and a record's bundle (``records/{uuid}/stix/``).

Every object is built from the record as the API shows it to the caller (the serialized record
of ``load_records``: its stored representation with the links the caller may see), so a bundle
costs the queries of one record detail and shows nothing the caller could not read in the JSON.
The objects common to every kind are made here: the record's ``report`` (or the kind's own main
object), ``identity`` objects for the portal and the publishing organisations, the TLP 2.0
markings. What a kind adds (vulnerabilities, attack patterns, courses of action; a framework's
grouping) comes from the builder its app registers (``register``), as ``portal.api.kinds`` does
for the JSON: ``portal`` never imports an app.

Ids are stable: the main object's UUID is the record's own UUID (a version 4 UUID, as STIX asks
of domain objects), and every other object's is a UUID 5 of the record's UUID, the object type
and a key within the record (a CVE id, a recommendation's position), stamped as version 4 so that
strict validators accept it. Re-exporting a record gives the same ids; ``modified`` moves when
the record's current version was published.

The TLP 2.0 marking definitions are the official objects published by OASIS in
cti-stix-common-objects (``objects/marking-definition/``), copied here field for field; the
``stix2`` library ships only the TLP 1.0 ones.
"""

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

#: The media type of STIX 2.1 content.
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

#: The TLP 2.0 property extension's id (OASIS cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

#: Our sharing level -> (marking-definition id, the extension's ``tlp_2_0`` value), as published by OASIS.
TLP2_MARKINGS = {
    "TLP:CLEAR": ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    "TLP:GREEN": ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    "TLP:AMBER": ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    "TLP:AMBER+STRICT": ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    "TLP:RED": ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
}
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"

#: The namespace of the UUID 5 ids of objects derived from a record (fixed: changing it changes every id).
NAMESPACE = uuid.UUID("6f0c5d3e-2b7a-4f61-9a0e-3c8d1e5b7a92")

#: created/modified of the identities (the portal, organisations): the portal keeps no history of
#: them, so they carry the date this export shape was introduced.
IDENTITY_DATE = "2026-12-07T00:00:00.000Z"


def marking_definition(level):
    """The official TLP 2.0 marking-definition object of a sharing level."""
    marking_id, value = TLP2_MARKINGS[level]
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": _TLP2_CREATED,
        "name": level,
        "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": value}},
    }


def derived_id(object_type, record_uuid, key=""):
    """``<type>--<uuid>``: a UUID 5 of the record's UUID, the type and ``key``, stamped version 4."""
    digest = uuid.uuid5(NAMESPACE, f"{object_type}:{record_uuid}:{key}")
    return f"{object_type}--{uuid.UUID(bytes=digest.bytes, version=4)}"


def timestamp(value):
    """A STIX timestamp (UTC, milliseconds) of a datetime, an ISO string or a date."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        value = parsed if parsed is not None else datetime.date.fromisoformat(value)
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
    value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def portal_identity():
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": derived_id("identity", "portal"),
        "created": IDENTITY_DATE,
        "modified": IDENTITY_DATE,
        "name": settings.WAGTAIL_SITE_NAME,
        "identity_class": "system",
        "object_marking_refs": [TLP2_MARKINGS["TLP:CLEAR"][0]],
    }


def organisation_identity(organisation, producer):
    """A publishing organisation (public, like its page on the portal) as an identity."""
    name = organisation["name"]
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": derived_id("identity", f"organisation:{organisation['slug']}"),
        "created_by_ref": producer,
        "created": IDENTITY_DATE,
        "modified": IDENTITY_DATE,
        "name": name,
        "identity_class": "organization",
        **({"description": f"Also known as {organisation['acronym']}."} if organisation.get("acronym") else {}),
        "object_marking_refs": [TLP2_MARKINGS["TLP:CLEAR"][0]],
    }


class Record:
    """One record as the API shows it (``data``, the serialized record), with what every STIX
    object made from it shares: its dates, marking and producer."""

    def __init__(self, data):
        self.data = data
        self.uuid = data["uuid"]
        published = data["first_published_at"] or data["publication_date"]
        self.created = timestamp(published)
        self.modified = max(self.created, timestamp(data["last_published_at"] or published))
        self.level = data["sharing"]["level"]
        self.marking = TLP2_MARKINGS[self.level][0]
        self.producer = portal_identity()["id"]

    def sdo(self, object_type, key, **properties):
        """A domain or relationship object of this record: id, dates, producer and marking."""
        return {
            "type": object_type,
            "spec_version": "2.1",
            "id": derived_id(object_type, self.uuid, key),
            "created_by_ref": self.producer,
            "created": self.created,
            "modified": self.modified,
            **{name: value for name, value in properties.items() if value not in (None, "", [])},
            "object_marking_refs": [self.marking],
        }

    def relationship(self, relationship_type, source, target):
        return self.sdo(
            "relationship",
            f"{relationship_type}:{source}:{target}",
            relationship_type=relationship_type,
            source_ref=source,
            target_ref=target,
        )

    def references(self):
        """External references of the record: its web page, its source and its identifiers."""
        data = self.data
        refs = []
        if data.get("web_url"):
            refs.append({"source_name": settings.WAGTAIL_SITE_NAME, "url": data["web_url"], "external_id": self.uuid})
        if data.get("source_url"):
            refs.append({"source_name": "source", "url": data["source_url"]})
        for identifier in data["identifiers"]:
            scheme, value = identifier["scheme"], identifier["value"]
            if scheme == "doi":
                refs.append({"source_name": "doi", "external_id": value, "url": f"https://doi.org/{value}"})
            elif scheme == "arxiv":
                refs.append({"source_name": "arxiv", "external_id": value, "url": f"https://arxiv.org/abs/{value}"})
            elif CVE.match(value):
                refs.append({"source_name": "cve", "external_id": value})
            else:
                refs.append({"source_name": scheme, "external_id": value})
        return refs

    def labels(self):
        """Topics and free tags, as the report's labels."""
        return [term["slug"] for term in self.data["topics"]] + list(self.data["tags"])


#: Identifiers that name a vulnerability in a public catalogue (kept under the scheme "other").
CVE = re.compile(r"^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$")
GHSA = re.compile(r"^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$")
#: MITRE ATLAS technique and tactic ids (a technique is an attack pattern; a tactic is a goal).
ATLAS_TECHNIQUE = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")
ATLAS_TACTIC = re.compile(r"^AML\.TA\d{4}$")


def vulnerabilities(record):
    """A ``vulnerability`` per CVE or GitHub advisory the record names among its identifiers."""
    found = []
    for identifier in record.data["identifiers"]:
        value = identifier["value"].strip()
        if CVE.match(value):
            ref = {"source_name": "cve", "external_id": value, "url": f"https://www.cve.org/CVERecord?id={value}"}
        elif GHSA.match(value):
            ref = {"source_name": "github", "external_id": value, "url": f"https://github.com/advisories/{value}"}
        else:
            continue
        found.append(record.sdo("vulnerability", value, name=value, external_references=[ref]))
    return found


def _atlas_codes(record, pattern):
    """{code: title} of the ATLAS ids the record names: its identifiers, and the provisions of the
    records it links to (as far as the caller may see them), with the provision's title."""
    codes = {}
    for identifier in record.data["identifiers"]:
        if pattern.match(identifier["value"].strip()):
            codes.setdefault(identifier["value"].strip(), "")
    for link in record.data.get("links", ()):
        provision = link.get("provision")
        if provision and pattern.match(provision["code"]):
            codes[provision["code"]] = provision["title"] or codes.get(provision["code"], "")
    return codes


def attack_patterns(record):
    """An ``attack-pattern`` per MITRE ATLAS technique the record names; never one of our own."""
    return [
        record.sdo(
            "attack-pattern",
            code,
            name=f"{code} {title}".strip(),
            external_references=[
                {"source_name": "mitre-atlas", "external_id": code, "url": f"https://atlas.mitre.org/techniques/{code}"}
            ],
        )
        for code, title in sorted(_atlas_codes(record, ATLAS_TECHNIQUE).items())
    ]


def tactic_references(record):
    """External references to the MITRE ATLAS tactics the record names (a tactic is an adversary's
    goal, not an attack pattern, so it is referenced, not made an object)."""
    return [
        {
            "source_name": "mitre-atlas",
            "external_id": code,
            "url": f"https://atlas.mitre.org/tactics/{code}",
            **({"description": title} if title else {}),
        }
        for code, title in sorted(_atlas_codes(record, ATLAS_TACTIC).items())
    ]


@dataclass
class KindObjects:
    """What a kind's builder adds to a record's STIX: objects besides the main one, words for the
    main object's description, and (for a kind whose main object is not a report) the main object."""

    objects: list
    description: list
    report_types: tuple = ()
    references: list = field(default_factory=list)
    main: Any = None


_builders = {}


def register(kind, builder):
    """``builder(record)`` -> ``KindObjects`` for records of ``kind`` (a ``Record``)."""
    _builders[kind] = builder


def kinds():
    """The kinds with a STIX shape."""
    return list(_builders)


def record_objects(data):
    """The STIX objects of one record (``data``: the record as the API serializes it), main object
    first, then identities, then the kind's objects. Marking definitions are not included: a bundle
    or an answer adds the ones its objects use (``with_markings``)."""
    record = Record(data)
    built = _builders[data["kind"]](record)
    identities = [organisation_identity(org, record.producer) for org in data["organisations"]]
    if built.main is not None:
        main = built.main
    else:
        text = "\n\n".join(part for part in [data["summary"], data["body_text"], *built.description] if part)
        refs = [obj["id"] for obj in identities + built.objects] or [record.producer]
        main = {
            "type": "report",
            "spec_version": "2.1",
            "id": f"report--{record.uuid}",
            "created_by_ref": record.producer,
            "created": record.created,
            "modified": record.modified,
            "name": data["title"],
            "description": text,
            "report_types": ["threat-report", *built.report_types],
            "published": timestamp(data["publication_date"]),
            "object_refs": refs,
            "labels": record.labels() or None,
            "external_references": [*record.references(), *built.references] or None,
            "object_marking_refs": [record.marking],
        }
        main = {name: value for name, value in main.items() if value is not None}
    return [main, portal_identity(), *identities, *built.objects]


def main_id(kind, record_uuid):
    """The STIX id of a record's main object (``report`` for every kind but those whose builder
    says otherwise: frameworks are a ``grouping``)."""
    return f"{MAIN_TYPES.get(kind, 'report')}--{record_uuid}"


#: Kinds whose main object is not a report: {kind: STIX type}. Apps set it through ``register_main_type``.
MAIN_TYPES = {}


def register_main_type(kind, stix_type):
    MAIN_TYPES[kind] = stix_type


def with_markings(objects):
    """``objects`` followed by the TLP 2.0 marking definitions they use."""
    used = {ref for obj in objects for ref in obj.get("object_marking_refs", ())}
    markings = [marking_definition(level) for level, (ref, _) in TLP2_MARKINGS.items() if ref in used]
    return [*objects, *markings]


def bundle(data):
    """The STIX bundle of one record: its objects and the markings they use. The bundle's id is
    derived from the record and its version, so the same version gives the same bundle."""
    objects = with_markings(record_objects(data))
    return {
        "type": "bundle",
        "id": derived_id("bundle", data["uuid"], objects[0]["modified"]),
        "objects": objects,
    }


def revoked(kind, record_uuid, created, at):
    """The revoked last version of a record's main object, for a caller who could see the record
    and may not any more: no title, text or reference of the record, only that it is withdrawn."""
    created, modified = timestamp(created), timestamp(at)
    stix_type = MAIN_TYPES.get(kind, "report")
    obj = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": main_id(kind, record_uuid),
        "created": created,
        "modified": max(created, modified),
        "name": "Withdrawn",
        "revoked": True,
        "object_refs": [portal_identity()["id"]],
        "object_marking_refs": [TLP2_MARKINGS["TLP:CLEAR"][0]],
    }
    if stix_type == "report":
        obj["published"] = created
    else:
        obj["context"] = "unspecified"
    return obj
