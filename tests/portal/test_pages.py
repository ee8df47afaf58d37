"""What a visitor sees: record pages, index pages, term pages, and what they must not see."""

import datetime

import pytest

from django.core.cache import cache

from portal.services.facets import TermTable
from tests.factories import (
    CrossLinkFactory,
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def test_home_page_lists_latest_findings_lessons_and_frameworks(client, indexes):
    FrameworkFactory(parent=indexes["framework"], title="NIST AI RMF")
    FindingFactory(parent=indexes["finding"], title="Multilingual jailbreaks")
    LessonFactory(parent=indexes["lesson"], title="Chatbot liability")
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    for title in ("NIST AI RMF", "Multilingual jailbreaks", "Chatbot liability"):
        assert title in content


def test_home_page_lists_the_first_frameworks_by_title_and_links_to_all(client, indexes, monkeypatch):
    from portal.models import HomePage

    monkeypatch.setattr(HomePage, "FRAMEWORKS_SHOWN", 2)
    for title in ("Charlie framework", "Alpha framework", "Bravo framework"):
        FrameworkFactory(parent=indexes["framework"], title=title)
    content = client.get("/").content.decode()
    assert "Alpha framework" in content and "Bravo framework" in content
    assert "Charlie framework" not in content
    assert 'href="/frameworks/">All 3 frameworks</a>' in content


def test_framework_page_shows_provisions_with_anchors_in_outline_order(client, indexes):
    framework = FrameworkFactory(parent=indexes["framework"], slug="nist-ai-rmf", version="1.0")
    ProvisionFactory(framework=framework, code="GOVERN", title="Govern", level=1, sort_order=0)
    ProvisionFactory(framework=framework, code="GOVERN 1", title="Policies", level=2, sort_order=1)
    ProvisionFactory(framework=framework, code="GOVERN 1.1", title="Legal requirements", level=3, sort_order=2)
    ProvisionFactory(framework=framework, code="MAP", title="Map", level=1, sort_order=3)
    response = client.get("/frameworks/nist-ai-rmf/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="govern-1-1"' in content
    assert content.index('id="govern"') < content.index('id="govern-1"') < content.index('id="govern-1-1"')
    assert content.index('id="govern-1-1"') < content.index('id="map"')
    # GOVERN 1.1 is nested inside GOVERN 1's list, MAP is not.
    govern_1 = content[content.index('id="govern-1"') : content.index('id="map"')]
    assert 'id="govern-1-1"' in govern_1


def test_finding_page_shows_citation_and_kind_fields(client, indexes):
    FindingFactory(
        parent=indexes["finding"],
        slug="lrl-jailbreak",
        title="Low-Resource Languages Jailbreak GPT-4",
        authors="Zheng-Xin Yong\nCristina Menghini",
        venue="arXiv",
        doi="10.48550/arXiv.2310.02446",
        finding_type="evaluation",
        systems_examined="GPT-4",
    )
    content = client.get("/findings/lrl-jailbreak/").content.decode()
    assert "Zheng-Xin Yong; Cristina Menghini" in content
    assert "https://doi.org/10.48550/arXiv.2310.02446" in content
    assert "Evaluation result" in content
    assert "GPT-4" in content


def test_lesson_page_shows_what_happened_and_recommendations(client, indexes):
    LessonFactory(
        parent=indexes["lesson"],
        slug="tay",
        what_happened="Users coordinated to teach it abuse.",
        recommendations="Red-team the learning loop.\nPlan a switch-off.",
        event_date=datetime.date(2016, 3, 23),
    )
    content = client.get("/lessons/tay/").content.decode()
    assert "Users coordinated to teach it abuse." in content
    assert "<li>Plan a switch-off.</li>" in content
    assert "23 March 2016" in content


def test_record_page_shows_outgoing_links_and_backlinks_grouped_by_type(client, indexes):
    framework = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="AI RMF")
    govern = ProvisionFactory(framework=framework, code="GOVERN 1.1", title="Legal requirements")
    finding = FindingFactory(parent=indexes["finding"], slug="f", title="Jailbreak study", summary="Shows a gap.")
    lesson = LessonFactory(parent=indexes["lesson"], slug="l", title="Chatbot incident")
    CrossLinkFactory(source=finding, target=framework, target_provision=govern, link_type="addresses")
    CrossLinkFactory(source=lesson, target=finding, link_type="supports")

    finding_page = client.get("/findings/f/").content.decode()
    assert "This finding addresses" in finding_page
    assert "/frameworks/rmf/#govern-1-1" in finding_page
    assert "This finding is supported by" in finding_page
    assert "Chatbot incident" in finding_page

    framework_page = client.get("/frameworks/rmf/").content.decode()
    assert "This framework is addressed by" in framework_page
    assert "Jailbreak study" in framework_page
    assert "Shows a gap." in framework_page
    assert 'href="#govern-1-1">GOVERN 1.1</a>' in framework_page


def test_draft_record_answers_404_and_is_absent_from_listings_terms_and_links(client, indexes):
    topic = TopicFactory(slug="prompt-injection")
    published = FindingFactory(parent=indexes["finding"], slug="published", title="Published finding", topics=[topic])
    draft = FindingFactory(
        parent=indexes["finding"], slug="draft", title="Secret draft finding", live=False, topics=[topic]
    )
    CrossLinkFactory(source=published, target=draft, link_type="cites")
    CrossLinkFactory(source=draft, target=published, link_type="supports")

    assert client.get("/findings/draft/").status_code == 404
    for url in ("/", "/findings/", "/topics/prompt-injection/", "/findings/published/", "/topics/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Secret draft finding" not in response.content.decode(), url
    assert "1 record" in client.get("/topics/").content.decode()


def test_unpublished_and_expired_records_answer_404(client, indexes):
    unpublished = FindingFactory(parent=indexes["finding"], slug="gone")
    unpublished.unpublish()
    FindingFactory(
        parent=indexes["finding"],
        slug="expired",
        expire_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )
    assert client.get("/findings/gone/").status_code == 404
    assert client.get("/findings/expired/").status_code == 404
    assert "expired" not in client.get("/findings/").content.decode().lower().replace("not expired", "")


def test_term_page_lists_records_under_a_topic_and_its_subtopics(client, indexes):
    parent = TopicFactory(slug="privacy-security", name="Privacy & security")
    child = TopicFactory(slug="attacks", name="Attacks", parent=parent)
    FindingFactory(parent=indexes["finding"], title="Attack study", topics=[child])
    FindingFactory(parent=indexes["finding"], title="Unrelated study", topics=[TopicFactory()])
    content = client.get("/topics/privacy-security/").content.decode()
    assert "Attack study" in content
    assert "Unrelated study" not in content
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_term_list_pages_exist_for_every_kind_of_term(client, indexes):
    SectorFactory(name="Telecommunications", slug="telecommunications")
    for kind in ("topics", "sectors", "jurisdictions", "organisations", "languages"):
        assert client.get(f"/{kind}/").status_code == 200
    assert "Telecommunications" in client.get("/sectors/").content.decode()


def test_record_page_query_count_does_not_grow_with_links(
    client, indexes, django_assert_max_num_queries, uncached_pages
):
    framework = FrameworkFactory(parent=indexes["framework"], slug="rmf")
    for i in range(3):
        ProvisionFactory(framework=framework, code=f"G {i}")
    finding = FindingFactory(parent=indexes["finding"], slug="f", organisations=[OrganisationFactory()])

    def add_links(n):
        for _ in range(n):
            other = LessonFactory(parent=indexes["lesson"])
            CrossLinkFactory(source=finding, target=other)
            CrossLinkFactory(source=other, target=finding, link_type="supports")
            CrossLinkFactory(source=other, target=framework, target_provision=framework.provisions.first())

    add_links(2)
    client.get("/findings/f/")  # warm caches (site root paths, content types)
    with django_assert_max_num_queries(25) as few:
        client.get("/findings/f/")
    add_links(10)
    with django_assert_max_num_queries(len(few)):
        client.get("/findings/f/")
    with django_assert_max_num_queries(30) as framework_few:
        client.get("/frameworks/rmf/")
    add_links(10)
    with django_assert_max_num_queries(len(framework_few)):
        client.get("/frameworks/rmf/")


def test_index_and_term_page_query_count_does_not_grow_with_records(client, indexes, django_assert_max_num_queries):
    topic = TopicFactory(slug="t")

    def add_findings(n):
        for _ in range(n):
            FindingFactory(parent=indexes["finding"], topics=[topic], organisations=[OrganisationFactory()])

    add_findings(2)
    client.get("/findings/")
    # Count the queries of a listing computed afresh, not kept from the last request, with the
    # facet table read again as after any change to a record.
    cache.clear()
    TermTable._current = None
    with django_assert_max_num_queries(30) as index_few:
        client.get("/findings/")
    with django_assert_max_num_queries(30) as term_few:
        client.get("/topics/t/")
    add_findings(15)
    cache.clear()
    TermTable._current = None
    with django_assert_max_num_queries(len(index_few)):
        client.get("/findings/")
    with django_assert_max_num_queries(len(term_few)):
        client.get("/topics/t/")


def test_record_page_parts_come_from_the_cache_until_a_record_changes(client, indexes, django_assert_max_num_queries):
    framework = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="Risk framework")
    ProvisionFactory(framework=framework, code="GOVERN 1.1", sort_order=0)
    framework.save_revision().publish()
    first_finding = FindingFactory(parent=indexes["finding"], title="First evidence")
    CrossLinkFactory(source=first_finding, target=framework)
    with django_assert_max_num_queries(60) as cold:
        first = client.get("/frameworks/rmf/").content.decode()
    with django_assert_max_num_queries(60) as warm:
        again = client.get("/frameworks/rmf/").content.decode()
    assert len(warm) < len(cold)
    assert again == first
    second = FindingFactory(parent=indexes["finding"], title="Second evidence")  # a change-log entry
    CrossLinkFactory(source=second, target=framework)
    after = client.get("/frameworks/rmf/").content.decode()
    assert "First evidence" in after and "Second evidence" in after  # the new backlink shows at once


def test_home_page_shows_a_new_finding_at_once_although_its_lists_are_cached(client, indexes):
    FindingFactory(parent=indexes["finding"], title="Older finding", publication_date=datetime.date(2023, 1, 1))
    assert "Older finding" in client.get("/").content.decode()
    FindingFactory(parent=indexes["finding"], title="Newest finding", publication_date=datetime.date(2025, 1, 1))
    page = client.get("/").content.decode()
    assert "Newest finding" in page
    assert "2 records" in page
