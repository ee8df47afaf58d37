"""Frameworks' provisions in the portal's searches: a query that matches a provision finds its
framework, and the result names the provision (``portal.services.matching``)."""

from wagtail.search.backends import get_search_backend

from portal.services.matching import MatchedPart, backend_query, register_part_finder

from .models import Provision


def provision_matches(query, operator):
    """[(framework id, MatchedPart)] of the provisions ``query`` matches, best first, over every
    framework (the search pipeline keeps those the visitor may see)."""
    query, operator = backend_query(query, operator)
    results = get_search_backend().search(query, Provision.objects.only("pk"), operator=operator)
    ranked = [provision.pk for provision in results]
    found = Provision.objects.filter(pk__in=ranked).only("pk", "framework_id", "code", "title").in_bulk()
    return [
        (found[pk].framework_id, MatchedPart(found[pk].code, found[pk].title, found[pk].anchor))
        for pk in ranked
        if pk in found
    ]


def register():
    register_part_finder(provision_matches)
