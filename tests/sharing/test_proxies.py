"""The client's address behind reverse proxies (PORTAL_TRUSTED_PROXIES): API throttles, sign-in
lock-out and the audit log all read it the same way, and X-Forwarded-For counts only when a
proxy the portal trusts wrote it."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt

from django.core.cache import cache
from django.urls import reverse

from portal.models import AuditEntry

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "a long pass phrase 1"


@pytest.fixture
def partner(django_user_model):
    return django_user_model.objects.create_user("partner", "partner@example.org", PASSWORD)


@pytest.fixture
def anon_rate(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_one_proxy(settings):
    settings.PORTAL_TRUSTED_PROXIES = 1


def sectors(client, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.get("/api/v1/sectors/", **extra).status_code


def sign_in(client, password, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": "partner", "password": password}, **extra)


def test_without_trusted_proxies_x_forwarded_for_does_not_reset_the_anonymous_rate(client, anon_rate):
    codes = [sectors(client, "192.0.2.1", forwarded=f"198.51.100.{n}") for n in range(3)]
    assert codes == [200, 200, 429]


def test_without_trusted_proxies_x_forwarded_for_cannot_spend_another_address_allowance(client, anon_rate):
    assert [sectors(client, "192.0.2.1", forwarded="192.0.2.99") for _ in range(3)] == [200, 200, 429]
    assert sectors(client, "192.0.2.99") == 200


def test_behind_a_trusted_proxy_each_client_address_has_its_own_rate(client, anon_rate, behind_one_proxy):
    assert [sectors(client, PROXY, forwarded="203.0.113.5") for _ in range(3)] == [200, 200, 429]
    # Another client behind the same proxy keeps its allowance.
    assert sectors(client, PROXY, forwarded="203.0.113.6") == 200
    # What the client writes itself, left of what the proxy appended, changes nothing.
    assert sectors(client, PROXY, forwarded="198.51.100.1, 203.0.113.5") == 429


def test_a_malformed_forwarded_address_falls_back_to_the_connecting_address(client, anon_rate, behind_one_proxy):
    assert [sectors(client, PROXY, forwarded="not-an-address") for _ in range(3)] == [200, 200, 429]
    assert sectors(client, PROXY, forwarded="also garbage") == 429


def test_behind_a_trusted_proxy_wrong_passwords_from_elsewhere_do_not_lock_the_victim_out(
    client, partner, settings, behind_one_proxy
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", PROXY, forwarded="203.0.113.66")
    # The attacker's address is locked out for this account, whatever it writes in the header.
    assert sign_in(client, PASSWORD, PROXY, forwarded="198.51.100.1, 203.0.113.66").status_code == 429
    # The victim, behind the same proxy from their own address, signs in.
    response = sign_in(client, PASSWORD, PROXY, forwarded="198.51.100.7")
    assert response.status_code == 302 and response["Location"] == reverse("account")


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lock_out(client, partner, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", "192.0.2.1", forwarded=f"198.51.100.{n}")
    assert sign_in(client, PASSWORD, "192.0.2.1", forwarded="198.51.100.200").status_code == 429


def test_a_failure_during_lock_out_does_not_restart_the_cool_off(client, partner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", "192.0.2.1")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    # Almost the whole cool-off passes; one more wrong password arrives during the lock-out.
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= cool_off - timedelta(minutes=1)
        attempt.save()
    assert sign_in(client, "wrong", "192.0.2.1").status_code == 429
    # Two more minutes: the cool-off that began with the fifth failure is over.
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=2)
        attempt.save()
    assert sign_in(client, PASSWORD, "192.0.2.1").status_code == 302


def test_the_audit_log_keeps_the_client_address_given_by_a_trusted_proxy(client, partner, behind_one_proxy):
    sign_in(client, "wrong", PROXY, forwarded="198.51.100.1, 203.0.113.5")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SIGN_IN_FAILED)
    assert entry.ip_address == "203.0.113.5"


def test_without_trusted_proxies_the_audit_log_ignores_x_forwarded_for(client, partner):
    sign_in(client, "wrong", "192.0.2.1", forwarded="203.0.113.5")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SIGN_IN_FAILED)
    assert entry.ip_address == "192.0.2.1"


def test_two_trusted_proxies_take_the_address_the_outer_one_appended(client, partner, settings):
    settings.PORTAL_TRUSTED_PROXIES = 2
    sign_in_response = sign_in(client, "wrong", PROXY, forwarded="198.51.100.1, 203.0.113.5, 10.0.0.1")
    assert sign_in_response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SIGN_IN_FAILED)
    assert entry.ip_address == "203.0.113.5"
