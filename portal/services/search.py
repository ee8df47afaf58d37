"""The search pipeline: one function, ``search``, behind the web search page, the record index
pages and the API's ``search/``. Each of them renders the ``SearchOutcome`` it returns.

It takes the records the visitor may see (a queryset the caller built with
``RecordPage.objects.visible_to(user)``), a query, facet selections ({facet: [values]}), a sort
(``SORTS``) and a page, and returns the total, one page of records with their highlights, the
facet counts (rule: ``portal/services/facets.py``) and suggestions (a spelling that finds more,
and titles completing the query).

What matches and in what order is ``portal.services.matching``'s rule (identifiers, every word
before some, synonyms, provisions). On top of it: the results editors promoted for the query
come first (``portal.services.promotions``), and when no record matches every word and a word
matches nothing, the query with that word spelled as the closest word the visitor can find is
searched too, its results first, and the outcome says so (``corrected``).

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
from portal.models import RecordPage, RecordTag, Topic

from . import matching, promotions, synonyms
from .facets import TermTable, filter_queryset
from .highlights import Highlights, query_terms

logger = logging.getLogger(__name__)

#: Longest query accepted, in characters, on every surface (longer: a form error, a 400).
MAX_QUERY_LENGTH = 500
QUERY_TOO_LONG = f"Use at most {MAX_QUERY_LENGTH} characters."
#: Deepest page served (the web shows the last page past it; the API refuses it).
MAX_PAGE = 500
#: How close (difflib's ratio) a known word must be to stand for a misspelt one.
SPELLING_CUTOFF = 0.75
#: Longest query (in words) whose words are checked one by one for a misspelling.
MAX_CORRECTED_WORDS = 8
#: Most phrasings of a query with synonyms (``portal.services.synonyms``) searched with it.
MAX_PHRASINGS = 3
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


@dataclass(frozen=True)
class Promotion:
    """A result the editors promoted for the query (``portal.services.promotions``), shown first."""

    note: str


class SearchError(Exception):
    """The backend could not run this query; the message is safe to show."""


@dataclass
class SearchOutcome:
    query: str = ""
    terms: list = field(default_factory=list)  # the query's words, as highlighted
    total: int = 0
    page: object = None  # a django Page of records, each with ``highlights`` (a Highlights)
    facets: dict = field(default_factory=dict)  # {facet: [FacetValue]}, every facet in FACETS order
    spelling: str | None = None  # a spelling that finds more ("did you mean")
    corrected: str | None = None  # the spelling whose matches are shown first ("showing results for")
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

    parts = {}
    if terms:
        try:
            searched = matching.content_query(query)
            found = kept(("matches", searched, sort), lambda: match(records, searched, sort))
            ids, parts = found.ids, found.parts
            if not found.complete:
                ids, parts = _with_correction(records, searched, sort, found, outcome, kept)
        except SearchError as error:
            outcome.message, ids = str(error), []
    else:
        outcome.message = TYPE_A_WORD if query.strip() else ""
        sort = BROWSE_SORT if sort == "relevance" else sort
        ids = kept(("browse", sort), lambda: ordered_ids(records, sort))
    promoted = {}
    if terms and sort == "relevance" and not outcome.message:
        # Read on every search (one query), not kept: editors' choices apply at once.
        promoted = {record.pk: note for record, note in promotions.promoted(query, records)}
        ids = [*promoted, *(pk for pk in ids if pk not in promoted)]
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
        record.matched_part = parts.get(record.pk)
        record.promotion = Promotion(promoted[record.pk]) if record.pk in promoted else None
    if terms and outcome.total < 3 and not outcome.message and not outcome.corrected:
        outcome.spelling = _better_spelling(records, query, outcome.total, chosen, table, kept)
    if terms and completion_limit:
        outcome.completions = completions(filter_queryset(records, selections), query, completion_limit)
    return outcome


def _with_correction(records, query, sort, found, outcome, kept):
    """(ids, parts) of a query no record matches in full: when some of its words match nothing
    the visitor may see, the matches of the query with those words spelled as the closest word
    the visitor can find come first (``outcome.corrected`` says so), then the query's own."""
    corrected = kept(("correction", query), lambda: correction(records, query, kept))
    if not corrected:
        return found.ids, found.parts
    again = kept(("matches", corrected, sort), lambda: match(records, corrected, sort))
    if not again.ids:
        return found.ids, found.parts
    outcome.corrected = corrected
    shown = set(again.ids)
    return again.ids + [pk for pk in found.ids if pk not in shown], {**found.parts, **again.parts}


def correction(records, query, kept):
    """``query`` with each word that matches none of ``records`` replaced by the closest word of
    their titles, tags and topic names (``spelling_suggestion``), or None if no word
    changes. Words with digits (codes, identifiers) are taken as typed."""
    words = query_terms(query)
    if len(words) > MAX_CORRECTED_WORDS:  # each word may be searched on its own: bounded
        return None
    unmatched = {
        word
        for word in words
        if not any(char.isdigit() for char in word)
        and not kept(("matches", word, "relevance"), lambda word=word: match(records, word)).ids
    }
    if not unmatched:
        return None
    known = kept(("vocabulary",), lambda: vocabulary(records))
    return spelling_suggestion(records, " ".join(words), only=unmatched, known=known)


def _records(records, ids):
    """The records of ``ids``, in that order, with what every surface shows of them."""
    if not ids:
        return []
    by_pk = records.filter(pk__in=ids).prefetch_related("organisations").in_bulk()
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _better_spelling(records, query, total, chosen, table, kept):
    """A corrected query when it finds more records (with the same selections) than ``query``."""
    known = kept(("vocabulary",), lambda: vocabulary(records))
    suggestion = kept(("spelling", query), lambda: spelling_suggestion(records, query, known=known))
    if not suggestion:
        return None
    try:
        found = kept(("matches", suggestion, "relevance"), lambda: match(records, suggestion)).ids
    except SearchError:
        return None
    return suggestion if len(table.narrow(found, chosen)) > total else None


def _chunks(ids):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


@dataclass
class Matches:
    """What a query matches among the visitor's records: ``ids`` in sort order, the part each
    was matched through (``{id: MatchedPart}``), and how many match every word (or the
    identifier) of the query."""

    ids: list
    parts: dict
    complete: int


def match(records, query, sort="relevance"):
    """The ``Matches`` of ``query`` among ``records`` (``portal.services.matching`` ranks them).

    The backend ranks every record that matches; the database then keeps those in ``records``,
    in one pass that also reads what the sort orders by, so a record the caller may not see is
    dropped before anything counts or shows it, and sorting is the same on every backend.
    Question words are dropped first (``matching.content_query``), on every surface."""
    query = matching.content_query(query)
    try:
        phrasings = synonyms.alternatives(query)[:MAX_PHRASINGS]
        ranking = matching.rank(query, several_words=len(query_terms(query)) > 1, phrasings=phrasings)
        exact = matching.exact_ids(records, query)
    except Exception as error:  # a backend's parser or connection: never a server error for a query
        logger.exception("Search failed for %r", query)
        raise SearchError("The search could not run this query. Try simpler words.") from error
    first = set(exact)
    ranked = exact + [pk for pk in ranking.ids if pk not in first]
    fields = SORTS[sort_name(sort)].fields or ()
    rows = []
    for chunk in _chunks(ranked):
        rows += records.order_by().filter(pk__in=chunk).values_list("pk", *(name.lstrip("-") for name in fields))
    visible = {row[0] for row in rows}
    complete = len(exact) + sum(pk in visible and pk not in first for pk in ranking.ids[: ranking.complete])
    parts = {pk: part for pk, part in ranking.parts.items() if pk in visible}
    if not fields:  # relevance: the ranking's order
        return Matches([pk for pk in ranked if pk in visible], parts, complete)
    for column, name in reversed(list(enumerate(fields, start=1))):  # stable sorts, the last key first
        rows.sort(key=itemgetter(column), reverse=name.startswith("-"))
    return Matches([row[0] for row in rows], parts, complete)


def matching_ids(records, query, sort="relevance"):
    """Primary keys of the records in ``records`` that match ``query``, in ``sort`` order."""
    return match(records, query, sort).ids


def ordered_ids(records, sort):
    """Primary keys of every record in ``records``, in ``sort`` order (not relevance)."""
    return list(records.order_by(*SORTS[sort].fields, "pk").values_list("pk", flat=True))


def vocabulary(records):
    """The words a visitor of ``records`` can find, to spell a query with: those of their titles
    and tags, and the topic names (a frozenset; kept per audience and state by the caller).
    Summaries are left out: they hold nine tenths of the words and cost ten times as long to
    read (10,000 records: about 130 ms with them, 45 without), for few words a query would be
    corrected to."""
    titles = records.order_by().values_list("title", flat=True)
    tags = RecordTag.objects.filter(content_object__in=records.order_by().values("pk")).values_list(
        "tag__name", flat=True
    )
    topics = Topic.objects.values_list("name", flat=True)
    text = "\n".join([*titles, *tags.distinct(), *topics])
    return frozenset(query_terms(text))


def spelling_suggestion(records, query, only=None, known=None):
    """A corrected query built from words the caller can find (``vocabulary(records)``, or
    ``known``), or None. With ``only``, only those words may change."""
    words = query_terms(query)
    if not words:
        return None
    known = vocabulary(records) if known is None else known
    corrected, changed = [], False
    for word in words:
        if word in known or word.isdigit() or (only is not None and word not in only):
            corrected.append(word)
            continue
        # A word can be within the cutoff only if the lengths allow it (2 shared / total length
        # >= cutoff): compare those alone.
        shortest, longest = (
            len(word) * SPELLING_CUTOFF / (2 - SPELLING_CUTOFF),
            len(word) * (2 - SPELLING_CUTOFF) / SPELLING_CUTOFF,
        )
        near = [other for other in known if shortest <= len(other) <= longest]
        close = difflib.get_close_matches(word, near, n=1, cutoff=SPELLING_CUTOFF)
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
