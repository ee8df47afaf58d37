"""The read-only TAXII 2.1 server (``/api/v1/taxii/``), read with taxii2-client against a live
server as a partner's threat-intelligence platform would, and checked request by request."""

import datetime
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import stix2
from pytest_django.live_server_helper import LiveServer
from stix2validator import ValidationOptions, validate_instance
from taxii2client.common import TokenAuth
from taxii2client.v21 import Server, as_pages

from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Membership, RecordPage
from portal.tokens import create_token
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, OrganisationFactory, ProvisionFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
TAXII = "application/taxii+json;version=2.1"
ROOT = "/api/v1/taxii/portal/"


@pytest.fixture(scope="module")
def live_server():
    """This module's live server, bound to the loopback address only (not pytest-django's default
    'localhost', which may bind wider)."""
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


def publish(page):
    page.save_revision().publish()
    return RecordPage.objects.get(pk=page.pk).specific


def world(indexes, django_user_model):
    """Records of every kind at several levels; a partner who sees CLEAR and GREEN, and an AMBER
    record of an organisation the partner is not in."""
    partner = django_user_model.objects.create_user("partner")
    insider = django_user_model.objects.create_user("insider")
    owner = OrganisationFactory(slug="owner", name="Owner agency")
    Membership.objects.create(organisation=owner, user=insider)
    finding, lesson = FindingFactory, LessonFactory
    for n in range(4):
        publish(
            finding(parent=indexes["finding"], title=f"Public finding {n}", finding_type="vulnerability", live=False)
        )
    for n in range(2):
        publish(finding(parent=indexes["finding"], title=f"Partner finding {n}", sharing_level="TLP:GREEN", live=False))
    amber = finding(parent=indexes["finding"], title="Amber finding", sharing_level="TLP:AMBER", live=False)
    amber.owning_organisation = owner
    publish(amber)
    for n in range(3):
        publish(
            lesson(parent=indexes["lesson"], title=f"Lesson {n}", recommendations="Do this.\nAnd that.", live=False)
        )
    framework = FrameworkFactory(parent=indexes["framework"], title="A framework")
    ProvisionFactory(framework=framework, code="A.1")
    return partner, insider


def strictly_valid(objects):
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects}
    options = ValidationOptions(version="2.1", strict=True, strict_types=True, strict_properties=True)
    options.disabled = ["extref-hashes"]  # living web pages have no stable hash (see tests/api/test_stix.py)
    result = validate_instance(bundle, options)
    assert result.is_valid and not result.warnings, [str(e) for e in result.errors + result.warnings]
    stix2.parse(bundle, allow_custom=False)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_taxii2_client_pages_every_collection_and_finds_what_the_rest_listing_shows(
    live_server, indexes, django_user_model
):
    partner, _ = world(indexes, django_user_model)
    _, token = create_token(partner, "taxii")
    for auth, headers in ((None, {}), (TokenAuth(token), {"Authorization": f"Bearer {token}"})):
        server = Server(f"{live_server.url}/api/v1/taxii/", auth=auth)
        (root,) = server.api_roots
        assert server.default.url == root.url
        assert TAXII in root.versions
        collections = {collection.alias: collection for collection in root.collections}
        assert set(collections) == {"findings", "lessons", "frameworks"}
        for alias, collection in collections.items():
            assert collection.can_read and not collection.can_write
            main = "grouping" if alias == "frameworks" else "report"
            seen, pages = [], 0
            for envelope in as_pages(collection.get_objects, per_request=4):
                pages += 1
                objects = envelope.get("objects", [])
                assert len(objects) <= 4
                strictly_valid(objects) if objects else None
                seen += [obj["id"].split("--", 1)[1] for obj in objects if obj["type"] == main]
            listed = requests.get(f"{live_server.url}/api/v1/{alias}/?page_size=100", headers=headers, timeout=30)
            expected = [item["uuid"] for item in listed.json()["results"]]
            assert sorted(seen) == sorted(expected), (alias, auth)
            assert len(set(seen)) == len(seen)
            if alias == "findings":
                assert len(expected) == (6 if auth else 4) and pages > 1
        # Manifest: the same objects, paged the same way.
        findings = collections["findings"]
        manifest = [
            entry
            for envelope in as_pages(findings.get_manifest, per_request=5)
            for entry in envelope.get("objects", [])
        ]
        objects = [obj for envelope in as_pages(findings.get_objects, per_request=5) for obj in envelope["objects"]]
        assert [entry["id"] for entry in manifest] == [obj["id"] for obj in objects]
        assert all(entry["media_type"] == "application/stix+json;version=2.1" for entry in manifest)


@pytest.fixture
def records(indexes, django_user_model):
    return world(indexes, django_user_model)


def collection_url(client, alias):
    body = client.get(f"{ROOT}collections/", HTTP_ACCEPT=TAXII).json()
    (collection,) = [item for item in body["collections"] if item["alias"] == alias]
    return f"{ROOT}collections/{collection['id']}/"


@pytest.mark.django_db
def test_answers_carry_the_taxii_media_type_and_rfc3339_date_headers(client, records):
    url = collection_url(client, "findings")
    response = client.get(url + "objects/?limit=3", HTTP_ACCEPT=TAXII)
    assert response.status_code == 200 and response["Content-Type"] == TAXII
    body = response.json()
    assert body["more"] is True and body["next"] and len(body["objects"]) == 3
    first, last = response["X-TAXII-Date-Added-First"], response["X-TAXII-Date-Added-Last"]
    for value in (first, last):
        assert datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert first <= last
    # added_after: only what was added later.
    later = client.get(url + "manifest/", {"added_after": last}, HTTP_ACCEPT=TAXII).json()["objects"]
    everything = client.get(url + "manifest/", HTTP_ACCEPT=TAXII).json()["objects"]
    assert later == [entry for entry in everything if entry["date_added"] > last]
    assert 0 < len(later) < len(everything)


@pytest.mark.django_db
def test_match_filters_one_object_and_its_versions(client, records):
    url = collection_url(client, "findings")
    reports = client.get(url + "objects/", {"match[type]": "report"}, HTTP_ACCEPT=TAXII).json()["objects"]
    assert {obj["type"] for obj in reports} == {"report"} and len(reports) == 4
    report = reports[0]
    by_id = client.get(url + "objects/", {"match[id]": report["id"]}, HTTP_ACCEPT=TAXII).json()["objects"]
    assert by_id == [report]
    one = client.get(url + f"objects/{report['id']}/", HTTP_ACCEPT=TAXII).json()
    assert one["objects"] == [report]
    versions = client.get(url + f"objects/{report['id']}/versions/", HTTP_ACCEPT=TAXII).json()
    assert versions == {"more": False, "versions": [report["modified"]]}
    vulnerability = client.get(url + "objects/", {"match[type]": "vulnerability"}, HTTP_ACCEPT=TAXII).json()
    some = vulnerability["objects"][0]
    assert client.get(url + f"objects/{some['id']}/", HTTP_ACCEPT=TAXII).json()["objects"] == [some]
    hidden = RecordPage.objects.get(title="Amber finding")
    response = client.get(url + f"objects/report--{hidden.translation_key}/", HTTP_ACCEPT=TAXII)
    assert response.status_code == 404 and response.json()["http_status"] == "404"


@pytest.mark.django_db
def test_a_record_that_leaves_the_callers_view_comes_back_revoked_without_its_content(client, indexes):
    public = publish(FindingFactory(parent=indexes["finding"], title="Soon withdrawn", live=False))
    green = publish(
        FindingFactory(parent=indexes["finding"], title="Never public", sharing_level="TLP:GREEN", live=False)
    )
    url = collection_url(client, "findings")
    before = client.get(url + "objects/", {"match[type]": "report"}, HTTP_ACCEPT=TAXII).json()["objects"]
    assert [obj["name"] for obj in before] == ["Soon withdrawn"]
    public.unpublish()
    green.unpublish()
    after = client.get(url + "objects/", {"match[type]": "report"}, HTTP_ACCEPT=TAXII).json()["objects"]
    (revoked,) = after
    assert revoked["id"] == f"report--{public.translation_key}" and revoked["revoked"] is True
    assert revoked["created"] == before[0]["created"] and revoked["modified"] > before[0]["modified"]
    assert "Soon withdrawn" not in str(after) and str(green.translation_key) not in str(after)
    strictly_valid(after)
    versions = client.get(url + f"objects/{revoked['id']}/versions/", HTTP_ACCEPT=TAXII).json()["versions"]
    assert versions == [revoked["modified"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, parameter",
    [
        ("added_after=yesterday", "added_after"),
        ("added_after=2025-01-01T00:00:00", "added_after"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("next=forged", "next"),
        ("match[type]=Report!", "match[type]"),
        ("match[id]=report--nope", "match[id]"),
        ("match[version]=newest", "match[version]"),
        ("match[spec_version]=2.0", "match[spec_version]"),
        ("match[colour]=red", "match[colour]"),
    ],
)
def test_bad_parameters_get_a_taxii_error_that_names_them(client, records, query, parameter):
    url = collection_url(client, "findings")
    for endpoint in ("objects/", "manifest/"):
        response = client.get(f"{url}{endpoint}?{query}", HTTP_ACCEPT=TAXII)
        assert response.status_code == 400 and response["Content-Type"] == TAXII
        error = response.json()
        assert error["http_status"] == "400" and parameter in error["title"] and error["description"]


@pytest.mark.django_db
def test_unknown_collections_formats_and_tokens_are_taxii_errors(client, records):
    response = client.get(f"{ROOT}collections/00000000-0000-4000-8000-000000000000/objects/", HTTP_ACCEPT=TAXII)
    assert response.status_code == 404 and response.json()["http_status"] == "404"
    response = client.get(f"{ROOT}collections/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406 and response["Content-Type"] == TAXII
    response = client.get(f"{ROOT}collections/", HTTP_ACCEPT="application/taxii+json;version=2.0")
    assert response.status_code == 406
    response = client.get(f"{ROOT}collections/", HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401 and response.json()["http_status"] == "401"


@pytest.mark.django_db
def test_a_page_of_objects_costs_the_same_queries_whatever_the_collection_holds(client, indexes, django_user_model):
    partner = django_user_model.objects.create_user("partner")
    _, token = create_token(partner, "taxii")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT": TAXII}
    url = collection_url(client, "lessons")

    def queries(query):
        client.get(url + query, **auth)  # stored representations produced
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url + query, **auth).status_code == 200
        return len(captured)

    for _n in range(3):
        LessonFactory(parent=indexes["lesson"], recommendations="One.\nTwo.")
    publish(LessonFactory(parent=indexes["lesson"], live=False)).unpublish()
    few = queries("objects/?limit=50"), queries("manifest/?limit=50")
    for _n in range(12):
        LessonFactory(parent=indexes["lesson"], recommendations="One.\nTwo.", sharing_level="TLP:GREEN")
        publish(LessonFactory(parent=indexes["lesson"], live=False)).unpublish()
    assert (queries("objects/?limit=50"), queries("manifest/?limit=50")) == few


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_stix_and_taxii_example_in_the_api_docs_runs_against_a_live_server(
    live_server, indexes, django_user_model, tmp_path
):
    world(indexes, django_user_model)
    section = DOC.read_text().split("## STIX 2.1 and TAXII 2.1\n", 1)[1].split("\n## ", 1)[0]
    (script,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert 'API = "http://127.0.0.1:8000/api/v1"' in script
    script = script.replace("http://127.0.0.1:8000", live_server.url, 1)
    result = subprocess.run(  # noqa: S603 (the script is docs/api.md's own)
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Public finding 0 marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487" in lines
    assert not any("Partner finding" in line for line in lines)
    assert re.fullmatch(r"\d+ objects in (Public finding|Lesson) \d", lines[-1]), lines[-1]


@pytest.mark.django_db
def test_one_object_answers_the_version_asked_for(client, records):
    """match[version] on one object: a timestamp picks that version (no such version: 404), as on
    the collection; it used to be read as a word and answer the last version whatever it said."""
    url = collection_url(client, "findings")
    report = client.get(url + "objects/", {"match[type]": "report"}, HTTP_ACCEPT=TAXII).json()["objects"][0]
    address = url + f"objects/{report['id']}/"
    for wanted in (report["modified"], "all", "first", "last", f"first,{report['modified']}"):
        answer = client.get(address, {"match[version]": wanted}, HTTP_ACCEPT=TAXII)
        assert answer.json()["objects"] == [report], wanted
    other = client.get(address, {"match[version]": "2001-01-01T00:00:00.000Z"}, HTTP_ACCEPT=TAXII)
    assert other.status_code == 404 and other.json()["http_status"] == "404"


@pytest.mark.django_db
def test_a_record_committed_late_is_not_passed_by_a_client_that_polls_with_added_after(client, indexes, settings):
    """A record's date added is its publication time, set before its transaction commits; a poll
    that answered a younger record first would pass it. Objects younger than the change feed's
    settle window wait for the next poll, as the change feed's entries do."""
    now = datetime.datetime.now(datetime.UTC)

    def published(title, ago):
        page = publish(FindingFactory(parent=indexes["finding"], title=title, live=False))
        RecordPage.objects.filter(pk=page.pk).update(last_published_at=now - datetime.timedelta(seconds=ago))

    settings.API_CHANGES_SETTLE_SECONDS = 60
    published("Old", 300)
    published("Young", 10)
    url = collection_url(client, "findings") + "objects/"
    first = client.get(url, {"match[type]": "report"}, HTTP_ACCEPT=TAXII)
    assert [obj["name"] for obj in first.json()["objects"]] == ["Old"]
    published("Committed late", 30)  # dated before "Young", visible only now
    settings.API_CHANGES_SETTLE_SECONDS = 0  # a minute later
    later = {"match[type]": "report", "added_after": first["X-TAXII-Date-Added-Last"]}
    names = [obj["name"] for obj in client.get(url, later, HTTP_ACCEPT=TAXII).json()["objects"]]
    assert names == ["Committed late", "Young"]
    # One object is found by its id at once: only the collection's pages wait.
    young = RecordPage.objects.get(title="Young")
    settings.API_CHANGES_SETTLE_SECONDS = 60
    assert client.get(url + f"report--{young.translation_key}/", HTTP_ACCEPT=TAXII).status_code == 200
