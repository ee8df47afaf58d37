"""The search pipeline: one function, ``search``, behind the web search page, the record index
pages and the API's ``search/``. Each of them renders the ``SearchOutcome`` it returns.

It takes the records the visitor may see (a queryset the caller built with
``RecordPage.objects.visible_to(user)``), a query, facet selections ({facet: [values]}), a sort
(``SORTS``) and a page, and returns the total, one page of records with their highlights, the
facet counts (rule: ``portal/services/facets.py``) and suggestions (a spelling that finds more,
and titles completing the query).

Searching goes through Wagtail's search layer (``modelsearch``) only: the backend is whatever
the settings name, and nothing here branches on it. The backend ranks what matches; the
database keeps only the keys in the visitor's records before anything else sees them, so a
record the visitor may not see is never matched, counted, highlighted or suggested. Without
query words, the records are browsed in the order asked.

A search's matches and facet counts are what a page spends its time on, and a visitor paging
through results or ticking facets asks for the same ones again: with ``cache_as`` (names the
records and their audience, e.g. ``("search", audience_key(user))``) they are kept in the cache
(``portal/caching.py``) under that name, the records' state, the query and the selections.
"""

import difflib
import logging
from dataclasses import dataclass, field
from operator import itemgetter

from django.core.paginator import Paginator

from portal.caching import records_state, remembered
from portal.models import RecordPage, Topic

from .facets import TermTable, filter_queryset
from .highlights import Highlights, query_terms

logger = logging.getLogger(__name__)

#: Longest query accepted, in characters, on every surface (longer: a form error, a 400).
MAX_QUERY_LENGTH = 500
QUERY_TOO_LONG = f"Use at most {MAX_QUERY_LENGTH} characters."
#: Deepest page served (the web shows the last page past it; the API refuses it).
MAX_PAGE = 500
#: ids per database query when keeping the visitor's matches (under every database's limit)
CHUNK = 2000


@dataclass(frozen=True)
class Sort:
    label: str
    #: record fields to order by (None: by relevance, which needs a query)
    fields: tuple | None


#: The sorts of every listing and search, web and API alike.
SORTS = {
    "relevance": Sort("Best match", None),
    "newest": Sort("Newest first", ("-publication_date", "title")),
    "oldest": Sort("Oldest first", ("publication_date", "title")),
    "title": Sort("Title A–Z", ("title",)),
}
#: Names the API accepted before it shared the sorts above.
SORT_ALIASES = {"-published": "newest", "published": "oldest"}
#: What relevance means without query words.
BROWSE_SORT = "newest"

TYPE_A_WORD = "Type at least one word or number to search for."


class SearchError(Exception):
    """The backend could not run this query; the message is safe to show."""


@dataclass
class SearchOutcome:
    query: str = ""
    terms: list = field(default_factory=list)  # the query's words, as highlighted
    total: int = 0
    page: object = None  # a django Page of records, each with ``highlights`` (a Highlights)
    facets: dict = field(default_factory=dict)  # {facet: [FacetValue]}, every facet in FACETS order
    spelling: str | None = None
    completions: list = field(default_factory=list)
    message: str = ""  # for the visitor: the query had no words, or the backend could not run it

    @property
    def records(self):
        return list(self.page.object_list) if self.page is not None else []


def empty_outcome(query=""):
    """The outcome of a search that did not run (its input was refused)."""
    return SearchOutcome(query=query, page=Paginator([], 1).get_page(1))


def sort_name(name):
    """The name in ``SORTS`` for ``name`` (an alias or an empty value allowed)."""
    name = SORT_ALIASES.get(name, name) or "relevance"
    if name not in SORTS:
        raise ValueError(f"Unknown sort {name!r}")
    return name


def search(
    records,
    query="",
    selections=None,
    sort="relevance",
    page=1,
    page_size=20,
    *,
    cache_as=None,
    bodies=None,
    completion_limit=0,
):
    """Search (or browse) ``records`` and return a ``SearchOutcome``.

    ``selections``: {facet: [values]}; ``sort``: a name in ``SORTS`` (or an alias); ``page``:
    the page number (past the last page: the last page); ``cache_as``: see the module's
    docstring; ``bodies``: a function given the page's records that returns {record id: body as
    plain text}, to highlight the bodies too; ``completion_limit``: how many completing titles to suggest (0: none)."""
    selections = {name: list(values) for name, values in (selections or {}).items() if values}
    sort = sort_name(sort)
    terms = query_terms(query)
    state = records_state()
    table = TermTable.current(state)
    outcome = SearchOutcome(query=query, terms=terms)

    def kept(parts, compute):
        if cache_as is None:
            return compute()
        return remembered((*cache_as, state, *parts), compute)

    if terms:
        try:
            ids = kept(("matches", query, sort), lambda: matching_ids(records, query, sort))
        except SearchError as error:
            outcome.message, ids = str(error), []
    else:
        outcome.message = TYPE_A_WORD if query.strip() else ""
        sort = BROWSE_SORT if sort == "relevance" else sort
        ids = kept(("browse", sort), lambda: ordered_ids(records, sort))
    chosen = table.chosen(selections)
    matched = table.narrow(ids, chosen)
    outcome.total = len(matched)
    chosen_key = tuple(sorted((name, tuple(values)) for name, values in selections.items()))

    def count():
        return table.counts(ids, selections, chosen)

    # (not kept when the backend failed: a later search of the same words may run)
    outcome.facets = count() if outcome.message else kept(("facets", query if terms else "", chosen_key), count)
    outcome.page = Paginator(matched, page_size).get_page(page)
    outcome.page.object_list = _records(records, list(outcome.page.object_list))
    texts = bodies(outcome.page.object_list) if bodies is not None and terms else None
    for record in outcome.page.object_list:
        record.highlights = Highlights.of(record, terms, None if texts is None else texts.get(record.pk, ""))
    if terms and outcome.total < 3 and not outcome.message:
        outcome.spelling = _better_spelling(records, query, outcome.total, chosen, table, kept)
    if terms and completion_limit:
        outcome.completions = completions(filter_queryset(records, selections), query, completion_limit)
    return outcome


def _records(records, ids):
    """The records of ``ids``, in that order, with what every surface shows of them."""
    if not ids:
        return []
    by_pk = records.filter(pk__in=ids).prefetch_related("organisations").in_bulk()
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _better_spelling(records, query, total, chosen, table, kept):
    """A corrected query when it finds more records (with the same selections) than ``query``."""
    suggestion = kept(("spelling", query), lambda: spelling_suggestion(records, query))
    if not suggestion:
        return None
    try:
        found = kept(("matches", suggestion, "relevance"), lambda: matching_ids(records, suggestion))
    except SearchError:
        return None
    return suggestion if len(table.narrow(found, chosen)) > total else None


def _chunks(ids):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def matching_ids(records, query, sort="relevance"):
    """Primary keys of the records in ``records`` that match ``query``, in ``sort`` order.

    The backend ranks every record that matches; the database then keeps those in ``records``,
    in one pass that also reads what the sort orders by, so a record the caller may not see is
    dropped before anything counts or shows it, and sorting is the same on every backend."""
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
    fields = SORTS[sort_name(sort)].fields or ()
    rows = []
    for chunk in _chunks(ranked):
        rows += records.order_by().filter(pk__in=chunk).values_list("pk", *(name.lstrip("-") for name in fields))
    if not fields:  # relevance: the backend's order
        kept = {row[0] for row in rows}
        return [pk for pk in ranked if pk in kept]
    for column, name in reversed(list(enumerate(fields, start=1))):  # stable sorts, the last key first
        rows.sort(key=itemgetter(column), reverse=name.startswith("-"))
    return [row[0] for row in rows]


def ordered_ids(records, sort):
    """Primary keys of every record in ``records``, in ``sort`` order (not relevance)."""
    return list(records.order_by(*SORTS[sort].fields, "pk").values_list("pk", flat=True))


def spelling_suggestion(records, query):
    """A corrected query built from words the caller can find (titles and summaries of the
    records in ``records``, and topic names), or None."""
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
    return " ".join(corrected) if changed else None


def completions(records, query, limit=5):
    """Titles of records in ``records`` that complete the query's last word (autocomplete)."""
    if not query.strip():
        return []
    searchable = RecordPage.objects.filter(pk__in=records.order_by().values("pk"))
    try:
        return [r.title for r in searchable.only("pk", "title").autocomplete(query)[:limit]]
    except Exception:  # autocomplete is a nicety: a backend that cannot do it gives none
        logger.exception("Autocomplete failed for %r", query)
        return []
