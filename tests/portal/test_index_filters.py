"""Index pages: filter by topic, sector, jurisdiction, language, organisation and year; sort; page."""

import datetime

import pytest

from tests.factories import (
    FindingFactory,
    JurisdictionFactory,
    LanguageFactory,
    OrganisationFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings(indexes):
    security = TopicFactory(slug="security", name="Security")
    injection = TopicFactory(slug="prompt-injection", name="Prompt injection", parent=security)
    telecom = SectorFactory(slug="telecommunications")
    sg = JurisdictionFactory(code="SG")
    tamil = LanguageFactory(code="ta")
    imda = OrganisationFactory(slug="imda")
    parent = indexes["finding"]
    return {
        "injection": FindingFactory(
            parent=parent,
            title="Alpha injection",
            topics=[injection],
            sectors=[telecom],
            publication_date=datetime.date(2023, 5, 1),
        ),
        "tamil": FindingFactory(
            parent=parent,
            title="Beta Tamil",
            languages=[tamil],
            jurisdictions=[sg],
            organisations=[imda],
            publication_date=datetime.date(2024, 5, 1),
        ),
        "plain": FindingFactory(parent=parent, title="Gamma plain", publication_date=datetime.date(2022, 5, 1)),
    }


def titles(response):
    return [record.title for record in response.context["records"]]


def test_index_lists_newest_first_by_default(client, findings):
    assert titles(client.get("/findings/")) == ["Beta Tamil", "Alpha injection", "Gamma plain"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("topic=security", ["Alpha injection"]),  # a parent topic includes its sub-topics
        ("sector=telecommunications", ["Alpha injection"]),
        ("jurisdiction=SG", ["Beta Tamil"]),
        ("language=ta", ["Beta Tamil"]),
        ("organisation=imda", ["Beta Tamil"]),
        ("year=2022", ["Gamma plain"]),
        ("sort=title", ["Alpha injection", "Beta Tamil", "Gamma plain"]),
        ("sort=oldest", ["Gamma plain", "Alpha injection", "Beta Tamil"]),
        ("topic=security&language=ta", []),  # AND across filters
        ("language=ta&sector=telecommunications", []),
        ("topic=prompt-injection&year=2023", ["Alpha injection"]),
    ],
)
def test_index_filters(client, findings, query, expected):
    response = client.get(f"/findings/?{query}")
    assert response.status_code == 200
    assert titles(response) == expected


def test_several_values_of_one_filter_match_any(client, findings):
    response = client.get("/findings/?language=ta&topic=prompt-injection")
    assert titles(response) == []
    SectorFactory(slug="finance")
    response = client.get("/findings/?sector=telecommunications&sector=finance")
    assert titles(response) == ["Alpha injection"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("topic=no-such-topic", "There is no topic called “no-such-topic”."),
        ("year=abc", "The year must be a number such as 2024."),
        ("year=99999", "Choose a year between 1900 and 2100."),
        ("sort=random", "Sort by newest, oldest or title."),
        ("language=%00%ff", "Null characters are not allowed."),
        ("language=%ff", "There is no language called"),
    ],
)
def test_malformed_or_unknown_filters_answer_400_with_a_message(client, findings, query, message):
    response = client.get(f"/findings/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert titles(response) == []


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999999999999", "2"])
def test_odd_page_numbers_give_a_page_not_an_error(client, findings, page):
    response = client.get(f"/findings/?page={page}")
    assert response.status_code == 200


def test_pagination_keeps_filters_in_links(client, indexes, settings):
    settings.PORTAL_PAGE_SIZE = 2
    topic = TopicFactory(slug="t")
    for _ in range(5):
        FindingFactory(parent=indexes["finding"], topics=[topic])
    content = client.get("/findings/?topic=t&sort=title").content.decode()
    assert "topic=t&amp;sort=title&amp;page=2" in content
    assert len(client.get("/findings/?topic=t&page=3").context["records"]) == 1


def test_index_page_facets_count_what_each_further_value_would_add(client, findings):
    response = client.get("/findings/?year=2023")
    facets = {name: {v.value: v.count for v in values} for name, values in response.context["listing"].facets.items()}
    assert facets["year"] == {"2022": 1, "2023": 1, "2024": 1}  # its own selection left out
    assert facets["topic"] == {"security": 1, "prompt-injection": 1}  # the year applied
    assert facets["language"] == {}
    assert "kind" not in facets  # one kind of record on an index page


def test_a_restricted_index_page_asks_for_a_sign_in_before_listing(client, findings, indexes):
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(page=indexes["finding"], restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/findings/?topic=security")
    assert response.status_code == 302 and "Alpha injection" not in response.content.decode()


def test_index_page_preview_lists_the_records_without_filters(findings, indexes):
    response = indexes["finding"].make_preview_request()
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Beta Tamil") < content.index("Alpha injection") < content.index("Gamma plain")
    assert "3 findings" in content


def test_finding_cannot_be_created_under_a_framework_index(indexes):
    from findings.models import FindingPage
    from frameworks.models import FrameworkIndexPage, FrameworkPage

    assert not FindingPage.can_create_at(indexes["framework"])
    assert FrameworkPage.can_create_at(indexes["framework"])
    assert FrameworkPage.allowed_parent_page_models() == [FrameworkIndexPage]
