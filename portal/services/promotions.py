"""Promoted results: the records editors chose to show first for a query.

``promoted(query_text, records)`` looks the query up as promotions match it (exactly, once
normalised: case and extra spaces aside, ``portal.models.search_terms.normal_query``) and gives
its records in the editors' order, each with its note, keeping only the records in ``records``:
the queryset of what the visitor may see (``RecordPage.objects.visible_to(user)``). A promoted
record the visitor may not see is left out before anything is read of it, so neither it nor its
note, nor the fact that it was promoted, reaches them.
"""

from django.db.models import Exists, OuterRef

from portal.models import PromotedRecord
from portal.models.search_terms import normal_query


def promoted(query_text, records):
    """``[(record, note)]``: the records promoted for ``query_text`` that are in ``records`` (a
    queryset of records, not sliced), in the promotion's order; ``note`` is the editor's note or
    ``""``. Each record is as ``records`` yields it. Empty when nothing is promoted for the query
    or the visitor may see none of it. One query, two when something is promoted."""
    query = normal_query(query_text)
    if not query:
        return []
    rows = list(
        PromotedRecord.objects.filter(promotion__query=query)
        .filter(Exists(records.order_by().filter(pk=OuterRef("record_id"))))
        .order_by("sort_order", "pk")
        .values_list("record_id", "note")
    )
    if not rows:
        return []
    found = {record.pk: record for record in records.filter(pk__in=[pk for pk, _ in rows])}
    return [(found[pk], note) for pk, note in rows if pk in found]
