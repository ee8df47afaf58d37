"""Atom feeds: what each one lists, what it never shows, and what it costs."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CrossLinkFactory, FindingFactory, FrameworkFactory, LessonFactory
from tests.metadata.conftest import hidden_markers

pytestmark = pytest.mark.django_db

ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def entries(response):
    """[{title, id, link, summary, published, updated, authors, categories}] of an Atom response."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own response, not untrusted input)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    found = []
    for entry in root.findall("atom:entry", ATOM):
        found.append(
            {
                "title": entry.findtext("atom:title", namespaces=ATOM),
                "id": entry.findtext("atom:id", namespaces=ATOM),
                "link": entry.find("atom:link[@rel='alternate']", ATOM).get("href"),
                "summary": entry.findtext("atom:summary", namespaces=ATOM),
                "published": entry.findtext("atom:published", namespaces=ATOM),
                "updated": entry.findtext("atom:updated", namespaces=ATOM),
                "authors": [a.findtext("atom:name", namespaces=ATOM) for a in entry.findall("atom:author", ATOM)],
                "categories": [c.get("term") for c in entry.findall("atom:category", ATOM)],
            }
        )
    return found


def assert_nothing_hidden(response, catalogue):
    content = response.content.decode()
    for record in catalogue.hidden:
        for marker in hidden_markers(record):
            assert marker not in content, (record.slug, marker)


def test_findings_feed_lists_public_findings_with_their_metadata(client, catalogue):
    response = client.get("/feeds/findings/")
    [entry] = entries(response)
    finding = catalogue.finding
    assert entry["title"] == finding.title
    assert entry["id"] == f"urn:uuid:{finding.uuid}"
    assert entry["link"] == "http://testserver/findings/public-finding/"
    assert entry["summary"] == finding.summary
    assert entry["published"].startswith("2024-05-01")
    assert entry["updated"] == finding.last_published_at.isoformat()
    assert entry["authors"] == ["Zheng-Xin Yong", "José Müller"]
    assert entry["categories"] == ["Privacy & security"]


def test_findings_feed_leaves_out_green_draft_and_expired_findings(client, catalogue):
    assert_nothing_hidden(client.get("/feeds/findings/"), catalogue)


def test_lessons_feed_lists_public_lessons_only_with_organisations_as_authors(client, catalogue):
    response = client.get("/feeds/lessons/")
    [entry] = entries(response)
    assert entry["id"] == f"urn:uuid:{catalogue.lesson.uuid}"
    assert entry["authors"] == ["National Institute of Standards and Technology"]
    assert_nothing_hidden(response, catalogue)


def test_topic_feed_lists_records_under_the_topic_and_its_subtopics(client, catalogue):
    expected = {f"urn:uuid:{catalogue.finding.uuid}", f"urn:uuid:{catalogue.lesson.uuid}"}
    child = client.get("/feeds/topics/privacy/")
    assert {entry["id"] for entry in entries(child)} == expected
    assert_nothing_hidden(child, catalogue)
    # The framework is tagged with the parent topic; the finding and lesson with its sub-topic.
    parent = client.get("/feeds/topics/risk/")
    assert {entry["id"] for entry in entries(parent)} == expected | {f"urn:uuid:{catalogue.framework.uuid}"}
    assert_nothing_hidden(parent, catalogue)


def test_topic_feed_of_a_topic_with_only_hidden_records_is_empty(client, catalogue):
    response = client.get("/feeds/topics/unused/")
    assert entries(response) == []
    assert_nothing_hidden(response, catalogue)


def test_framework_feed_lists_records_linking_to_it_or_its_provisions_newest_first(client, catalogue):
    response = client.get("/feeds/frameworks/ai-rmf/")
    # The lesson was first published on the portal after the finding.
    assert [entry["id"] for entry in entries(response)] == [
        f"urn:uuid:{catalogue.lesson.uuid}",
        f"urn:uuid:{catalogue.finding.uuid}",
    ]
    assert_nothing_hidden(response, catalogue)


def test_feeds_of_unknown_topics_and_frameworks_are_not_found(client, catalogue):
    assert client.get("/feeds/topics/no-such-topic/").status_code == 404
    assert client.get("/feeds/frameworks/no-such-framework/").status_code == 404


def test_feed_of_a_framework_the_reader_may_not_see_is_not_found(client, catalogue):
    response = client.get("/feeds/frameworks/partner-framework/")
    assert response.status_code == 404
    assert "HIDDENFRAMEWORK" not in response.content.decode()


def test_signed_in_partner_gets_green_records_in_a_private_feed_and_anonymous_readers_still_do_not(
    client, catalogue, partner
):
    client.force_login(partner)
    response = client.get("/feeds/findings/")
    assert "HIDDENGREENTITLE" in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert "HIDDENDRAFTTITLE" not in response.content.decode()
    client.logout()
    anonymous = client.get("/feeds/findings/")
    assert "HIDDENGREENTITLE" not in anonymous.content.decode()
    assert "private" not in anonymous.get("Cache-Control", "")


def test_index_topic_and_framework_pages_announce_their_feeds(client, catalogue):
    pages = {
        "/findings/": "/feeds/findings/",
        "/lessons/": "/feeds/lessons/",
        "/topics/privacy/": "/feeds/topics/privacy/",
        "/frameworks/ai-rmf/": "/feeds/frameworks/ai-rmf/",
    }
    for page, feed in pages.items():
        content = client.get(page).content.decode()
        links = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', content)
        assert links == [feed], page
    assert "application/atom+xml" not in client.get("/sectors/").content.decode()


def add_records(indexes, framework, topic, count):
    """``count`` public records of each kind, under ``topic`` and linking to ``framework``."""
    for _ in range(count):
        records = [
            FindingFactory(parent=indexes["finding"], topics=[topic], authors="A. Author\nB. Author"),
            LessonFactory(parent=indexes["lesson"], topics=[topic]),
            FrameworkFactory(parent=indexes["framework"], topics=[topic]),
        ]
        for record in records:
            CrossLinkFactory(source=record, target=framework)


@pytest.mark.parametrize(
    "url", ["/feeds/findings/", "/feeds/lessons/", "/feeds/topics/privacy/", "/feeds/frameworks/ai-rmf/"]
)
def test_feed_query_count_does_not_grow_with_its_entries(
    client, catalogue, indexes, url, django_assert_max_num_queries
):
    add_records(indexes, catalogue.framework, catalogue.topic, 1)
    client.get(url)  # warm the per-process caches (site root paths, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add_records(indexes, catalogue.framework, catalogue.topic, 6)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(entries(response)) > 6
    assert len(many) == len(few)


def test_feed_lists_at_most_fifty_entries(client, catalogue, indexes):
    for n in range(52):
        FindingFactory(parent=indexes["finding"], publication_date=datetime.date(2020, 1, 1) + datetime.timedelta(n))
    assert len(entries(client.get("/feeds/findings/"))) == 50
