"""The search contract the portal relies on, run on every backend it supports.

Each test runs on our Whoosh backend and on modelsearch's database backend (SQLite or
PostgreSQL), on the portal's own record pages: multi-table inheritance (Page > RecordPage >
FindingPage), boosts, related fields, filters, ordering, facets and autocomplete.
"""

import datetime

import pytest

from django.db.models import Q

from modelsearch.backends.base import FilterError, FilterFieldError
from modelsearch.query import Phrase, PlainText
from wagtail.models import Page

from findings.models import FindingPage
from frameworks.models import FrameworkPage
from portal.models import RecordPage

pytestmark = pytest.mark.django_db


def titles(results):
    return {r.title for r in results}


def test_page_search_finds_every_record_kind(backend, indexed):
    found = {type(page.specific) for page in backend.search("chatbot", Page.objects.live())}
    assert {FindingPage, FrameworkPage}.issubset(found)
    assert any(cls.__name__ == "LessonPage" for cls in found)


def test_search_on_a_kind_returns_only_that_kind(backend, indexed):
    results = backend.search("chatbot", FrameworkPage)
    assert titles(results) == {"Risk management framework for chatbot makers"}


def test_field_of_a_subclass_is_found_from_the_base_model(backend, indexed):
    results = backend.search("Gaelic", RecordPage)
    assert titles(results) == {"Multilingual jailbreak attacks on a chatbot"}


def test_related_topic_name_is_searchable(backend, indexed):
    results = backend.search("membership inference", RecordPage, operator="and")
    assert titles(results) == {"Poisoning web-scale training datasets"}


def test_live_filter_hides_drafts(backend, indexed):
    everything = titles(backend.search("jailbreak", RecordPage))
    live = titles(backend.search("jailbreak", RecordPage.objects.live()))
    assert "Unpublished chatbot jailbreak draft" in everything
    assert live == {"Multilingual jailbreak attacks on a chatbot"}


def test_date_range_filter(backend, indexed):
    qs = FindingPage.objects.live().filter(publication_date__gte=datetime.date(2023, 1, 1))
    assert titles(backend.search(PlainText("chatbot"), qs)) == {
        "Multilingual jailbreak attacks on a chatbot",
        "Poisoning web-scale training datasets",
    }


def test_exact_negated_and_or_filters(backend, indexed):
    live = FindingPage.objects.live()
    from modelsearch.query import MATCH_ALL

    assert titles(backend.search(MATCH_ALL, live.filter(finding_type="study"))) == {"Refusal behaviour study"}
    assert titles(backend.search(MATCH_ALL, live.exclude(finding_type="study"))) == {
        "Multilingual jailbreak attacks on a chatbot",
        "Poisoning web-scale training datasets",
    }
    either = live.filter(Q(status="replicated") | Q(finding_type="vulnerability"))
    assert titles(backend.search(MATCH_ALL, either)) == {
        "Refusal behaviour study",
        "Poisoning web-scale training datasets",
    }
    assert titles(backend.search(MATCH_ALL, live.filter(status__in=["preliminary", "replicated"]))) == {
        "Refusal behaviour study",
        "Poisoning web-scale training datasets",
    }


def test_tree_filter_keeps_descendants_of_one_index(backend, indexed, indexes):
    results = backend.search("chatbot", Page.objects.live().descendant_of(indexes["framework"]))
    assert titles(results) == {"Risk management framework for chatbot makers"}


def test_results_ordered_by_publication_date(backend, indexed):
    qs = RecordPage.objects.live().order_by("-publication_date")
    results = backend.search("chatbot", qs, order_by_relevance=False)
    dates = [r.publication_date for r in results]
    assert dates == sorted(dates, reverse=True)
    assert len(dates) == 4


def test_autocomplete_on_title_prefix(backend, indexed):
    results = backend.autocomplete("poiso", RecordPage)
    assert titles(results) == {"Poisoning web-scale training datasets"}


def test_facet_counts_finding_types(backend, indexed):
    from modelsearch.query import MATCH_ALL

    counts = backend.search(MATCH_ALL, FindingPage.objects.live()).facet("finding_type")
    assert dict(counts) == {"evaluation": 1, "vulnerability": 1, "study": 1}


def test_phrase_needs_words_in_order(backend, indexed):
    assert titles(backend.search(Phrase("refusal behaviour"), RecordPage)) == {"Refusal behaviour study"}
    assert titles(backend.search(Phrase("behaviour refusal"), RecordPage)) == set()


def test_count_and_slices_agree(backend, indexed):
    results = backend.search("chatbot", RecordPage.objects.live())
    assert results.count() == 4
    assert results[1:3].count() == 2
    assert len(list(results[1:3])) == 2


def test_filter_on_a_field_without_filterfield_raises(backend, indexed):
    with pytest.raises(FilterFieldError):
        list(backend.search("chatbot", RecordPage.objects.filter(source_url="https://example.org")))


def test_a_filter_is_applied_or_refused_never_dropped(backend, indexed):
    # The database backend applies any lookup in SQL; ours refuses the ones it cannot translate.
    qs = FindingPage.objects.filter(status__icontains="review")
    try:
        found = titles(backend.search("chatbot", qs))
    except FilterError:
        return
    assert found == {"Multilingual jailbreak attacks on a chatbot"}


def test_deleted_record_is_no_longer_found(backend, indexed):
    backend.delete(indexed["study"])
    backend.refresh_indexes()
    assert titles(backend.search("refusal", RecordPage.objects.live())) == {
        "Multilingual jailbreak attacks on a chatbot"
    }
