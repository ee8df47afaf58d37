"""HTTP manners: conditional requests, throttling, CORS, and JSON errors under /api/."""

import pytest

from django.utils.http import http_date

from tests.factories import FindingFactory

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
