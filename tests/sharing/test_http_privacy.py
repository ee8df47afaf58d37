"""What HTTP itself tells about restricted records and signed-in pages: a hidden record's 404 is
every other 404, pages that depend on who is signed in are private to caches, and password
resets are on record in the audit log."""

import pytest

from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from portal.models import AuditEntry, SharingLevel
from tests.factories import FindingFactory

pytestmark = pytest.mark.django_db


def published(indexes, **fields):
    page = FindingFactory(parent=indexes["finding"], live=False, **fields)
    page.save_revision().publish()
    return page


@pytest.fixture
def partner(django_user_model):
    return django_user_model.objects.create_user("partner", "partner@example.org", "a long pass phrase 1")


@pytest.mark.parametrize("level", [SharingLevel.GREEN, SharingLevel.AMBER, SharingLevel.RED])
def test_a_hidden_record_answers_exactly_like_a_page_that_does_not_exist(client, indexes, level):
    hidden = published(indexes, slug="hidden-record", sharing_level=level)
    missing = client.get(hidden.url.replace("hidden-record", "no-such-record"))
    response = client.get(hidden.url)
    assert response.status_code == missing.status_code == 404
    assert dict(response.headers) == dict(missing.headers)
    assert response.content == missing.content


def test_every_404_of_the_site_varies_on_the_cookie(client, indexes):
    for path in ("/findings/no-such-record/", "/no-such-page/", "/topics/no-such-topic/"):
        response = client.get(path)
        assert response.status_code == 404 and "Cookie" in response.get("Vary", "")


def test_pages_shown_to_a_signed_in_person_are_private(client, indexes, partner):
    amber = published(indexes, sharing_level=SharingLevel.GREEN)
    clear = published(indexes)
    client.force_login(partner)
    for path in (amber.url, clear.url, "/", "/findings/", "/topics/", reverse("account"), "/search/?q=finding"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "private" in response["Cache-Control"], path
        assert "public" not in response["Cache-Control"], path


def test_public_pages_stay_cacheable_for_anonymous_visitors(client, indexes):
    clear = published(indexes)
    for path in (clear.url, "/", "/findings/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "private" not in response.get("Cache-Control", "")


def test_a_password_reset_request_is_audited_once_a_minute_per_address(client, partner):
    cache.clear()
    for _ in range(3):
        client.post(reverse("password_reset"), {"email": "partner@example.org"}, REMOTE_ADDR="192.0.2.1")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_RESET_REQUESTED)
    assert entry.ip_address == "192.0.2.1" and entry.target == "partner@example.org"
    client.post(reverse("password_reset"), {"email": "nobody@example.org"}, REMOTE_ADDR="192.0.2.2")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_RESET_REQUESTED).count() == 2


def test_a_completed_password_reset_is_audited(client, partner):
    cache.clear()
    client.post(reverse("password_reset"), {"email": "partner@example.org"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/account/reset/" in line)
    path = link[link.index("/account/reset/") :]
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    new = "another pass phrase 2"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_RESET_COMPLETED)
    assert entry.user == partner
