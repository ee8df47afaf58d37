"""The public search page: ranking, highlights, facets, paging, suggestions and odd input."""

import datetime

import pytest

from django.core.cache import cache

from portal.services.facets import TermTable
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, SectorFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(indexes):
    finance, health = SectorFactory(slug="finance", name="Finance"), SectorFactory(slug="health", name="Health")
    security = TopicFactory(slug="security", name="Security")
    injection = TopicFactory(slug="prompt-injection", name="Prompt injection", parent=security)
    return {
        "title": FindingFactory(
            parent=indexes["finding"],
            title="Prompt injection in browsing agents",
            summary="Agents follow hidden text.",
            topics=[injection],
            sectors=[finance],
            publication_date=datetime.date(2024, 3, 1),
        ),
        "summary": LessonFactory(
            parent=indexes["lesson"],
            title="Support bot incident",
            summary="A prompt injection leaked tickets.",
            sectors=[health],
            publication_date=datetime.date(2023, 6, 1),
        ),
        "framework": FrameworkFactory(
            parent=indexes["framework"],
            title="Security controls for AI",
            summary="Controls for model security.",
            topics=[security],
            publication_date=datetime.date(2022, 1, 1),
        ),
        "hidden": FindingFactory(
            parent=indexes["finding"],
            title="Secret prompt injection exploit",
            summary="Restricted injection details.",
            sharing_level="TLP:AMBER",
            sectors=[finance],
        ),
    }


def titles(response):
    return [record.title for record in response.context["listing"].page]


def facet(response, name):
    return {v.value: v.count for v in response.context["listing"].facets[name]}


def test_title_match_ranks_above_summary_match_and_snippets_are_highlighted(client, corpus):
    response = client.get("/search/?q=prompt+injection")
    assert response.status_code == 200
    assert titles(response)[:2] == ["Prompt injection in browsing agents", "Support bot incident"]
    content = response.content.decode()
    assert "<mark>injection</mark>" in content or "<mark>Injection</mark>" in content
    assert '<meta name="robots" content="noindex">' in content


def test_records_the_visitor_may_not_see_leave_no_trace(client, corpus):
    response = client.get("/search/?q=injection")
    content = response.content.decode()
    assert "Secret prompt injection exploit" not in content and "Restricted injection" not in content
    assert response.context["listing"].total == 2
    assert facet(response, "sector") == {"finance": 1, "health": 1}
    suggestions = client.get("/search/suggest/?q=Secr").json()["suggestions"]
    assert "Secret prompt injection exploit" not in suggestions


def test_facets_combine_and_across_or_within(client, corpus):
    assert titles(client.get("/search/?q=injection&sector=finance")) == ["Prompt injection in browsing agents"]
    both = client.get("/search/?q=injection&sector=finance&sector=health")
    assert sorted(titles(both)) == ["Prompt injection in browsing agents", "Support bot incident"]
    none = client.get("/search/?q=injection&sector=health&kind=finding")
    assert titles(none) == []
    # A facet's counts ignore its own selection, so other values stay offered.
    assert facet(client.get("/search/?q=injection&sector=finance"), "sector") == {"finance": 1, "health": 1}


def test_a_chosen_value_that_matches_nothing_stays_listed_so_it_can_be_unticked(client, corpus):
    response = client.get("/search/?q=injection&sector=health&kind=finding")
    sectors = {v.value: (v.count, v.selected) for v in response.context["listing"].facets["sector"]}
    assert sectors["health"] == (0, True)
    response = client.get("/search/?q=support&topic=prompt-injection")
    topics = {v.value: (v.count, v.selected) for v in response.context["listing"].facets["topic"]}
    assert topics["prompt-injection"] == (0, True)


def test_topic_facet_is_a_tree_and_a_parent_includes_its_subtopics(client, corpus):
    response = client.get("/search/?q=")
    topics = {v.value: (v.count, v.depth) for v in response.context["listing"].facets["topic"]}
    assert topics == {"security": (2, 0), "prompt-injection": (1, 1)}
    assert sorted(titles(client.get("/search/?topic=security"))) == [
        "Prompt injection in browsing agents",
        "Security controls for AI",
    ]


def test_empty_query_browses_everything_with_facets_newest_first(client, corpus):
    response = client.get("/search/")
    assert titles(response) == [
        "Prompt injection in browsing agents",
        "Support bot incident",
        "Security controls for AI",
    ]
    assert facet(response, "kind") == {"finding": 1, "lesson": 1, "framework": 1}
    assert facet(response, "year") == {"2024": 1, "2023": 1, "2022": 1}


def test_sort_by_date(client, corpus):
    response = client.get("/search/?q=injection&sort=oldest")
    assert titles(response) == ["Support bot incident", "Prompt injection in browsing agents"]


def test_pagination_keeps_the_query_and_filters(client, indexes, settings):
    settings.PORTAL_PAGE_SIZE = 2
    sector = SectorFactory(slug="energy")
    for i in range(5):
        FindingFactory(parent=indexes["finding"], title=f"Grid model {i}", sectors=[sector])
    first = client.get("/search/?q=grid&sector=energy")
    assert "q=grid&amp;sector=energy&amp;page=2" in first.content.decode()
    assert len(titles(client.get("/search/?q=grid&sector=energy&page=3"))) == 1


def test_a_word_that_matches_nothing_is_searched_as_its_closest_spelling_and_the_page_says_so(client, corpus):
    response = client.get("/search/?q=injektion")
    listing = response.context["listing"]
    assert listing.corrected == "injection" and listing.total >= 1
    assert listing.spelling is None  # not also offered as "did you mean"
    assert "Showing results for <strong>injection</strong>" in response.content.decode()


HOSTILE = [
    '"unbalanced quote',
    "((((((((((",
    ")))",
    "AND OR NOT",
    "*",
    "ka*",
    "title:secret",
    "\x00\x01\x02",
    "注入攻撃 prompt",
    "x" * 499,
    "[" * 400,
    "\\",
    "%",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_give_results_or_a_friendly_message(client, corpus, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "Secret prompt injection exploit" not in response.content.decode()


@pytest.mark.parametrize(
    "query_string, status",
    [
        ("q=" + "x" * 600, 400),
        ("q=injection&sector=no-such-sector", 400),
        ("q=injection&kind=poem", 400),
        ("q=injection&year=abc", 400),
        ("q=injection&sort=sideways", 400),
        ("q=%ff%fe", 200),
        ("q=a&q=injection", 200),
        ("q=injection&page=abc", 200),
        ("q=injection&page=99999999999999999999999", 200),
        ("q=injection&page=-5", 200),
    ],
)
def test_odd_query_strings_answer_with_a_page(client, corpus, query_string, status):
    response = client.get(f"/search/?{query_string}")
    assert response.status_code == status
    assert b"<h1>Search</h1>" in response.content


def test_a_query_over_the_length_cap_gets_a_message_saying_the_cap(client, corpus):
    from portal.services.search import MAX_QUERY_LENGTH

    assert client.get("/search/", {"q": "x" * MAX_QUERY_LENGTH}).status_code == 200
    response = client.get("/search/", {"q": "x" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400
    assert f"Use at most {MAX_QUERY_LENGTH} characters." in response.content.decode()


def test_search_sorts_by_title_as_index_pages_do(client, corpus):
    response = client.get("/search/?q=injection&sort=title")
    assert titles(response) == ["Prompt injection in browsing agents", "Support bot incident"]


def test_autocomplete_suggests_titles(client, corpus):
    assert "Prompt injection in browsing agents" in client.get("/search/suggest/?q=prompt").json()["suggestions"]
    assert client.get("/search/suggest/?q=").json() == {"suggestions": []}


def test_search_page_query_count_does_not_grow_with_results(client, indexes, django_assert_max_num_queries, settings):
    sector = SectorFactory(slug="energy")

    def add(n):
        for i in range(n):
            FindingFactory(parent=indexes["finding"], title=f"Grid model {i}", sectors=[sector])

    add(3)
    client.get("/search/?q=grid&sector=energy")
    cache.clear()  # count the queries of a search computed afresh, not kept from the last request
    TermTable._current = None  # (adding records below renews the facet table too)
    with django_assert_max_num_queries(40) as few:
        client.get("/search/?q=grid&sector=energy")
    add(25)
    with django_assert_max_num_queries(len(few)):
        client.get("/search/?q=grid&sector=energy")
    with django_assert_max_num_queries(40) as browse:
        client.get("/search/?sector=energy")  # (the facet table is current: built just above)
    browsed = len(browse)  # (read now: the next request empties the log it is read from)
    add(10)
    client.get("/search/?sector=energy&kind=finding")  # renews the facet table, then count again
    with django_assert_max_num_queries(browsed):
        client.get("/search/?sector=energy")


def test_repeated_search_reuses_matches_and_facets_until_a_record_changes(
    client, indexes, django_assert_max_num_queries
):
    sector = SectorFactory(slug="energy", name="Energy")
    FindingFactory(parent=indexes["finding"], title="Grid model one", sectors=[sector])
    url = "/search/?q=grid&sector=energy"
    with django_assert_max_num_queries(40) as cold:
        first = client.get(url)
    with django_assert_max_num_queries(40) as warm:
        again = client.get(url)
    assert len(warm) < len(cold)
    assert again.content == first.content
    FindingFactory(parent=indexes["finding"], title="Grid model two", sectors=[sector])
    after = client.get(url).content.decode()
    assert "model two" in after  # a new record makes a fresh key: no stale matches
    assert "2 results for" in after


def test_cached_listing_is_not_shared_between_audiences(client, indexes, django_user_model):
    from portal.models import SharingLevel

    FindingFactory(parent=indexes["finding"], title="Grid public")
    FindingFactory(parent=indexes["finding"], title="Grid for partners", sharing_level=SharingLevel.GREEN)
    partner = django_user_model.objects.create_user("partner", password="pw-partner-1")
    client.force_login(partner)
    assert "for partners" in client.get("/search/?q=grid").content.decode()
    client.logout()
    anonymous = client.get("/search/?q=grid").content.decode()
    assert "public" in anonymous
    assert "for partners" not in anonymous
    assert "1 result for" in anonymous  # not the partner's count of two


def test_caching_can_be_turned_off(client, indexes, settings, django_assert_max_num_queries):
    settings.PORTAL_CACHE_SECONDS = 0
    FindingFactory(parent=indexes["finding"], title="Grid model one")
    client.get("/search/?q=grid")  # warms what Django and Wagtail keep anyway (site, content types)
    with django_assert_max_num_queries(40) as first:
        client.get("/search/?q=grid")
    with django_assert_max_num_queries(len(first)) as again:
        client.get("/search/?q=grid")
    assert len(again) == len(first)


def test_facet_counts_of_a_search_follow_a_changed_record_at_once(client, indexes):
    energy = SectorFactory(slug="energy", name="Energy")
    finding = FindingFactory(parent=indexes["finding"], title="Grid model one", sectors=[energy])
    assert facet(client.get("/search/?q=grid"), "sector") == {"energy": 1}
    FindingFactory(parent=indexes["finding"], title="Grid model two", sectors=[energy])
    assert facet(client.get("/search/?q=grid"), "sector") == {"energy": 2}
    finding.sectors.set([SectorFactory(slug="water", name="Water")])
    finding.save_revision().publish()  # a change-log entry: the facet table is read again
    assert facet(client.get("/search/?q=grid"), "sector") == {"energy": 1, "water": 1}


@pytest.mark.parametrize(
    "selections",
    [{}, {"sector": ["finance"]}, {"topic": ["security"], "kind": ["finding", "framework"]}, {"year": ["2024"]}],
)
def test_facet_counts_from_the_table_agree_with_the_database(corpus, selections):
    """Every count the facet table gives is what filtering in the database finds: the value
    added to the other facets' selections, over the records the visitor may see."""
    from django.contrib.auth.models import AnonymousUser

    from portal.models import RecordPage
    from portal.services.facets import TermTable, filter_queryset

    unused = TopicFactory(slug="unused", name="Unused")  # no record: never listed
    visible = RecordPage.objects.visible_to(AnonymousUser())
    table = TermTable.current()
    ids = list(visible.values_list("pk", flat=True))
    counted = table.counts(ids, selections, table.chosen(selections))
    assert counted["kind"], "the corpus gives every facet something to count"
    for name, values in counted.items():
        others = {other: chosen for other, chosen in selections.items() if other != name}
        for value in values:
            expected = filter_queryset(visible, {**others, name: [value.value]}).count()
            assert value.count == expected, (name, value.value)
            assert value.selected == (value.value in selections.get(name, ()))
        assert unused.slug not in {v.value for v in values}
    sectors = {v.value: v.count for v in counted["sector"]}
    if not selections:
        assert sectors == {"finance": 1, "health": 1}  # the TLP:AMBER finding is not counted
        assert {v.value: v.count for v in counted["topic"]} == {"security": 2, "prompt-injection": 1}


@pytest.mark.parametrize(
    "selections",
    [
        {"sector": ["finance"]},
        {"topic": ["security"]},
        {"topic": ["security"], "kind": ["finding"]},
        {"year": ["1999"]},
    ],
)
def test_narrowing_matches_by_facets_keeps_what_the_database_keeps(corpus, selections):
    from portal.models import RecordPage
    from portal.services.facets import TermTable, filter_queryset

    everything = list(RecordPage.objects.order_by("-pk").values_list("pk", flat=True))
    kept = set(filter_queryset(RecordPage.objects.all(), selections).values_list("pk", flat=True))
    assert kept or "year" in selections  # (no record of 1999: narrowing to nothing is tested too)
    table = TermTable.current()
    assert table.narrow(everything, table.chosen(selections)) == [pk for pk in everything if pk in kept]
