"""Searching records: the one search service behind the API's ``search/`` and the web search.

Plain functions with no HTTP in them, so the web search page can call them too. They go
through Wagtail's search layer (``modelsearch``) only: the backend is whatever the settings
name (the database backends, our Whoosh backend, OpenSearch…), and nothing here branches on it.

Visibility: the records to search are passed in as a queryset that the caller built with
``RecordPage.objects.visible_to(user)`` (and any filters). The backend ranks what matches, and
the database keeps only the keys in that set before anything else sees them (for autocomplete,
the set is a ``pk IN (…)`` filter on the search itself), so a record the caller may not see is
never matched, counted in a facet, highlighted or suggested.
"""

import difflib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape

from django.db.models import Count
from django.db.models.functions import ExtractYear

from portal.models import RecordPage, Topic

logger = logging.getLogger(__name__)

#: facet name -> record relation and the term columns shown (None: computed otherwise)
FACET_RELATIONS = {
    "topic": ("topics", "slug"),
    "sector": ("sectors", "slug"),
    "jurisdiction": ("jurisdictions", "code"),
    "language": ("languages", "code"),
    "organisation": ("organisations", "slug"),
}
FACETS = ["kind", *FACET_RELATIONS, "year"]
#: orderings of search results: relevance, or by publication date
ORDERS = {"relevance": None, "-published": ("-publication_date", "title"), "published": ("publication_date", "title")}
#: ids per query when counting facets (keeps every database under its parameter limit)
CHUNK = 2000
WORD = re.compile(r"\w+", re.UNICODE)


class SearchError(Exception):
    """The backend could not run this query; the message is safe to show."""


@dataclass
class SearchOutcome:
    total: int
    records: list  # the requested slice of records, in result order
    facets: dict = field(default_factory=dict)
    spelling: str | None = None
    completions: list = field(default_factory=list)
    terms: list = field(default_factory=list)


def _searchable(records):
    """``records`` as a set the backend can filter on: primary keys only."""
    return RecordPage.objects.filter(pk__in=records.order_by().values("pk"))


def matching_ids(records, query, order="relevance"):
    """Primary keys of the records in ``records`` that match ``query``, best (or newest) first.

    The backend ranks every record that matches; the database then keeps those in ``records``,
    in one pass that also reads their dates, so a record the caller may not see is dropped
    before anything counts or shows it, and ordering by date is the same on every backend."""
    try:
        results = RecordPage.objects.only("pk").search(query)
        # A backend that can give keys alone (ours: ``pks()``) saves building a model instance
        # per match, and leaves checking them to the query below; any other backend's results
        # are objects.
        pks = getattr(results, "pks", None)
        ranked = pks(check=False) if pks is not None else [record.pk for record in results]
    except Exception as error:  # a backend's parser or connection: never a server error for a query
        logger.exception("Search failed for %r", query)
        raise SearchError("The search could not run this query. Try simpler words.") from error
    rows = []
    for chunk in _chunks(ranked):
        rows += records.order_by().filter(pk__in=chunk).values_list("pk", "publication_date", "title")
    ordering = ORDERS[order]
    if ordering is None:
        kept = {row[0] for row in rows}
        return [pk for pk in ranked if pk in kept]
    descending = ordering[0].startswith("-")
    rows.sort(key=lambda row: row[2])  # then by title, A to Z
    rows.sort(key=lambda row: row[1], reverse=descending)
    return [row[0] for row in rows]


def query_terms(query):
    """The words of a query, lower-cased, for highlighting and spelling."""
    return [w.lower() for w in WORD.findall(query or "") if len(w) > 1 or w.isdigit()]


def _stem(word):
    return word[: max(3, len(word) - 2)] if len(word) > 4 else word


def highlight(text, terms, length=240):
    """An HTML snippet of ``text`` around the first matched term, matches wrapped in <mark>.

    Words match a query term when they share its stem (``evaluations`` for ``evaluation``).
    Everything else is escaped. Returns None when no term occurs."""
    if not text or not terms:
        return None
    stems = sorted({_stem(t) for t in terms}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE | re.UNICODE)
    first = pattern.search(text)
    if first is None:
        return None
    start = max(0, first.start() - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    snippet = text[start:end]
    out, last = [], 0
    for match in pattern.finditer(snippet):
        out.append(escape(snippet[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(snippet[last:]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def _chunks(ids):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def facet_counts(ids):
    """{facet: [{value, label, count}]} over the matched records, most frequent first."""
    facets = {}
    kind_of = RecordPage.kind_of_content_type()
    labels = {kind: model.kind_label for kind, model in RecordPage.kind_models().items()}
    counts = Counter()
    for chunk in _chunks(ids):
        for content_type_id, n in (
            RecordPage.objects.filter(pk__in=chunk)
            .values("content_type_id")
            .annotate(n=Count("pk"))
            .values_list("content_type_id", "n")
        ):
            counts[kind_of.get(content_type_id, "")] += n
    facets["kind"] = [{"value": k, "label": labels.get(k, k), "count": n} for k, n in _sorted(counts)]
    for name, (relation, key) in FACET_RELATIONS.items():
        through = RecordPage._meta.get_field(relation).remote_field.through
        term = RecordPage._meta.get_field(relation).related_model._meta.model_name
        counts, names = Counter(), {}
        for chunk in _chunks(ids):
            rows = (
                through.objects.filter(recordpage_id__in=chunk)
                .values(f"{term}__{key}", f"{term}__name")
                .annotate(n=Count("recordpage_id"))
                .values_list(f"{term}__{key}", f"{term}__name", "n")
            )
            for value, label, n in rows:
                counts[value] += n
                names[value] = label
        facets[name] = [{"value": v, "label": names[v], "count": n} for v, n in _sorted(counts)]
    counts = Counter()
    for chunk in _chunks(ids):
        for year, n in (
            RecordPage.objects.filter(pk__in=chunk)
            .annotate(year=ExtractYear("publication_date"))
            .values("year")
            .annotate(n=Count("pk"))
            .values_list("year", "n")
        ):
            counts[year] += n
    facets["year"] = [{"value": str(y), "label": str(y), "count": n} for y, n in sorted(counts.items(), reverse=True)]
    return facets


def _sorted(counter):
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))


def spelling_suggestion(records, query):
    """A corrected query built from words the caller can find (titles and summaries of the
    records in ``records``, and taxonomy names), or None. Only asked when nothing matched."""
    words = query_terms(query)
    if not words:
        return None
    vocabulary = set()
    for title, summary in records.order_by().values_list("title", "summary").iterator(chunk_size=2000):
        vocabulary.update(query_terms(title))
        vocabulary.update(query_terms(summary))
    vocabulary.update(w for name in Topic.objects.values_list("name", flat=True) for w in query_terms(name))
    corrected, changed = [], False
    for word in words:
        if word in vocabulary or word.isdigit():
            corrected.append(word)
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.75)
        corrected.append(close[0] if close else word)
        changed = changed or bool(close)
    if not changed:
        return None
    suggestion = " ".join(corrected)
    return suggestion if matching_ids(records, suggestion) else None


def completions(records, query, limit=5):
    """Titles of records in ``records`` that complete the query's last word (autocomplete)."""
    if not query.strip():
        return []
    try:
        return [r.title for r in _searchable(records).only("pk", "title").autocomplete(query)[:limit]]
    except Exception:  # autocomplete is a nicety: a backend that cannot do it gives none
        logger.exception("Autocomplete failed for %r", query)
        return []


def search_records(records, query, *, order="relevance", offset=0, limit=20, select=None):
    """Search ``records`` (a queryset the caller made visible and filtered) for ``query``.

    Returns a ``SearchOutcome`` with the total, the records of the slice ``offset:offset+limit``
    in result order (fetched with ``select(queryset)`` if given, e.g. to join what a serializer
    needs), facet counts over every match, a spelling suggestion when nothing matched, and
    autocomplete completions. Raises SearchError for a query the backend cannot run."""
    ids = matching_ids(records, query, order)
    page_ids = ids[offset : offset + limit]
    queryset = records.filter(pk__in=page_ids)
    if select is not None:
        queryset = select(queryset)
    by_pk = {record.pk: record for record in queryset} if page_ids else {}
    return SearchOutcome(
        total=len(ids),
        records=[by_pk[pk] for pk in page_ids if pk in by_pk],
        facets=facet_counts(ids),
        spelling=None if ids else spelling_suggestion(records, query),
        completions=completions(records, query),
        terms=query_terms(query),
    )
