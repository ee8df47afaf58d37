"""The sorts are defined once (``portal.services.search.SORTS``): a search's matches and a browse
of the same records come in the order a sort names, whichever fields it names."""

import datetime

import pytest

from django.contrib.auth.models import AnonymousUser

from portal.models import RecordPage
from portal.services import search
from tests.factories import FindingFactory

pytestmark = pytest.mark.django_db

TITLES = ["cobalt bay", "Cobalt Anchor", "amber cobalt", "Basalt cobalt"]


@pytest.fixture
def records(indexes):
    for n, title in enumerate(TITLES):
        FindingFactory(parent=indexes["finding"], title=title, publication_date=datetime.date(2024, 1, 1 + n))
    return RecordPage.objects.visible_to(AnonymousUser())


def _titles(outcome):
    return [record.title for record in outcome.records]


@pytest.mark.parametrize("sort", ["newest", "oldest", "title"])
def test_a_sorted_search_lists_its_matches_in_the_order_browsing_lists_them(records, sort):
    browsed = _titles(search.search(records, "", sort=sort))
    assert sorted(browsed) == sorted(TITLES)
    assert _titles(search.search(records, "cobalt", sort=sort)) == browsed


def test_a_sort_added_to_the_sorts_orders_searches_too(records, monkeypatch):
    monkeypatch.setitem(search.SORTS, "last-added", search.Sort("Last added", ("-id",)))
    browsed = _titles(search.search(records, "", sort="last-added"))
    assert browsed == TITLES[::-1]  # (added in this order)
    assert _titles(search.search(records, "cobalt", sort="last-added")) == browsed
