"""Partner accounts: sign-in, password reset, API tokens, the audit log, and staff rights."""

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from portal.models import AuditEntry, Membership, PartnerToken, SharingLevel
from portal.tokens import PartnerTokenAuthentication, create_token
from tests.factories import FindingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def python(env, *args):
    """Run this project's Python in a fresh process with ``env`` (settings read at start-up)."""
    command = [sys.executable, *args]  # fixed arguments written in the tests below
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603


@pytest.fixture
def partner(django_user_model):
    user = django_user_model.objects.create_user("partner", "partner@example.org", "a long pass phrase 1")
    return user


def test_partner_signs_in_and_out_on_the_public_site_and_it_is_audited(client, partner):
    response = client.post(reverse("login"), {"username": "partner", "password": "a long pass phrase 1"})
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert "Signed in as <strong>partner</strong>" in client.get(reverse("account")).content.decode()
    assert AuditEntry.objects.filter(action="sign_in", user=partner).exists()
    client.post(reverse("logout"))
    assert client.get(reverse("account")).status_code == 302


def test_failed_sign_ins_are_audited_and_repeated_ones_lock_the_account(client, partner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "partner", "password": "wrong"})
    assert AuditEntry.objects.filter(action="sign_in_failed", username="partner").count() >= 1
    response = client.post(reverse("login"), {"username": "partner", "password": "a long pass phrase 1"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_partner_has_no_admin_access(client, partner):
    client.force_login(partner)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert "/admin/login/" in response.get("Location", "/admin/login/")


def test_password_reset_by_email(client, partner):
    client.post(reverse("password_reset"), {"email": "partner@example.org"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/account/reset/" in line)
    path = link[link.index("/account/reset/") :]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"new_password1": "another pass phrase 2", "new_password2": "another pass phrase 2"}
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.check_password("another pass phrase 2")


def test_sessions_expire(settings):
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600


def test_partner_creates_a_token_that_is_shown_once_and_stored_hashed(client, partner):
    client.force_login(partner)
    response = client.post(reverse("account"), {"name": "GRC sync", "lifetime": "30"})
    plaintext = response.context["new_token"]
    assert plaintext in response.content.decode()
    token = PartnerToken.objects.get(user=partner)
    assert plaintext not in (token.key_hash, token.prefix) and token.key_hash != plaintext
    assert token.expires_at is not None and token.expires_at < timezone.now() + timedelta(days=31)
    again = client.get(reverse("account")).content.decode()
    assert plaintext not in again and token.prefix in again
    assert AuditEntry.objects.filter(action="token_created", token=token).exists()


def test_token_form_rejects_a_missing_name(client, partner):
    client.force_login(partner)
    response = client.post(reverse("account"), {"name": "", "lifetime": "30"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_partner_revokes_a_token(client, partner):
    token, _ = create_token(partner, "old")
    client.force_login(partner)
    client.post(reverse("revoke_token", args=(token.pk,)))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="token_revoked", token=token).exists()


def test_a_partner_cannot_revoke_someone_elses_token(client, partner, django_user_model):
    other = django_user_model.objects.create_user("other")
    token, _ = create_token(other, "theirs")
    client.force_login(partner)
    assert client.post(reverse("revoke_token", args=(token.pk,))).status_code == 404


class WhoAmI(APIView):
    authentication_classes = [PartnerTokenAuthentication]

    def get(self, request):
        return Response({"user": request.user.get_username() if request.user.is_authenticated else None})


def call(token_text):
    request = APIRequestFactory().get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {token_text}")
    return WhoAmI.as_view()(request)


def test_a_token_acts_as_its_owner_and_its_use_is_audited_once_an_hour(partner):
    _, plaintext = create_token(partner, "sync")
    assert call(plaintext).data == {"user": "partner"}
    call(plaintext)
    assert AuditEntry.objects.filter(action="token_used", token_name="sync").count() == 1


@pytest.mark.parametrize("state", ["forged", "revoked", "expired", "inactive owner"])
def test_unusable_tokens_are_refused(partner, state):
    token, plaintext = create_token(partner, "t")
    if state == "forged":
        plaintext = PartnerToken.generate_token()
    elif state == "revoked":
        token.revoke()
    elif state == "expired":
        token.expires_at = timezone.now() - timedelta(seconds=1)
        token.save()
    else:
        partner.is_active = False
        partner.save()
    response = call(plaintext)
    assert response.status_code == 401
    assert "not valid" in str(response.data)


def test_staff_see_the_audit_log_in_the_admin(admin_client, partner):
    create_token(partner, "visible in the log")
    response = admin_client.get("/admin/audit_log/")
    assert response.status_code == 200
    assert "visible in the log" in response.content.decode()
    assert admin_client.get("/admin/audit_log/new/").status_code in (302, 403, 404)  # read-only


@pytest.fixture
def two_organisations(indexes, django_user_model):
    mine, theirs = OrganisationFactory(slug="mine"), OrganisationFactory(slug="theirs")
    editor = django_user_model.objects.create_user("editor", "e@example.org", "pw")
    editor.groups.add(Group.objects.get(name="Editors"), Group.objects.get(name="Publishers"))
    Membership.objects.create(user=editor, organisation=mine)
    own = FindingFactory(
        parent=indexes["finding"], title="Our record", owning_organisation=mine, sharing_level=SharingLevel.AMBER
    )
    other = FindingFactory(parent=indexes["finding"], title="Their record", owning_organisation=theirs)
    return editor, own, other


def test_staff_edit_their_own_organisations_records_only(client, two_organisations, indexes):
    editor, own, other = two_organisations
    client.force_login(editor)
    assert client.get(reverse("wagtailadmin_pages:edit", args=(own.pk,))).status_code == 200
    # Another organisation's record is, in the admin, a page that does not exist.
    assert client.get(reverse("wagtailadmin_pages:edit", args=(other.pk,))).status_code == 404
    listing = client.get(reverse("wagtailadmin_explore", args=(indexes["finding"].pk,))).content.decode()
    assert "Our record" in listing and "Their record" not in listing


def test_widening_the_sharing_level_asks_for_confirmation_and_is_audited(client, two_organisations):
    from tests.portal.test_admin import edit_form

    editor, own, _ = two_organisations
    client.force_login(editor)
    url, data = edit_form(client, own)
    data["sharing_level"] = SharingLevel.CLEAR
    response = client.post(url, data | {"action-publish": "Publish"})
    assert "wider audience" in response.content.decode()
    own.refresh_from_db()
    assert own.sharing_level == SharingLevel.AMBER
    response = client.post(url, data | {"action-publish": "Publish", "confirm_wider_sharing": "on"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.sharing_level == SharingLevel.CLEAR
    entry = AuditEntry.objects.get(action="sharing_changed")
    assert entry.user == editor
    assert entry.detail["before"]["level"] == "TLP:AMBER" and entry.detail["after"]["level"] == "TLP:CLEAR"


def test_narrowing_the_sharing_level_needs_no_confirmation(client, two_organisations):
    from tests.portal.test_admin import edit_form

    editor, own, _ = two_organisations
    client.force_login(editor)
    url, data = edit_form(client, own)
    data["sharing_level"] = SharingLevel.RED
    assert client.post(url, data | {"action-publish": "Publish"}).status_code == 302


def test_public_pages_send_a_strict_content_security_policy(client, indexes):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_without_a_secret_key_commands_that_sign_nothing_run_but_the_site_is_not_served():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.base")
    command = python(env, "manage.py", "makemigrations", "--check", "--dry-run")
    assert command.returncode == 0, command.stdout + command.stderr
    serving = python(env, "-c", "import portal.wsgi")
    assert serving.returncode != 0
    assert "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development)." in serving.stderr


def test_production_settings_pass_the_deployment_checks():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="portal.example.org",
        PORTAL_HTTPS="1",
    )
    result = python(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    hasher = python(
        env,
        "-c",
        "from django.conf import settings; import django; django.setup(); print(settings.PASSWORD_HASHERS[0])",
    )
    assert hasher.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_api_exports_are_audited_with_the_token_that_made_them(client, partner, indexes):
    FindingFactory(parent=indexes["finding"])
    _, plaintext = create_token(partner, "nightly export")
    response = client.get("/api/v1/records/?format=jsonl", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = AuditEntry.objects.get(action="export")
    assert entry.user == partner and entry.token_name == "nightly export" and entry.detail["format"] == "jsonl"
