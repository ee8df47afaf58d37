"""Each record's API representation, produced once per published revision and stored.

What is stored (``portal.models.RecordRepresentation``, one row a record): every field of a record
that is the same for every caller and every request: uuid, kind, title, slug, summary, body HTML
and plain text, dates, terms, tags, identifiers, sharing, and the kind's own fields (a
framework's provisions). What is added per request (``portal.api.loading``): ``web_url`` and
``api_url`` (absolute URLs: from the page's current ``url_path`` and the site's and request's
root), and ``links`` and ``backlinks`` (only to records the caller may see, through the sharing
rule).

When it is produced: when a revision is published (``portal.api.receivers``), and by a reader that
finds none for a record, or one of another ``FORMAT`` (records loaded without publishing, rows
from before a deploy that changed the shape). ``manage.py build_representations`` produces them
all ahead of readers. Every change that makes a stored one stale removes it
(``portal.api.receivers`` lists them), and the next reader or publish produces it again.
"""

import logging

from django.db import DatabaseError, transaction

from portal.models import TERM_RELATIONS, ExternalIdentifier, RecordPage, RecordRepresentation, RecordTag

from . import kinds
from .serializers import RecordSerializer

logger = logging.getLogger(__name__)

#: The version of the stored shape. Bump it when what a record's stored representation holds
#: changes (a field added, a label or a block template changed): rows of another version are
#: produced again when read (or by ``manage.py build_representations``).
FORMAT = 3  # 3: framework versions, provision dates and changes

BATCH = 200


def by_record(rows):
    """{first column: [the rest of each row]} of value rows, in row order."""
    grouped = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def _load_parts(ids):
    """The records ``ids`` with what their representation shows attached as ``page.parts``, in a
    fixed number of queries for the whole batch."""
    registered = kinds.registered()
    related = ["owning_organisation"]
    for api in registered.values():
        related.append(api.child_relation)
        related.extend(f"{api.child_relation}__{name}" for name in api.select_related)
    pages = list(RecordPage.objects.filter(pk__in=ids).select_related(*related))
    terms = {}
    for term in TERM_RELATIONS:
        field = RecordPage._meta.get_field(term.relation)
        name = field.related_model._meta.model_name
        rows = (
            field.remote_field.through.objects.filter(recordpage_id__in=ids)
            .order_by(f"{name}__name")
            .values_list("recordpage_id", *(f"{name}__{column}" for column in term.columns))
        )
        terms[term.relation] = {
            pk: [dict(zip(term.columns, values, strict=True)) for values in items]
            for pk, items in by_record(rows).items()
        }
    tags = by_record(
        RecordTag.objects.filter(content_object_id__in=ids)
        .order_by("tag__name")
        .values_list("content_object_id", "tag__name")
    )
    identifiers = by_record(
        ExternalIdentifier.objects.filter(record_id__in=ids)
        .order_by("sort_order", "pk")
        .values_list("record_id", "scheme", "value")
    )
    kind_of = RecordPage.kind_of_content_type()
    specific_by_kind = {}
    for page in pages:
        kind = kind_of.get(page.content_type_id, "")
        parts = {
            "kind": kind,
            "tags": [row[0] for row in tags.get(page.pk, ())],
            "identifiers": [{"scheme": scheme, "value": value} for scheme, value in identifiers.get(page.pk, ())],
        }
        for term in TERM_RELATIONS:
            parts[term.relation] = terms[term.relation].get(page.pk, [])
        kind_api = registered.get(kind)
        specific = getattr(page, kind_api.child_relation, None) if kind_api is not None else None
        if specific is not None:
            parts[kind] = specific
            specific_by_kind.setdefault(kind, []).append(specific)
        page.parts = parts
    for kind, specifics in specific_by_kind.items():
        if registered[kind].load:
            registered[kind].load(specifics, {})
    return pages


def produce(ids):
    """{record id: stored representation} of the records ``ids`` as they are in the database now."""
    serializer = RecordSerializer()
    produced = {}
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        for page in _load_parts(ids[start : start + BATCH]):
            produced[page.pk] = serializer.stored(page)
    return produced


def _rows(produced):
    return [RecordRepresentation(record_id=pk, format=FORMAT, data=data) for pk, data in produced.items()]


def store(ids):
    """Produce the representations of ``ids`` and store them, replacing what was stored."""
    produced = produce(ids)
    RecordRepresentation.objects.bulk_create(
        _rows(produced),
        update_conflicts=True,
        unique_fields=["record"],
        update_fields=["format", "data", "produced_at"],
        batch_size=BATCH,
    )
    return produced


def forget(records):
    """Remove the stored representations of ``records`` (ids, or a RecordPage queryset)."""
    RecordRepresentation.objects.filter(record__in=records).delete()


def read(ids):
    """{record id: stored representation} for ``ids``; one query when every one is stored.

    A record with none (or one of another ``FORMAT``) gets one produced now and stored, unless a
    publish stored a newer one meanwhile (an insert that finds a row leaves it). If storing fails
    (a read-only or busy database), the answer still uses what was produced."""
    ids = list(ids)
    found = dict(RecordRepresentation.objects.filter(record_id__in=ids, format=FORMAT).values_list("record_id", "data"))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        produced = produce(missing)
        found.update(produced)
        try:
            with transaction.atomic():
                RecordRepresentation.objects.filter(record_id__in=missing).exclude(format=FORMAT).delete()
                RecordRepresentation.objects.bulk_create(_rows(produced), ignore_conflicts=True, batch_size=BATCH)
        except DatabaseError:
            logger.warning("Could not store the API representations of %d records", len(produced), exc_info=True)
    return found


def build(everything=False, progress=None):
    """Produce and store the representation of every live record that has none of this ``FORMAT``
    (or of every live record with ``everything``). Returns how many were stored."""
    live = RecordPage.objects.filter(live=True).order_by("pk")
    if not everything:
        live = live.exclude(pk__in=RecordRepresentation.objects.filter(format=FORMAT).values("record_id"))
    ids = list(live.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        store(ids[start : start + BATCH])
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    return len(ids)
