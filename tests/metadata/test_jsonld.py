"""schema.org JSON-LD on record pages: the right type and fields, safe inside its script tag, no
hidden linked record, and no change to the Content-Security-Policy."""

import json
import re

import pytest

from tests.factories import CrossLinkFactory, FindingFactory, FrameworkFactory, JurisdictionFactory, LessonFactory

pytestmark = pytest.mark.django_db

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def jsonld(response):
    assert response.status_code == 200
    [block] = JSONLD.findall(response.content.decode())
    return json.loads(block)


def test_finding_is_a_scholarly_article_with_authors_doi_and_topics(client, catalogue):
    data = jsonld(client.get("/findings/public-finding/"))
    finding = catalogue.finding
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ScholarlyArticle"
    assert data["name"] == finding.title
    assert data["description"] == finding.summary
    assert data["url"] == "http://testserver/findings/public-finding/"
    assert data["datePublished"] == "2024-05-01"
    assert data["dateModified"].startswith(finding.last_published_at.date().isoformat())
    assert data["inLanguage"] == "en"
    assert data["author"] == [{"@type": "Person", "name": "Zheng-Xin Yong"}, {"@type": "Person", "name": "José Müller"}]
    assert data["publisher"][0]["name"] == "National Institute of Standards and Technology"
    assert {"@type": "PropertyValue", "propertyID": "UUID", "value": str(finding.uuid)} in data["identifier"]
    assert {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.48550/arXiv.2310.02446"} in data["identifier"]
    assert "https://doi.org/10.48550/arXiv.2310.02446" in data["sameAs"]
    assert [topic["name"] for topic in data["about"]] == ["Privacy & security"]
    assert "Privacy & security" in data["keywords"]
    assert data["isPartOf"]["name"] == "arXiv"


def test_voluntary_framework_is_a_report_issued_by_its_body(client, catalogue):
    data = jsonld(client.get("/frameworks/ai-rmf/"))
    assert data["@type"] == "Report"
    assert data["author"][0]["name"] == "National Institute of Standards and Technology"
    assert data["version"] == "1.0"
    assert "legislationPassedBy" not in data


def test_binding_framework_is_legislation_in_force_in_its_jurisdiction(client, indexes):
    eu = JurisdictionFactory(code="EU", name="European Union")
    FrameworkFactory(
        parent=indexes["framework"],
        slug="ai-act",
        title="AI Act",
        legal_effect="binding",
        status="in_force",
        jurisdictions=[eu],
    )
    data = jsonld(client.get("/frameworks/ai-act/"))
    assert data["@type"] == "Legislation"
    # An enumeration member as a node (issue 16: a plain string is a text literal to JSON-LD tools).
    assert data["legislationLegalForce"] == {"@id": "https://schema.org/InForce"}
    assert data["legislationJurisdiction"] == ["European Union"]
    assert data["legislationDate"] == "2024-05-01"


def test_lesson_is_a_report_covering_the_time_it_happened(client, indexes):
    LessonFactory(
        parent=indexes["lesson"],
        slug="outage",
        event_date="2023-03-01",
        event_end_date="2023-03-04",
    )
    data = jsonld(client.get("/lessons/outage/"))
    assert data["@type"] == "Report"
    assert data["temporalCoverage"] == "2023-03-01/2023-03-04"
    # With no organisation named, the portal publishes it (issue 16: 14 of 26 lessons had neither
    # author nor publisher).
    assert data["publisher"] == [
        {"@type": "Organization", "name": "AI Safety Governance Portal", "url": "http://testserver/"}
    ]


def test_jsonld_names_visible_linked_records_and_never_hidden_ones(client, catalogue, indexes):
    hidden = catalogue.hidden[0]  # the TLP:GREEN finding
    CrossLinkFactory(source=catalogue.finding, target=hidden, link_type="cites")
    cited = FindingFactory(parent=indexes["finding"], slug="cited", title="Cited public finding")
    CrossLinkFactory(source=catalogue.finding, target=cited, link_type="cites")
    response = client.get("/findings/public-finding/")
    data = jsonld(response)
    assert [item["name"] for item in data["citation"]] == ["Cited public finding"]
    assert data["citation"][0]["identifier"] == f"urn:uuid:{cited.uuid}"
    # The link to GOVERN 1.1 of the framework is a mention, pointing at the provision's anchor.
    [mention] = data["mentions"]
    assert mention["url"] == "http://testserver/frameworks/ai-rmf/#govern-1-1"
    block = JSONLD.search(response.content.decode()).group(1)
    for marker in (hidden.title, hidden.summary, str(hidden.uuid)):
        assert marker not in block


def test_jsonld_cannot_be_broken_out_of_by_record_text(client, indexes):
    title = "</script><script>alert(1)</script> & <b>bold</b>"
    FindingFactory(parent=indexes["finding"], slug="hostile", title=title, summary="A < B & C > D")
    response = client.get("/findings/hostile/")
    content = response.content.decode()
    assert "<script>alert(1)" not in content
    data = jsonld(response)
    assert data["name"] == title
    assert data["description"] == "A < B & C > D"


def test_pages_with_jsonld_keep_a_strict_content_security_policy(client, catalogue):
    for url in ("/findings/public-finding/", "/frameworks/ai-rmf/", "/lessons/public-lesson/"):
        response = client.get(url)
        assert 'type="application/ld+json"' in response.content.decode()
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
