"""A record in file form, and back.

``record_to_dict`` reads a page into the form of docs/data-format.md. ``normalize`` brings a
record read from a file into exactly that form (ISO dates, sorted term lists, empty values
dropped), so "has this record changed?" is a plain comparison of two dicts, and an export of an
import is byte-identical to the export it came from.

What each kind adds (its own fields, its provisions) is what the apps registered in ``kinds``;
what a record's terms are is ``TERM_RELATIONS``.
"""

import datetime
import html

from portal.exchange import kinds
from portal.models import TERM_RELATIONS, TERMS_BY_RELATION, RecordPage, SharingLevel

#: Where the term relations sit in the files (docs/data-format.md): the sections of a taxonomy
#: file, which is also the order the import checks, reports and writes terms in (organisations
#: after the jurisdictions they name), and the term lists of a record. What each relation is
#: (model, key) is TERM_RELATIONS'; a relation missing here would come last.
TAXONOMY_LAYOUT = ("topics", "sectors", "jurisdictions", "organisations", "languages")
RECORD_LAYOUT = ("organisations", "topics", "sectors", "jurisdictions", "languages")
#: Lists whose order means nothing: sorted, without repeats, in the canonical form.
UNORDERED_LISTS = {relation.relation for relation in TERM_RELATIONS} | {"tags", "people"}


def in_layout(layout):
    """The term relations (``TermRelation``) in the order of ``layout``."""
    position = {name: i for i, name in enumerate(layout)}
    return sorted(TERM_RELATIONS, key=lambda relation: position.get(relation.relation, len(layout)))


def with_defaults(kind, fields):
    """A record's kind-specific fields from a file, with model defaults for the ones left out."""
    model = RecordPage.kind_models()[kind]
    fields = dict(fields or {})
    for key, kind_of in kinds.get(kind).fields.items():
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
        if key in UNORDERED_LISTS:
            items = sorted(set(items))
        return items
    if isinstance(value, str):
        return value.strip()
    return value


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def body_blocks(body):
    """A file's ``body`` as blocks: a plain string is one paragraph of text (escaped, not HTML)."""
    return [
        {"type": "paragraph", "value": f"<p>{html.escape(block, quote=False)}</p>"}
        if isinstance(block, str)
        else {"type": block["type"], "value": block["value"]}
        for block in body or []
    ]


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
    exchange = kinds.get(kind)
    data = {
        "kind": kind,
        "slug": content.slug,
        "uuid": str(page.translation_key),
        "title": content.title,
        "summary": content.summary,
        "body": _body(content),
        "publication_date": content.publication_date,
    }
    for relation in in_layout(RECORD_LAYOUT):
        data[relation.relation] = [getattr(term, relation.key) for term in getattr(content, relation.relation).all()]
    data.update(
        {
            "tags": [t.name for t in content.tags.all()],
            "source_url": content.source_url,
            "identifiers": [{"scheme": i.scheme, "value": i.value} for i in content.external_ids.all()],
            "published": bool(page.live),
            "sharing": sharing_to_dict(content),
            "links": [_link(link) for link in content.links.all()],
        }
    )
    fields = {}
    for key, kind_of in exchange.fields.items():
        value = getattr(content, key)
        if kind_of == "lines":
            value = _lines(value)
        elif kind_of == "org":
            value = value.slug if value else None
        fields[key] = value
    for part in exchange.parts:
        if part.before_provisions:
            fields[part.name] = part.to_file(content)
    if exchange.provisions:
        fields["provisions"] = exchange.provisions.to_file(content)
    for part in exchange.parts:
        if not part.before_provisions:
            fields[part.name] = part.to_file(content)
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
    sharing = dict(record.get("sharing") or {})
    sharing.setdefault("level", SharingLevel.GREEN)
    return dict(record, sharing=sharing)


def _link(link):
    target = {"kind": link.target.specific_class.record_kind, "slug": link.target.slug}
    if link.target_provision_id:
        target["provision"] = link.target_provision.code
    return {"type": link.link_type, "target": target, "note": link.note}


def term_to_dict(term, relation):
    """The file form of a term of ``relation`` (e.g. 'topics')."""
    data = {"slug": term.slug, "name": term.name}
    if relation == "topics":
        data["parent"] = term.parent.slug if term.parent_id else None
    if TERMS_BY_RELATION[relation].key == "code":
        data["code"] = term.code
    if relation == "organisations":
        data.update(
            acronym=term.acronym,
            website=term.website,
            jurisdiction=term.jurisdiction.code if term.jurisdiction_id else None,
        )
    data["description"] = term.description
    return normalize(data)
