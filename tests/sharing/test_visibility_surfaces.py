"""The sharing proof on the remaining surfaces: feeds, the sitemap, JSON-LD, citations, and the
API (lists, details, search, change feed, exports) with session and token authentication.
(Search on each backend: test_visibility_search.py.)

A record a visitor may not see must leave no trace: not its title, summary, body text or UUID,
and it must not be counted.
"""

import json
import re

import pytest

from portal.tokens import create_token
from tests.sharing.conftest import EXPECTED, LEVELS, markers

pytestmark = pytest.mark.django_db


def as_visitor(client, world, visitor, via):
    """Headers for an API call as ``visitor``: a session, or a partner token."""
    users, _ = world
    if visitor == "anonymous":
        return {}
    if via == "token":
        _, plaintext = create_token(users[visitor], "matrix")
        return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    client.force_login(users[visitor])
    return {}


def visible_levels(visitor):
    return EXPECTED[visitor]


@pytest.mark.parametrize("visitor", sorted(EXPECTED))
def test_feeds_sitemap_jsonld_and_citations_respect_sharing(client, world, visitor):
    users, records = world
    if visitor != "anonymous":
        client.force_login(users[visitor])
    allowed = visible_levels(visitor)
    texts = {
        url: client.get(url).content.decode()
        for url in ("/feeds/findings/", "/feeds/topics/marked-topic/", "/sitemap.xml", "/findings/public/")
    }
    everything = "".join(texts.values())
    jsonld = re.findall(r'<script type="application/ld\+json">(.*?)</script>', texts["/findings/public/"], re.S)
    assert jsonld, "the public neighbour carries JSON-LD"
    for name, (record, _) in records.items():
        cite = client.get(f"/cite/{record.uuid}.bib")
        if name in allowed:
            assert f"MARKTITLE{name}" in texts["/feeds/findings/"]
            assert f"/findings/marked-{name}/" in texts["/sitemap.xml"]
            assert cite.status_code == 200
        else:
            assert cite.status_code == 404
            for marker in markers(name, record):
                assert marker not in everything, (visitor, name, marker)


@pytest.mark.parametrize("via", ["session", "token"])
@pytest.mark.parametrize("visitor", sorted(EXPECTED))
def test_api_lists_details_search_exports_and_crosswalks_respect_sharing(client, world, visitor, via):
    _, records = world
    headers = as_visitor(client, world, visitor, via)
    allowed = visible_levels(visitor)

    def get(url):
        response = client.get(url, **headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response, body.decode()

    responses = {
        url: get(url)
        for url in (
            "/api/v1/records/?page_size=100",
            "/api/v1/findings/?page_size=100&topic=marked-topic",
            "/api/v1/records/?format=jsonl",
            "/api/v1/records/?format=csv",
            "/api/v1/search/?q=sharedmatrixword",
            "/api/v1/findings/?page_size=100&q=MARKBODYred",
            "/api/v1/topics/marked-topic/",
            "/api/v1/records/" + str(world[1]["clear"][0].uuid) + "/",
        )
    }
    for url, (response, _) in responses.items():
        assert response.status_code == 200, (url, response.status_code)
    everything = "".join(body for _, body in responses.values())
    listing = json.loads(responses["/api/v1/findings/?page_size=100&topic=marked-topic"][1])
    assert {item["title"] for item in listing["results"]} == {f"MARKTITLE{name}" for name in allowed}
    for name, (record, framework) in records.items():
        detail, _ = get(f"/api/v1/records/{record.uuid}/")
        framework_detail, _ = get(f"/api/v1/frameworks/{framework.uuid}/provisions/")
        if name in allowed:
            assert detail.status_code == 200 and framework_detail.status_code == 200
            assert f"MARKTITLE{name}" in everything
        else:
            assert detail.status_code == 404 and framework_detail.status_code == 404
            for marker in markers(name, record) + markers(f"{name}framework", framework):
                assert marker not in everything, (visitor, via, name, marker)


@pytest.mark.parametrize("visitor", ["anonymous", "outsider", "named_person"])
def test_change_feed_shows_hidden_records_only_as_tombstones_without_their_content(client, world, visitor, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0  # the world was just written; read it at once
    _, records = world
    headers = as_visitor(client, world, visitor, "token")
    allowed = visible_levels(visitor)
    entries, url = [], "/api/v1/changes/?page_size=100"
    while url:
        body = client.get(url, **headers).json()
        entries.extend(body["results"])
        url = body["next"] if body["has_more"] else None
    present = {entry["record"]["title"] for entry in entries if entry["state"] == "present"}
    text = json.dumps(entries)
    for name, (record, _) in records.items():
        if name in allowed:
            assert f"MARKTITLE{name}" in present, (visitor, name)
        else:
            assert f"MARKTITLE{name}" not in present
            for marker in markers(name, record)[:3]:
                assert marker not in text, (visitor, name, marker)


def test_forged_and_expired_tokens_see_nothing_more_than_anonymous(client, world):
    from datetime import timedelta

    from django.utils import timezone

    users, records = world
    token, plaintext = create_token(users["superuser"], "old")
    token.expires_at = timezone.now() - timedelta(minutes=1)
    token.save()
    for header in (f"Bearer {plaintext}", "Bearer wagtail_forged0000000000000000000000000000"):
        response = client.get(f"/api/v1/records/{records['red'][0].uuid}/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert "MARKTITLEred" not in response.content.decode()


def test_levels_are_all_covered():
    assert set(LEVELS) == {"clear", "green", "amber", "strict", "red"}
