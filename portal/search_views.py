"""The web's listings, each rendering the search pipeline's outcome (``portal/services/search.py``):
the search page (/search/), its autocomplete (/search/suggest/) and the record index pages
(/findings/, /frameworks/, /lessons/: one kind, filtered, sorted and paged, with facets).

Odd input gives results or a friendly message, never an error page: a value a form refuses is a
400 page naming it; a malformed page number gives the first page, a huge one the last.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse

from wagtail.models import Page

from portal.caching import audience_key
from portal.filters import RecordFilterForm, SearchForm
from portal.models import RecordIndexPage, RecordPage
from portal.services import search as pipeline


def search(request):
    """One box over every kind of record the visitor may see, with facets; an empty query
    browses everything."""
    form = SearchForm(request.GET or None)
    outcome, status = _listing(request, form, RecordPage.objects.visible_to(request.user), scope="search")
    return render(request, "portal/search.html", {"listing": outcome, "form": form}, status=status)


def suggest(request):
    """Titles completing what the visitor has typed, for the search box (JSON)."""
    form = SearchForm({"q": request.GET.get("q", "")})
    if not form.is_valid() or len(form.cleaned_data["q"]) < 2:
        return JsonResponse({"suggestions": []})
    titles = pipeline.completions(RecordPage.objects.visible_to(request.user), form.cleaned_data["q"], limit=8)
    return JsonResponse({"suggestions": titles})


def record_index(request, page):
    """A record index page: the records of its kind under it, with every facet but the kind."""
    form = RecordFilterForm(request.GET or None)
    outcome, status = _listing(request, form, page.listed_records(request.user), scope=f"index:{page.pk}")
    outcome.facets = {name: values for name, values in outcome.facets.items() if name != "kind"}
    # The page's own context (page, request), without the unfiltered records its get_context
    # adds for previews.
    context = Page.get_context(page, request)
    context.update(filter_form=form, listing=outcome, records=outcome.page)
    return TemplateResponse(request, page.get_template(request), context, status=status)


def serve_record_indexes(serve):
    """An ``on_serve_page`` hook (registered in ``portal/wagtail_hooks.py``, after Wagtail's view
    restrictions): record index pages are answered by ``record_index``, other pages as usual.
    A page model imports nothing above it, so the filtering view cannot be its ``serve``."""

    def serve_page(page, request, args, kwargs):
        if isinstance(page, RecordIndexPage):
            request.is_preview = False
            return record_index(request, page)
        return serve(page, request, args, kwargs)

    return serve_page


def _listing(request, form, records, *, scope):
    """The pipeline's outcome for a listing's form, and the status of the page showing it."""
    if form.is_bound and not form.is_valid():
        return pipeline.empty_outcome(), 400
    data = form.cleaned_data if form.is_bound else {}
    outcome = pipeline.search(
        records,
        data.get("q", ""),
        form.selections() if form.is_bound else {},
        form.chosen_sort() if form.is_bound else form.default_sort,
        _page_number(request),
        settings.PORTAL_PAGE_SIZE,
        cache_as=(scope, audience_key(request.user)),
    )
    return outcome, 200


def _page_number(request):
    """The requested page: malformed numbers give the first page, huge ones are capped (the
    paginator then shows the last page that exists)."""
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, pipeline.MAX_PAGE))
