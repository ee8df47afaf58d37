"""Taxonomies and crosswalks."""

import pytest

from tests.factories import (
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    JurisdictionFactory,
    ProvisionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def test_topics_form_a_tree_with_counts_of_visible_records(client, indexes):
    risks = TopicFactory(slug="risks", name="Risks")
    jailbreak = TopicFactory(slug="jailbreak", name="Jailbreaks", parent=risks)
    FindingFactory(parent=indexes["finding"], topics=[jailbreak])
    FindingFactory(parent=indexes["finding"], topics=[jailbreak], sharing_level="TLP:RED")
    (root,) = client.get("/api/v1/topics/").json()
    assert root["slug"] == "risks" and root["parent"] is None and root["record_count"] == 0
    (child,) = root["children"]
    assert (child["slug"], child["parent"], child["record_count"]) == ("jailbreak", "risks", 1)
    detail = client.get("/api/v1/topics/jailbreak/").json()
    assert detail["name"] == "Jailbreaks" and detail["web_url"].endswith("/topics/jailbreak/")


def test_a_term_counts_every_visible_record_under_it(client, indexes):
    """Issue 16: every term reported record_count 1, however many records it had (the records'
    default ordering split the count into one group per record)."""
    from tests.factories import SectorFactory

    telecom = SectorFactory(slug="telecommunications", name="Telecommunications")
    for n in range(3):
        FindingFactory(parent=indexes["finding"], sectors=[telecom], title=f"Finding {n}")
    FindingFactory(parent=indexes["finding"], sectors=[telecom], sharing_level="TLP:RED")
    assert client.get("/api/v1/sectors/").json()[0]["record_count"] == 3
    assert client.get("/api/v1/sectors/telecommunications/").json()["record_count"] == 3
    jailbreak = TopicFactory(slug="jailbreak", name="Jailbreaks")
    for n in range(2):
        FindingFactory(parent=indexes["finding"], topics=[jailbreak], title=f"Jailbreak {n}")
    assert client.get("/api/v1/topics/").json()[0]["record_count"] == 2


def test_jurisdictions_show_their_codes(client, db):
    JurisdictionFactory(code="EU", name="European Union", slug="eu")
    assert client.get("/api/v1/jurisdictions/").json()[0]["code"] == "EU"


@pytest.fixture
def crosswalk(indexes):
    rmf = FrameworkFactory(parent=indexes["framework"], title="RMF")
    mgf = FrameworkFactory(parent=indexes["framework"], title="MGF")
    left = ProvisionFactory(framework=rmf, code="GOVERN 1", title="Govern")
    right = ProvisionFactory(framework=mgf, code="3.1", title="Internal governance")
    crosswalk = CrosswalkFactory(source_framework=rmf, target_framework=mgf, slug="rmf-to-mgf")
    CrosswalkMappingFactory(crosswalk=crosswalk, source_provision=left, target_provision=right)
    return rmf, mgf


def test_crosswalk_between_two_frameworks_is_oriented_from_the_source_asked_for(client, crosswalk):
    rmf, mgf = crosswalk
    (forward,) = client.get(
        "/api/v1/crosswalks/", {"source": rmf.translation_key, "target": mgf.translation_key}
    ).json()
    assert forward["reversed"] is False
    assert forward["mappings"][0]["source"]["code"] == "GOVERN 1"
    (backward,) = client.get(
        "/api/v1/crosswalks/", {"source": mgf.translation_key, "target": rmf.translation_key}
    ).json()
    assert backward["reversed"] is True and backward["source"]["title"] == "MGF"
    assert backward["mappings"][0]["source"]["code"] == "3.1"


def test_crosswalks_need_both_frameworks_visible(client, crosswalk):
    rmf, mgf = crosswalk
    mgf.unpublish()
    assert client.get("/api/v1/crosswalks/").json() == []
    assert client.get("/api/v1/crosswalks/rmf-to-mgf/").status_code == 404
    response = client.get("/api/v1/crosswalks/", {"source": rmf.translation_key, "target": mgf.translation_key})
    assert response.status_code == 400 and "target" in response.json()["error"]["parameters"]


def test_crosswalk_parameters_must_be_uuids(client, db):
    response = client.get("/api/v1/crosswalks/", {"source": "nist"})
    assert response.status_code == 400 and "source" in response.json()["error"]["parameters"]
