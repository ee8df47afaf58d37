"""STIX 2.1 bundles per record (``/api/v1/records/{uuid}/stix/``), checked with the tools of the
people who read them: stix2-validator in strict mode, and the stix2 library's parser."""

import io
from pathlib import Path

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import ExternalIdentifier, Membership, RecordPage
from portal.tokens import create_token
from tests.factories import (
    CrossLinkFactory,
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
)

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "records"
STIX = "application/stix+json;version=2.1"

#: The TLP 2.0 marking definitions as OASIS publishes them (cti-stix-common-objects,
#: objects/marking-definition/), written out here independently of the code under test.
OFFICIAL_TLP2 = {
    "TLP:CLEAR": ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    "TLP:GREEN": ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    "TLP:AMBER": ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    "TLP:AMBER+STRICT": ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    "TLP:RED": ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
}


#: Strict mode, but for one SHOULD: "an external reference with a url should have hashes". Our
#: references point at living web pages (the record's page, its source, CVE and ATLAS entries);
#: a hash of today's page would be false tomorrow, so we give none rather than a wrong one.
NOT_CHECKED = "extref-hashes"


def assert_valid(bundle):
    """Valid for stix2-validator in strict mode (every SHOULD an error), and parsed by stix2."""
    options = ValidationOptions(
        version="2.1", strict=True, strict_types=True, strict_properties=True, enforce_refs=True, disabled=NOT_CHECKED
    )
    result = validate_instance(bundle, options)
    problems = [str(error) for error in result.errors] + [str(warning) for warning in result.warnings]
    assert result.is_valid and not problems, problems
    parsed = stix2.parse(bundle, allow_custom=False)
    assert {obj.id for obj in parsed.objects} == {obj["id"] for obj in bundle["objects"]}


def get_bundle(client, page, status=200, **headers):
    response = client.get(f"/api/v1/records/{page.translation_key}/stix/", **headers)
    assert response.status_code == status, response.content[:300]
    if status == 200:
        assert response["Content-Type"] == STIX
        return response.json()
    return response


def by_type(bundle, stix_type):
    return [obj for obj in bundle["objects"] if obj["type"] == stix_type]


def publish(page):
    page.save_revision().publish()
    return RecordPage.objects.get(pk=page.pk).specific


def test_every_record_of_the_demo_set_is_a_strictly_valid_bundle(client):
    call_command("import_records", str(DEMO), stdout=io.StringIO(), stderr=io.StringIO())
    records = RecordPage.objects.filter(live=True, sharing_level="TLP:CLEAR")
    assert records.count() >= 10
    kinds = set()
    for page in records:
        bundle = get_bundle(client, page)
        assert_valid(bundle)
        kinds.add(bundle["objects"][0]["type"])
    assert kinds == {"report", "grouping"}


def test_a_lesson_names_its_cve_and_its_recommendations_mitigate_it(client, indexes):
    lesson = LessonFactory(
        parent=indexes["lesson"],
        title="EchoLeak",
        recommendations="Treat mail as untrusted input.\nBlock automatic image loading.",
    )
    ExternalIdentifier.objects.create(record=lesson, scheme="other", value="CVE-2025-32711")
    ExternalIdentifier.objects.create(record=lesson, scheme="other", value="NTSB/HAR-19/03")
    bundle = get_bundle(client, lesson)
    assert_valid(bundle)
    (vulnerability,) = by_type(bundle, "vulnerability")
    assert vulnerability["name"] == "CVE-2025-32711"
    assert vulnerability["external_references"][0] == {
        "source_name": "cve",
        "external_id": "CVE-2025-32711",
        "url": "https://www.cve.org/CVERecord?id=CVE-2025-32711",
    }
    courses = by_type(bundle, "course-of-action")
    assert [course["description"] for course in courses] == lesson.recommendation_list
    mitigates = {(rel["source_ref"], rel["target_ref"]) for rel in by_type(bundle, "relationship")}
    assert mitigates == {(course["id"], vulnerability["id"]) for course in courses}
    report = bundle["objects"][0]
    assert report["report_types"] == ["threat-report", "vulnerability"]
    assert {"source_name": "other", "external_id": "NTSB/HAR-19/03"} in report["external_references"]
    assert {"source_name": "cve", "external_id": "CVE-2025-32711"} in report["external_references"]


def test_a_finding_bundle_is_a_marked_report_with_stable_ids(client, indexes):
    nist = OrganisationFactory(slug="nist", name="National Institute of Standards and Technology", acronym="NIST")
    finding = publish(
        FindingFactory(
            parent=indexes["finding"],
            title="Zulu jailbreaks",
            finding_type="vulnerability",
            sharing_level="TLP:CLEAR",
            authors="Zheng-Xin Yong",
            organisations=[nist],
            live=False,
        )
    )
    bundle = get_bundle(client, finding)
    assert_valid(bundle)
    report = bundle["objects"][0]
    assert report["id"] == f"report--{finding.translation_key}"
    assert report["name"] == "Zulu jailbreaks" and "Authors: Zheng-Xin Yong" in report["description"]
    # A vulnerability finding without a CVE is a vulnerability of its own.
    (vulnerability,) = by_type(bundle, "vulnerability")
    assert vulnerability["name"] == "Zulu jailbreaks"
    identities = {obj["name"]: obj for obj in by_type(bundle, "identity")}
    assert identities[nist.name]["identity_class"] == "organization"
    assert identities[nist.name]["id"] in report["object_refs"]
    clear_id, value = OFFICIAL_TLP2["TLP:CLEAR"]
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            assert obj["object_marking_refs"] == [clear_id]
    (marking,) = by_type(bundle, "marking-definition")
    assert marking == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": clear_id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:CLEAR",
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": value,
            }
        },
    }
    # The same version exports the same; a new version keeps every id and moves modified.
    assert get_bundle(client, finding) == bundle
    finding.summary = "Changed"
    finding = publish(finding)
    again = get_bundle(client, finding)
    assert [obj["id"] for obj in again["objects"]] == [obj["id"] for obj in bundle["objects"]]
    assert again["objects"][0]["modified"] > report["modified"]
    assert again["objects"][0]["created"] == report["created"]


@pytest.mark.parametrize("level", sorted(OFFICIAL_TLP2))
def test_each_sharing_level_is_marked_with_its_official_tlp2_definition(client, indexes, django_user_model, level):
    owner = OrganisationFactory(slug="owner")
    user = django_user_model.objects.create_user("member")
    Membership.objects.create(organisation=owner, user=user)
    lesson = LessonFactory(
        parent=indexes["lesson"], sharing_level=level, owning_organisation=owner, recommendations="Patch it."
    )
    if level == "TLP:RED":
        lesson.shared_with_people.add(user)
        lesson.save()
    _, token = create_token(user, "stix")
    bundle = get_bundle(client, lesson, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_valid(bundle)
    marking_id, value = OFFICIAL_TLP2[level]
    markings = {marking["id"]: marking["name"] for marking in by_type(bundle, "marking-definition")}
    assert markings == {marking_id: level, OFFICIAL_TLP2["TLP:CLEAR"][0]: "TLP:CLEAR"}
    marked = {obj["id"]: obj["object_marking_refs"] for obj in bundle["objects"] if obj["type"] != "marking-definition"}
    identities = {obj["id"] for obj in by_type(bundle, "identity")}
    # The record's objects carry its level; the identities (public, as on the web) are TLP:CLEAR.
    assert all(refs == [marking_id] for ref, refs in marked.items() if ref not in identities)
    if level != "TLP:CLEAR":
        assert get_bundle(client, lesson, status=404).json()["error"]["code"] == "not_found"


def test_atlas_techniques_are_attack_patterns_and_tactics_only_references(client, indexes):
    atlas = FrameworkFactory(parent=indexes["framework"], title="MITRE ATLAS")
    technique = ProvisionFactory(framework=atlas, code="AML.T0051", title="LLM Prompt Injection")
    tactic = ProvisionFactory(framework=atlas, code="AML.TA0004", title="Initial Access")
    other = ProvisionFactory(framework=atlas, code="GOVERN 1.1", title="Not ATLAS")
    finding = FindingFactory(parent=indexes["finding"], title="Injected")
    for provision in (technique, tactic, other):
        CrossLinkFactory(source=finding, target=atlas, target_provision=provision)
    ExternalIdentifier.objects.create(record=finding, scheme="other", value="AML.T0054")
    bundle = get_bundle(client, finding)
    assert_valid(bundle)
    patterns = {obj["name"]: obj["external_references"] for obj in by_type(bundle, "attack-pattern")}
    assert patterns == {
        "AML.T0051 LLM Prompt Injection": [
            {
                "source_name": "mitre-atlas",
                "external_id": "AML.T0051",
                "url": "https://atlas.mitre.org/techniques/AML.T0051",
            }
        ],
        "AML.T0054": [
            {
                "source_name": "mitre-atlas",
                "external_id": "AML.T0054",
                "url": "https://atlas.mitre.org/techniques/AML.T0054",
            }
        ],
    }
    references = bundle["objects"][0]["external_references"]
    assert {"AML.TA0004"} == {ref.get("external_id") for ref in references if ref["source_name"] == "mitre-atlas"}


def test_a_framework_is_a_grouping_with_its_provisions_as_references(client, indexes):
    nist = OrganisationFactory(slug="nist", name="NIST")
    framework = FrameworkFactory(parent=indexes["framework"], title="AI RMF", issuing_body=nist)
    ProvisionFactory(framework=framework, code="GOVERN", title="Govern", level=1, sort_order=0)
    ProvisionFactory(framework=framework, code="GOVERN 1.1", title="Legal requirements", level=2, sort_order=1)
    bundle = get_bundle(client, framework)
    assert_valid(bundle)
    grouping = bundle["objects"][0]
    assert grouping["type"] == "grouping" and grouping["id"] == f"grouping--{framework.translation_key}"
    codes = [ref["external_id"] for ref in grouping["external_references"] if ref["source_name"] == "AI RMF"]
    assert codes == ["GOVERN", "GOVERN 1.1"]
    (issuer,) = [obj for obj in by_type(bundle, "identity") if obj["name"] == "NIST"]
    assert issuer["id"] in grouping["object_refs"]


def test_a_bundle_shows_no_link_to_a_record_the_caller_may_not_see(client, indexes):
    hidden = FrameworkFactory(parent=indexes["framework"], title="Hidden ATLAS", sharing_level="TLP:GREEN")
    secret = ProvisionFactory(framework=hidden, code="AML.T0099", title="Secret technique")
    finding = FindingFactory(parent=indexes["finding"])
    CrossLinkFactory(source=finding, target=hidden, target_provision=secret)
    bundle = get_bundle(client, finding)
    assert "AML.T0099" not in str(bundle) and "Secret technique" not in str(bundle)


def test_unknown_hidden_and_unacceptable_requests_are_clear_errors(client, indexes):
    finding = FindingFactory(parent=indexes["finding"], sharing_level="TLP:GREEN")
    assert client.get("/api/v1/records/00000000-0000-4000-8000-000000000000/stix/").status_code == 404
    assert get_bundle(client, finding, status=404).json()["error"]["message"]
    public = FindingFactory(parent=indexes["finding"])
    response = get_bundle(client, public, status=406, HTTP_ACCEPT="text/csv")
    assert STIX in response.json()["error"]["message"]
    as_json = client.get(f"/api/v1/records/{public.translation_key}/stix/", HTTP_ACCEPT="application/json")
    assert as_json.status_code == 200 and as_json.json()["type"] == "bundle"


def test_a_bundle_costs_the_same_queries_whatever_the_record_holds(client, indexes):
    def queries(page):
        with CaptureQueriesContext(connection) as captured:
            get_bundle(client, page)
        return len(captured)

    small = LessonFactory(parent=indexes["lesson"], recommendations="One.")
    big = LessonFactory(
        parent=indexes["lesson"],
        recommendations="\n".join(f"Recommendation {n}" for n in range(8)),
        organisations=[OrganisationFactory() for _ in range(4)],
    )
    for n in range(4):
        CrossLinkFactory(source=big, target=FindingFactory(parent=indexes["finding"]), link_type="cites")
        ExternalIdentifier.objects.create(record=big, scheme="other", value=f"CVE-2025-{1000 + n}")
    get_bundle(client, small), get_bundle(client, big)  # stored representations produced
    assert queries(big) == queries(small)
