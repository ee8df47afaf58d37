"""HTTP manners: conditional requests, throttling, CORS, and JSON errors under /api/."""

import time
from datetime import timedelta

import pytest

from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.http import http_date

from portal.models import AuditEntry, SharingLevel
from portal.tokens import create_token, revoke_token
from tests.factories import CrossLinkFactory, FindingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(indexes):
    page = FindingFactory(parent=indexes["finding"], live=False)
    page.save_revision().publish()
    return page


@pytest.mark.parametrize("path", ["/api/v1/records/", "/api/v1/findings/", "/api/v1/changes/", "/api/v1/topics/"])
def test_lists_carry_an_etag_and_answer_304_when_it_matches(client, finding, path):
    response = client.get(path)
    assert response.status_code == 200 and response["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.get(path, HTTP_IF_NONE_MATCH='"something else"').status_code == 200


def test_detail_carries_last_modified_and_honours_if_modified_since(client, finding):
    path = f"/api/v1/records/{finding.translation_key}/"
    response = client.get(path)
    assert response["Last-Modified"] and response["ETag"]
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200


def test_a_change_to_the_record_changes_its_etag(client, finding):
    path = f"/api/v1/records/{finding.translation_key}/"
    etag = client.get(path)["ETag"]
    finding.title = "Renamed"
    finding.save_revision().publish()
    response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["title"] == "Renamed"


def test_anonymous_clients_are_throttled_with_retry_after(client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None}}
    from django.core.cache import cache

    cache.clear()
    assert [client.get("/api/v1/sectors/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/sectors/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"


def test_signed_in_clients_have_their_own_rate(client, partner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "3/minute"},
    }
    from django.core.cache import cache

    cache.clear()
    client.force_login(partner)
    assert [client.get("/api/v1/sectors/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_cors_allows_reading_from_any_origin(client, db):
    response = client.get("/api/v1/sectors/", HTTP_ORIGIN="https://dashboard.example.com")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/records/", HTTP_ORIGIN="https://x.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert preflight.status_code == 200 and "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_cors_headers_stay_off_the_web_site(client, indexes):
    assert not client.get("/", HTTP_ORIGIN="https://x.example").has_header("Access-Control-Allow-Origin")


def assert_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


def test_unknown_addresses_under_the_api_are_json_404(client, db):
    assert_error(client.get("/api/v1/no-such-endpoint/"), 404)
    assert_error(client.get("/api/v1/records/not-a-uuid/"), 404)
    assert_error(client.get("/api/v1/records/00000000-0000-0000-0000-000000000000/"), 404)
    assert_error(client.get("/api/v1/topics/no-such-topic/"), 404)


def test_writes_are_json_405(client, db):
    error = assert_error(client.post("/api/v1/records/", {}, content_type="application/json"), 405)
    assert error["code"] == "method_not_allowed"
    assert_error(client.delete("/api/v1/sectors/"), 405)


def test_unexpected_errors_are_json_500(client, db, monkeypatch):
    from portal.api import taxonomy

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(taxonomy.SectorViewSet, "get_queryset", broken)
    error = assert_error(client.get("/api/v1/sectors/"), 500)
    assert "boom" not in error["message"]


def test_an_unknown_format_is_406(client, db):
    assert_error(client.get("/api/v1/records/", {"format": "xml"}), 406)
    assert_error(client.get("/api/v1/sectors/", {"format": "csv"}), 404)


# Lists answer from what the caller may see, and nothing else.


def age_everything(days=1):
    """Move every record's publication and every change-log entry into the past, so that a change
    made now shows in Last-Modified whatever second it falls in."""
    from wagtail.models import Page

    from portal.models import RecordChange

    then = timezone.now() - timedelta(days=days)
    Page.objects.filter(last_published_at__isnull=False).update(last_published_at=then)
    RecordChange.objects.update(at=then)


def test_a_list_does_not_move_when_a_record_the_caller_cannot_see_changes(client, finding, indexes):
    hidden = FindingFactory(parent=indexes["finding"], live=False, sharing_level=SharingLevel.AMBER)
    hidden.save_revision().publish()
    age_everything()
    before = client.get("/api/v1/records/")
    hidden.title = "A new title nobody outside the organisation may read"
    hidden.save_revision().publish()
    after = client.get("/api/v1/records/")
    assert after["Last-Modified"] == before["Last-Modified"]
    assert after["ETag"] == before["ETag"]
    assert client.get("/api/v1/records/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304


def test_a_list_moves_when_a_record_the_caller_sees_changes(client, finding):
    age_everything()
    before = client.get("/api/v1/records/")
    finding.title = "Renamed"
    finding.save_revision().publish()
    after = client.get("/api/v1/records/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after["Last-Modified"] != before["Last-Modified"]


def test_a_list_is_not_304_by_date_after_a_record_leaves_it(client, finding, indexes):
    other = FindingFactory(parent=indexes["finding"], live=False)
    other.save_revision().publish()
    age_everything()
    before = client.get("/api/v1/records/")
    other.refresh_from_db()
    other.unpublish()
    after = client.get("/api/v1/records/", HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert after.status_code == 200 and len(after.json()["results"]) == 1


@pytest.fixture
def three_findings(indexes):
    for _ in range(3):
        FindingFactory(parent=indexes["finding"], live=False).save_revision().publish()


def test_the_same_page_asked_again_later_has_the_same_etag_and_answers_304(client, three_findings, monkeypatch):
    first = client.get("/api/v1/records/", {"page_size": 1})
    assert first.json()["next"]
    # An hour later: nothing changed, so the same page is the same answer.
    later = int(time.time()) + 3600
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(later))
    again = client.get("/api/v1/records/", {"page_size": 1})
    assert again["ETag"] == first["ETag"] and again.json() == first.json()
    assert client.get("/api/v1/records/", {"page_size": 1}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    second = client.get(first.json()["next"])
    assert client.get(first.json()["next"], HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304


def test_a_cursor_still_leads_to_the_next_page(client, three_findings):
    seen, url = [], "/api/v1/records/?page_size=1"
    while url:
        body = client.get(url).json()
        seen += [item["uuid"] for item in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 3


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "a:b:c",
        "é",
        "x" * 5000,
        signing.Signer(salt="another.salt").sign_object(["-published", "2020-01-01", 1]),
        signing.Signer(salt="portal.api.records.cursor").sign_object(["-published", None, 1]),
        signing.Signer(salt="portal.api.records.cursor").sign_object({"not": "a list"}),
    ],
    # Stable names: pytest-xdist's workers must collect the same tests.
    ids=["plain", "colons", "accent", "long", "other-salt", "null-value", "not-a-list"],
)
def test_crafted_cursors_are_json_400(client, finding, cursor):
    error = assert_error(client.get("/api/v1/records/", {"cursor": cursor}), 400)
    assert "cursor" in error["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_IF_NONE_MATCH": "garbage"},
        {"HTTP_IF_NONE_MATCH": 'W/"' + "x" * 5000 + '"'},
        {"HTTP_IF_NONE_MATCH": '",,,"'},
        {"HTTP_IF_MODIFIED_SINCE": "yesterday"},
        {"HTTP_IF_MODIFIED_SINCE": "Sun, 06 Nov 99999 08:49:37 GMT"},
        {"HTTP_IF_MODIFIED_SINCE": "Sun, 31 Feb 2021 08:49:37 GMT"},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 0001 00:00:00 GMT"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/records/", "detail"])
def test_crafted_conditional_headers_answer_the_full_record(client, finding, headers, path):
    if path == "detail":
        path = f"/api/v1/records/{finding.translation_key}/"
    response = client.get(path, **headers)
    assert response.status_code == 200 and response.json()


# Tokens.


@pytest.fixture
def partner_token(partner):
    _, plaintext = create_token(partner, "sync")
    return plaintext


@pytest.fixture
def green(indexes):
    page = FindingFactory(parent=indexes["finding"], live=False, sharing_level=SharingLevel.GREEN)
    page.save_revision().publish()
    return page


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(client, partner_token, green, scheme):
    path = f"/api/v1/records/{green.translation_key}/"
    assert_error(client.get(path), 404)
    response = client.get(path, HTTP_AUTHORIZATION=f"{scheme} {partner_token}")
    assert response.status_code == 200 and response.json()["uuid"] == str(green.translation_key)


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "token"])
def test_a_bad_token_in_any_case_is_refused_like_bearer_bad(client, db, scheme):
    reference = client.get("/api/v1/records/", HTTP_AUTHORIZATION="Bearer bad")
    assert_error(reference, 401)
    response = client.get("/api/v1/records/", HTTP_AUTHORIZATION=f"{scheme} bad")
    assert_error(response, 401)
    assert response.json() == reference.json()
    assert response["WWW-Authenticate"] == reference["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer " + "A" * 5000, "Bearer ÿÿÿÿ", "bearer ../../etc/passwd", "Bearer \t"],
)
def test_forged_authorization_headers_are_json_401(client, db, header):
    assert_error(client.get("/api/v1/records/", HTTP_AUTHORIZATION=header), 401)


def refused_entries():
    return AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REFUSED)


def test_a_refused_token_is_audited_at_most_once_a_minute_per_address(client, db):
    cache.clear()
    for _ in range(5):
        client.get("/api/v1/records/", HTTP_AUTHORIZATION="Bearer forged", REMOTE_ADDR="192.0.2.1")
    entry = refused_entries().get()
    assert entry.ip_address == "192.0.2.1" and entry.target == "/api/v1/records/"
    client.get("/api/v1/records/", HTTP_AUTHORIZATION="bearer forged", REMOTE_ADDR="192.0.2.2")
    assert refused_entries().count() == 2


def test_a_revoked_token_is_audited_with_its_owner(client, partner):
    cache.clear()
    token, plaintext = create_token(partner, "old")
    revoke_token(token)
    assert_error(client.get("/api/v1/records/", HTTP_AUTHORIZATION=f"Bearer {plaintext}"), 401)
    entry = refused_entries().get()
    assert entry.token_id == token.pk and entry.user == partner


def test_a_record_does_not_move_when_a_hidden_record_linking_to_it_changes(client, finding, indexes):
    hidden = FindingFactory(parent=indexes["finding"], live=False, sharing_level=SharingLevel.AMBER)
    hidden.save_revision().publish()
    CrossLinkFactory(source=hidden, target=finding, link_type="cites")
    age_everything()
    path = f"/api/v1/records/{finding.translation_key}/"
    before = client.get(path)
    hidden.title = "Renamed where outsiders cannot see"
    hidden.save_revision().publish()
    after = client.get(path, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert after.status_code == 304
    assert client.get(path)["Last-Modified"] == before["Last-Modified"]


def test_a_record_moves_when_a_visible_record_linking_to_it_changes(client, finding, indexes):
    neighbour = FindingFactory(parent=indexes["finding"], live=False)
    neighbour.save_revision().publish()
    CrossLinkFactory(source=neighbour, target=finding, link_type="cites")
    age_everything()
    path = f"/api/v1/records/{finding.translation_key}/"
    before = client.get(path)
    neighbour.title = "Renamed in public"
    neighbour.save_revision().publish()
    after = client.get(path, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert after.status_code == 200 and after["Last-Modified"] != before["Last-Modified"]
