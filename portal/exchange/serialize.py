"""A record in file form, and back.

``record_to_dict`` reads a page into the form of docs/data-format.md. ``normalize`` brings a
record read from a file into exactly that form (ISO dates, sorted term lists, empty values
dropped), so "has this record changed?" is a plain comparison of two dicts, and an export of an
import is byte-identical to the export it came from.
"""

import datetime

#: Kind-specific fields: file key -> how the value is stored ("text", "date", "lines", "org").
KIND_FIELDS = {
    "framework": {
        "issuing_body": "org",
        "version": "text",
        "status": "text",
        "legal_effect": "text",
        "effective_date": "date",
        "end_date": "date",
    },
    "finding": {
        "finding_type": "text",
        "methodology": "text",
        "evidence_strength": "text",
        "systems_examined": "lines",
        "severity": "text",
        "status": "text",
        "authors": "lines",
        "venue": "text",
        "doi": "text",
    },
    "lesson": {
        "event_date": "date",
        "event_end_date": "date",
        "context": "text",
        "what_happened": "text",
        "impact": "text",
        "what_worked": "text",
        "what_did_not_work": "text",
        "recommendations": "lines",
    },
}
#: Record relations to taxonomy terms: file key -> (model field, the term's key attribute).
TERM_FIELDS = {
    "organisations": "slug",
    "topics": "slug",
    "sectors": "slug",
    "jurisdictions": "code",
    "languages": "code",
}
PROVISION_KEYS = ("level", "type", "code", "title", "text")


def with_defaults(kind, fields):
    """A record's kind-specific fields from a file, with model defaults for the ones left out."""
    from portal.models import RecordPage

    model = RecordPage.kind_models()[kind]
    fields = dict(fields or {})
    for key, kind_of in KIND_FIELDS[kind].items():
        if fields.get(key) in (None, "") and kind_of == "text":
            fields[key] = model._meta.get_field(key).get_default()
    return fields


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def normalize(value, key=None):
    """The canonical form of a file value: ISO dates, no empty values, unordered lists sorted."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        result = {}
        for k, v in value.items():
            v = normalize(v, k)
            if not _empty(v):
                result[k] = v
        return result
    if isinstance(value, list):
        items = [normalize(v) for v in value]
        items = [v for v in items if not _empty(v)]
        if key in TERM_FIELDS or key in ("tags", "people"):
            items = sorted(set(items))
        return items
    if isinstance(value, str):
        return value.strip()
    return value


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _body(page):
    blocks = []
    for block in page.body.raw_data:
        blocks.append({"type": block["type"], "value": block["value"]})
    return blocks


def record_to_dict(page, content=None):
    """The file form of ``page`` (a specific record page). ``content`` is the version to read:
    the live page for published records, the latest revision for drafts."""
    content = content or page
    kind = page.record_kind
    data = {
        "kind": kind,
        "slug": content.slug,
        "uuid": str(page.translation_key),
        "title": content.title,
        "summary": content.summary,
        "body": _body(content),
        "publication_date": content.publication_date,
        "organisations": [t.slug for t in content.organisations.all()],
        "topics": [t.slug for t in content.topics.all()],
        "sectors": [t.slug for t in content.sectors.all()],
        "jurisdictions": [t.code for t in content.jurisdictions.all()],
        "languages": [t.code for t in content.languages.all()],
        "tags": [t.name for t in content.tags.all()],
        "source_url": content.source_url,
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in content.external_ids.all()],
        "published": bool(page.live),
        "sharing": sharing_to_dict(content),
        "links": [_link(link) for link in content.links.all()],
    }
    fields = {}
    for key, kind_of in KIND_FIELDS[kind].items():
        value = getattr(content, key)
        if kind_of == "lines":
            value = _lines(value)
        elif kind_of == "org":
            value = value.slug if value else None
        fields[key] = value
    if kind == "framework":
        fields["provisions"] = [
            {"level": p.level, "type": p.provision_type, "code": p.code, "title": p.title, "text": p.text}
            for p in content.provisions.all()
        ]
    data[kind] = fields
    return normalize(data)


def sharing_to_dict(content):
    return {
        "level": content.sharing_level,
        "owner": content.owning_organisation.slug if content.owning_organisation_id else None,
        "organisations": sorted(o.slug for o in content.shared_with_organisations.all()),
        "people": sorted(u.get_username() for u in content.shared_with_people.all()),
    }


def with_sharing_default(record):
    """A record from a file, with the default sharing level when the file names none."""
    from portal.models import SharingLevel

    sharing = dict(record.get("sharing") or {})
    sharing.setdefault("level", SharingLevel.GREEN)
    return dict(record, sharing=sharing)


def _link(link):
    target = {"kind": link.target.specific_class.record_kind, "slug": link.target.slug}
    if link.target_provision_id:
        target["provision"] = link.target_provision.code
    return {"type": link.link_type, "target": target, "note": link.note}


def term_to_dict(term, kind):
    data = {"slug": term.slug, "name": term.name}
    if kind == "topics":
        data["parent"] = term.parent.slug if term.parent_id else None
    if kind in ("jurisdictions", "languages"):
        data["code"] = term.code
    if kind == "organisations":
        data.update(
            acronym=term.acronym,
            website=term.website,
            jurisdiction=term.jurisdiction.code if term.jurisdiction_id else None,
        )
    data["description"] = term.description
    return normalize(data)


def crosswalk_to_dict(crosswalk):
    return normalize(
        {
            "slug": crosswalk.slug,
            "title": crosswalk.title,
            "source": crosswalk.source_framework.slug,
            "target": crosswalk.target_framework.slug,
            "description": crosswalk.description,
            "source_title": crosswalk.source_title,
            "source_url": crosswalk.source_url,
            "mappings": [
                {
                    "source": m.source_provision.code,
                    "target": m.target_provision.code,
                    "relation": m.relation,
                    "note": m.note,
                    "source_ref": m.source,
                }
                for m in crosswalk.mappings.all()
            ],
        }
    )
