"""What the admin boundaries tests (tests/portal/test_admin_boundaries*.py) share: the words only
organisation A's restricted records contain, and the checks that none of them reaches organisation
B's staff. The organisations themselves are the ``orgs`` fixture (conftest.py)."""

from django.urls import reverse

#: Words that only organisation A's restricted records contain.
THEIR_TITLES = ["Zanzibarquagmire", "Obsidianheron"]
#: Their titles in full, for pages that repeat the words searched for.
THEIR_FULL_TITLES = ["Zanzibarquagmire amber finding", "Obsidianheron red framework"]
THEIR_WORDS = ["xylophonicmarker", "pterodactylmarker", "Quasarprovision", "Obsidiancrosswalk"]
OURS = "Bluebelllantern"


def assert_nothing_of_theirs(response, *, words=True, searched=False):
    """No title or body word of organisation A's records in ``response``; after a search, which
    repeats the words searched for, no title in full."""
    content = response.content.decode()
    markers = THEIR_FULL_TITLES if searched else THEIR_TITLES + (THEIR_WORDS if words else [])
    for marker in markers:
        assert marker not in content, f"{marker} leaked at {response.request['PATH_INFO']}"
    return content


def get(client, url, **params):
    return client.get(url, params)


def assert_refused(client, response):
    """Refused as a page that does not exist (404), or as Wagtail refuses a right: 403, or a
    redirect to the dashboard saying so; nothing of theirs on the way."""
    assert_nothing_of_theirs(response)
    for _ in range(3):  # e.g. a page's revisions redirect to its history, which refuses
        if response.status_code != 302 or response["Location"] == reverse("wagtailadmin_home"):
            break
        response = client.get(response["Location"])
        assert_nothing_of_theirs(response)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")
        assert_nothing_of_theirs(client.get(response["Location"]))
    else:
        assert response.status_code in (403, 404)
