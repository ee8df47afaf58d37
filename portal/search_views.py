"""The public search page (/search/) and its autocomplete (/search/suggest/)."""

from django.http import JsonResponse
from django.shortcuts import render

from portal import listing
from portal.api import search as search_service
from portal.filters import SearchForm
from portal.models import RecordPage


def search(request):
    """One box over every kind of record the visitor may see, with facets; an empty query
    browses everything. Odd input gives results or a friendly message, never an error page."""
    form = SearchForm(request.GET or None)
    result = listing.build(request, form, RecordPage.objects.visible_to(request.user), scope="search")
    return render(request, "portal/search.html", {"listing": result, "form": form}, status=result.status)


def suggest(request):
    """Titles completing what the visitor has typed, for the search box (JSON)."""
    form = SearchForm({"q": request.GET.get("q", "")})
    if not form.is_valid() or len(form.cleaned_data["q"]) < 2:
        return JsonResponse({"suggestions": []})
    titles = search_service.completions(RecordPage.objects.visible_to(request.user), form.cleaned_data["q"], limit=8)
    return JsonResponse({"suggestions": titles})
