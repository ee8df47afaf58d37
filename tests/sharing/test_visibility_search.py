"""The sharing proof for search, run on each search backend the portal ships: results,
highlights, facet counts, totals and autocomplete suggestions."""

import json

import pytest

from tests.sharing.conftest import EXPECTED, markers

pytestmark = pytest.mark.django_db

BACKENDS = {"whoosh": "portal.search.whoosh", "database": "modelsearch.backends.database"}


@pytest.fixture(params=sorted(BACKENDS))
def search_backend(request, settings, tmp_path):
    """Index the world with each search backend the portal ships, in turn."""
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": BACKENDS[request.param], "PATH": str(tmp_path / "index")}}
    return request.param


@pytest.mark.parametrize("visitor", sorted(EXPECTED))
def test_search_and_suggestions_show_only_what_the_visitor_may_see(client, world, visitor, search_backend):
    users, records = world
    if visitor != "anonymous":
        client.force_login(users[visitor])
    response = client.get("/search/?q=sharedmatrixword")
    assert response.status_code == 200
    listing = response.context["listing"]
    allowed = EXPECTED[visitor]
    found = {record.title for record in listing.page}
    content = response.content.decode()
    for name, (record, _) in records.items():
        if name in allowed:
            assert f"MARKTITLE{name}" in found, (search_backend, visitor, name)
        else:
            assert all(marker not in content for marker in markers(name, record)), (search_backend, visitor, name)
    counted = sum(v.count for v in listing.facets["kind"])
    assert counted == listing.total
    browse = client.get("/search/?topic=marked-topic").context["listing"]
    assert browse.total == len(allowed)
    suggestions = json.dumps(client.get("/search/suggest/?q=MARKTITLE").json())
    for name in records:
        if name not in allowed:
            assert f"MARKTITLE{name}" not in suggestions, (search_backend, visitor, name)
