"""One listing machinery for the search page and the index pages: validate the query string,
filter by facets, search if there is a query, count the facets, and cut one page of results.

A search's matches and the facet counts are what a listing spends its time on, and a visitor who
pages through results or ticks facets asks for the same ones again: they are kept in the cache
(``portal/caching.py``) under the listing, the query, the facet choice, the visitor's audience
and the records' state. The page of records shown is always read through the visibility rule.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Paginator

from portal import facets
from portal.api import search as search_service
from portal.caching import audience_key, records_state, remembered
from portal.filters import SORTS

#: Deepest page a listing serves; further pages show the last one.
MAX_PAGES = 500


@dataclass
class Listing:
    form: object
    page: object = None  # a django Page of records
    facets: dict = field(default_factory=dict)
    total: int = 0
    query: str = ""
    spelling: str | None = None
    message: str = ""
    status: int = 200


def build(request, form, records, *, scope, with_kind=True):
    """A ``Listing`` of ``records`` (already limited to what the visitor may see) for ``form``.

    ``scope`` names the listing (the search page, one index page): with the visitor's audience
    and the records' state, it keys the cached matches and facet counts."""
    listing = Listing(form=form)
    if form.is_bound and not form.is_valid():
        listing.status = 400
        listing.page = Paginator([], 1).get_page(1)
        return listing
    data = form.cleaned_data if form.is_bound else {}
    selections = form.selections() if form.is_bound else {}
    if not with_kind:
        selections.pop("kind", None)
    query = data.get("q", "")
    listing.query = query
    size = settings.PORTAL_PAGE_SIZE
    state = records_state()
    key = (scope, audience_key(request.user), state)
    chosen = sorted((name, tuple(values)) for name, values in selections.items())

    def ids_for(text, order="relevance"):
        return lambda: search_service.matching_ids(records, text, order)

    if query and search_service.query_terms(query):
        try:
            ids = remembered((*key, "matches", query, form.order()), ids_for(query, form.order()))
        except search_service.SearchError as error:
            listing.message = str(error)
            ids = []
        matched = facets.narrow(ids, selections, state) if selections else ids
        listing.total = len(matched)
        page = Paginator(matched, size).get_page(_page_number(request))
        by_pk = records.filter(pk__in=list(page.object_list)).prefetch_related("organisations").in_bulk()
        page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
        listing.page = page
        listing.facets = remembered(
            (*key, "facets", query, chosen), lambda: facets.facets(records, selections, ids=ids, state=state)
        )
        terms = search_service.query_terms(query)
        for record in page.object_list:
            record.snippet = search_service.highlight(record.summary, terms) or ""
            record.title_html = search_service.highlight(record.title, terms, length=1000)
        if listing.total < 3 and not listing.message:
            suggestion = remembered(
                (*key, "spelling", query), lambda: search_service.spelling_suggestion(records, query)
            )
            if (
                suggestion
                and len(remembered((*key, "matches", suggestion, "relevance"), ids_for(suggestion))) > listing.total
            ):
                listing.spelling = suggestion
    else:
        if query:
            listing.message = "Type at least one word or number to search for."
        order = SORTS.get(data.get("sort"), SORTS["newest"])  # "relevance" means nothing without a query
        ordered = facets.apply(records, selections).order_by(*order)
        listing.page = Paginator(ordered.prefetch_related("organisations"), size).get_page(_page_number(request))
        listing.total = listing.page.paginator.count
        listing.facets = remembered((*key, "facets", "", chosen), lambda: facets.facets(records, selections))
    if not with_kind:
        listing.facets.pop("kind", None)
    return listing


def _page_number(request):
    """The requested page: malformed numbers give the first page, huge ones are capped (the
    paginator then shows the last page that exists)."""
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, MAX_PAGES))
