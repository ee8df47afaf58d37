"""search/: ranking, highlights, facets and suggestions, over records the caller may see only."""

import datetime

import pytest

from portal.services.search import MAX_QUERY_LENGTH
from tests.factories import FindingFactory, LessonFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def searchable(indexes):
    jailbreak = TopicFactory(slug="jailbreak", name="Jailbreaks")
    FindingFactory(
        parent=indexes["finding"],
        title="Multilingual jailbreaks of chat models",
        summary="Harmful requests translated into Zulu got past the refusal training.",
        publication_date=datetime.date(2023, 10, 1),
        topics=[jailbreak],
    )
    FindingFactory(
        parent=indexes["finding"],
        title="Refusal rates in twelve languages",
        summary="Models refused less often in low-resource languages; jailbreaks were common.",
        publication_date=datetime.date(2024, 6, 1),
    )
    LessonFactory(parent=indexes["lesson"], title="A chatbot promised a refund", summary="A tribunal ruled on it.")
    FindingFactory(
        parent=indexes["finding"],
        title="Secret jailbreak evaluation",
        summary="Only partners may read about this jailbreak.",
        sharing_level="TLP:AMBER",
        topics=[jailbreak],
    )


def search(client, status=200, **params):
    response = client.get("/api/v1/search/", params)
    assert response.status_code == status, response.content[:300]
    return response.json()


def test_search_finds_and_counts_only_records_the_caller_may_see(client, searchable):
    body = search(client, q="jailbreaks")
    assert body["total"] == 2
    assert {r["title"] for r in body["results"]} == {
        "Multilingual jailbreaks of chat models",
        "Refusal rates in twelve languages",
    }
    assert "Secret" not in str(body)


def test_search_orders_by_date_when_asked(client, searchable):
    oldest_first = ["Multilingual jailbreaks of chat models", "Refusal rates in twelve languages"]
    assert [r["title"] for r in search(client, q="jailbreaks", order="published")["results"]] == oldest_first
    assert [r["title"] for r in search(client, q="jailbreaks", order="-published")["results"]] == oldest_first[::-1]
    # The sorts' shared names (the web's), beside the API's older ones
    assert [r["title"] for r in search(client, q="jailbreaks", order="oldest")["results"]] == oldest_first
    assert [r["title"] for r in search(client, q="jailbreaks", order="newest")["results"]] == oldest_first[::-1]
    titles = [r["title"] for r in search(client, q="jailbreaks", order="title")["results"]]
    assert titles == sorted(oldest_first)
    assert "order" in search(client, status=400, q="jailbreaks", order="sideways")["error"]["parameters"]


def test_search_highlights_matches_in_title_and_summary(client, searchable):
    hit = search(client, q="zulu")["results"][0]
    assert (
        hit["highlights"]["summary"]
        == "Harmful requests translated into <mark>Zulu</mark> got past the refusal training."
    )
    assert hit["highlights"]["title"] is None
    assert hit["api_url"].endswith(f"/api/v1/records/{hit['uuid']}/")


def test_highlights_escape_the_record_text(client, indexes):
    FindingFactory(parent=indexes["finding"], title="Prompt <script>injection</script> study", summary="About it.")
    hit = search(client, q="injection")["results"][0]
    assert "<script>" not in hit["highlights"]["title"]
    assert "&lt;script&gt;<mark>injection</mark>" in hit["highlights"]["title"]


def test_facets_count_matching_visible_records(client, searchable):
    facets = search(client, q="jailbreaks")["facets"]
    assert facets["kind"] == [{"value": "finding", "label": "Finding", "count": 2}]
    assert facets["topic"] == [{"value": "jailbreak", "label": "Jailbreaks", "count": 1}]  # not 2: one is AMBER
    assert facets["year"] == [
        {"value": "2024", "label": "2024", "count": 1},
        {"value": "2023", "label": "2023", "count": 1},
    ]


def test_a_facets_counts_leave_out_its_own_selection_and_apply_the_others(client, searchable):
    body = search(client, q="jailbreaks", year=2023)
    assert body["total"] == 1
    # Each further year is offered with what it would add; the other facets count the 2023 match.
    assert body["facets"]["year"] == [
        {"value": "2024", "label": "2024", "count": 1},
        {"value": "2023", "label": "2023", "count": 1},
    ]
    assert body["facets"]["topic"] == [{"value": "jailbreak", "label": "Jailbreaks", "count": 1}]
    assert search(client, q="jailbreaks", year=2024)["facets"]["topic"] == []


def test_filters_narrow_search_results(client, searchable):
    assert search(client, q="jailbreaks", topic="jailbreak")["total"] == 1
    assert search(client, q="jailbreaks", year=[2023, 2024])["total"] == 2  # several years: any of them
    assert search(client, q="refund", kind="finding")["total"] == 0
    assert search(client, q="refund", kind="lesson")["total"] == 1


def test_a_misspelt_word_is_searched_as_the_closest_visible_word_and_says_so(client, searchable):
    """A word that matches nothing is searched as the closest word of the visible records (the
    results of that spelling come first, and the answer names it); "did you mean" is then not
    offered as well."""
    body = search(client, q="multilingal")
    assert body["suggestions"]["corrected"] == "multilingual"
    assert body["total"] >= 1 and "ultilingual" in body["results"][0]["title"] + body["results"][0]["summary"]
    assert body["suggestions"]["spelling"] is None
    assert search(client, q="multilingual")["suggestions"]["corrected"] is None


def test_completions_suggest_visible_titles(client, searchable):
    completions = search(client, q="refu")["suggestions"]["completions"]
    assert "Refusal rates in twelve languages" in completions
    assert "Secret jailbreak evaluation" not in completions


def test_search_pages_through_results(client, searchable):
    first = search(client, q="jailbreaks", page_size=1)
    second = client.get(first["next"]).json()
    assert first["results"][0]["uuid"] != second["results"][0]["uuid"]
    assert second["next"] is None and second["previous"]


@pytest.mark.parametrize("q", ["", "   ", "!!!", "a" * (MAX_QUERY_LENGTH + 1)])
def test_a_query_without_words_is_400(client, db, q):
    assert "q" in search(client, status=400, q=q)["error"]["parameters"]


def test_a_query_over_the_length_cap_is_400_saying_the_cap(client, db):
    assert search(client, q="a" * MAX_QUERY_LENGTH)["total"] == 0
    error = search(client, status=400, q="a" * (MAX_QUERY_LENGTH + 1))["error"]
    assert error["parameters"]["q"] == [f"Use at most {MAX_QUERY_LENGTH} characters."]


@pytest.mark.parametrize("q", ['"unclosed phrase', "AND OR NOT", "title:x", "(*)", "x" * 200, "‮ünïcödé ✓ 测试"])
def test_any_typed_text_gets_results_or_a_clear_message(client, searchable, q):
    response = client.get("/api/v1/search/", {"q": q})
    assert response.status_code in (200, 400)
