"""sitemap.xml lists what an anonymous robot may see, and robots.txt points to it."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import FindingFactory, TopicFactory
from tests.metadata.conftest import hidden_markers

pytestmark = pytest.mark.django_db

SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_urls(response):
    """{location: lastmod or None} of a sitemap response."""
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 (our own response, not untrusted input)
    return {
        url.findtext("s:loc", namespaces=SITEMAP): url.findtext("s:lastmod", namespaces=SITEMAP)
        for url in root.findall("s:url", SITEMAP)
    }


def test_sitemap_lists_home_index_pages_and_visible_records_with_lastmod(client, catalogue):
    urls = sitemap_urls(client.get("/sitemap.xml"))
    base = "http://testserver"
    for path in ("/", "/frameworks/", "/findings/", "/lessons/"):
        assert f"{base}{path}" in urls
    assert urls[f"{base}/findings/public-finding/"] == catalogue.finding.last_published_at.date().isoformat()
    assert f"{base}/lessons/public-lesson/" in urls
    assert f"{base}/frameworks/ai-rmf/" in urls


def test_sitemap_leaves_out_hidden_draft_and_expired_records(client, catalogue):
    response = client.get("/sitemap.xml")
    content = response.content.decode()
    for record in catalogue.hidden:
        assert f"/{record.slug}/" not in content
        for marker in hidden_markers(record):
            assert marker not in content


def test_sitemap_lists_only_terms_whose_pages_show_visible_records(client, catalogue):
    TopicFactory(slug="empty-topic")
    urls = sitemap_urls(client.get("/sitemap.xml"))
    base = "http://testserver"
    assert f"{base}/topics/" in urls
    assert f"{base}/topics/privacy/" in urls
    assert f"{base}/topics/risk/" in urls
    assert f"{base}/organisations/nist/" in urls
    # Only the TLP:GREEN finding uses this topic; an empty topic has no page worth listing.
    assert f"{base}/topics/unused/" not in urls
    assert f"{base}/topics/empty-topic/" not in urls


def test_sitemap_lists_a_parent_topic_whose_records_sit_under_a_sub_topic(client, indexes):
    parent = TopicFactory(slug="parent-topic")
    child = TopicFactory(slug="child-topic", parent=parent)
    FindingFactory(parent=indexes["finding"], topics=[child])
    urls = sitemap_urls(client.get("/sitemap.xml"))
    assert "http://testserver/topics/parent-topic/" in urls
    assert "http://testserver/topics/child-topic/" in urls


def test_signed_in_partner_gets_green_records_in_a_private_sitemap(client, catalogue, partner):
    client.force_login(partner)
    response = client.get("/sitemap.xml")
    assert "/findings/green-finding/" in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_sitemap_query_count_does_not_grow_with_records(client, catalogue, indexes):
    client.get("/sitemap.xml")
    with CaptureQueriesContext(connection) as few:
        client.get("/sitemap.xml")
    for n in range(8):
        FindingFactory(
            parent=indexes["finding"],
            topics=[catalogue.topic],
            organisations=[catalogue.nist],
            publication_date=datetime.date(2021, 1, 1) + datetime.timedelta(n),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/sitemap.xml")
    assert len(sitemap_urls(response)) > 8
    assert len(many) == len(few)


def test_robots_txt_allows_the_site_keeps_robots_out_of_private_areas_and_names_the_sitemap(client, db):
    response = client.get("/robots.txt", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/account/", "/search/", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines
    assert "Allow: /api/v1/docs/" in lines
    assert "Sitemap: https://testserver/sitemap.xml" in lines
