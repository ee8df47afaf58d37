"""Webhooks (issue 17, part 4), received by a real HTTPS server in the test process that checks
each signature: registration and its refusals, each event, the sharing rule at send time, retries
with backoff, the delivery log, and an owner who stops being an administrator."""

import datetime
import hashlib
import hmac
import io
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from django.core.management import call_command
from django.utils import timezone

from portal.models import Membership, WebhookDelivery, WebhookEndpoint
from portal.services import webhooks
from tests.factories import FindingFactory, FrameworkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

Event, Status = WebhookDelivery.Event, WebhookDelivery.Status


class Receiver:
    """An HTTPS endpoint on 127.0.0.1 with a certificate of a test authority. It answers each POST
    with the next of ``answers`` (then 200) and keeps what it received, checking the signature with
    ``secret`` once it is known."""

    def __init__(self, ca):
        self.requests, self.answers, self.secret = [], [], None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "https://127.0.0.1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/hooks/portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def verified(self):
        """The received events (pings excluded) as JSON, each signature checked as a receiver does."""
        events = []
        for request in self.requests:
            header = request["headers"]["Portal-Signature"]
            parts = dict(item.split("=", 1) for item in header.split(","))
            expected = hmac.new(
                self.secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256
            ).hexdigest()
            assert hmac.compare_digest(expected, parts["v1"]), "bad signature"
            assert abs(int(parts["t"]) - timezone.now().timestamp()) < 300
            data = json.loads(request["body"])
            assert request["headers"]["Portal-Event"] == data["event"]
            if data["event"] != "ping":
                assert request["headers"]["Portal-Delivery"] == data["id"]
                events.append(data)
        return events

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings, tmp_path):
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    settings.WEBHOOKS_CA_FILE = str(ca_file)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    served = Receiver(ca)
    yield served
    served.close()


@pytest.fixture
def telco():
    return OrganisationFactory(slug="telco", name="Telco")


@pytest.fixture
def admin(client, django_user_model, telco):
    user = django_user_model.objects.create_user("ada", "ada@example.org", "pw")
    Membership.objects.create(user=user, organisation=telco, is_administrator=True)
    client.force_login(user)
    return user


def register(client, receiver, telco, url=None):
    response = client.post(
        "/account/webhooks/", {"organisation": telco.pk, "url": url or receiver.url, "description": "SOC"}
    )
    endpoint = WebhookEndpoint.objects.order_by("-pk").first()
    if endpoint is not None:
        receiver.secret = endpoint.secret
    return response, endpoint


@pytest.fixture(autouse=True)
def commit(committed):
    """Tasks run after the commit, as on the site (``committed`` in tests/conftest.py)."""
    return committed


@pytest.fixture
def publish(commit):
    def publish(page):
        commit(lambda: page.save_revision().publish())
        page.refresh_from_db()
        return page

    return publish


@pytest.fixture
def unpublish(commit):
    return lambda page: commit(page.unpublish)


@pytest.fixture
def endpoint(client, receiver, telco, admin):
    response, endpoint = register(client, receiver, telco)
    assert response.status_code == 302
    receiver.requests.clear()
    return endpoint


def test_registering_pings_with_a_signature_and_shows_the_secret_once(client, receiver, telco, admin):
    response, endpoint = register(client, receiver, telco)
    assert response.status_code == 302 and endpoint.owner == admin
    assert len(receiver.requests) == 1 and receiver.verified() == []  # the ping, correctly signed
    assert json.loads(receiver.requests[0]["body"])["event"] == "ping"
    page = client.get(response["Location"])
    assert endpoint.secret in page.content.decode()
    assert endpoint.secret not in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("url", "answers", "message"),
    [
        ("http://127.0.0.1:9/hook", [], "must start with https://"),
        ("https://user:pw@127.0.0.1:9/hook", [], "user name and password"),
        ("https://no-such-host.invalid/hook", [], "does not resolve"),
        (None, [302], "do not follow redirects"),
        (None, [500], "answered 500"),
    ],
)
def test_a_refused_endpoint_gets_a_message_and_nothing_is_stored(client, receiver, telco, admin, url, answers, message):
    receiver.answers = answers
    response, endpoint = register(client, receiver, telco, url)
    assert response.status_code == 400 and endpoint is None
    assert message in response.content.decode()


def test_private_addresses_are_refused_unless_allowed(client, receiver, telco, admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    for url in (receiver.url, "https://localhost/hook", "https://169.254.169.254/latest", "https://[::1]/hook"):
        response, endpoint = register(client, receiver, telco, url)
        assert response.status_code == 400 and endpoint is None, url
        assert "public addresses only" in response.content.decode(), url
    assert receiver.requests == []


def test_only_an_organisation_administrator_may_register(client, receiver, telco, django_user_model):
    member = django_user_model.objects.create_user("mo", "mo@example.org", "pw")
    Membership.objects.create(user=member, organisation=telco)
    client.force_login(member)
    assert "Only an administrator" in client.get("/account/webhooks/").content.decode()
    response, endpoint = register(client, receiver, telco)
    assert response.status_code == 403 and endpoint is None


def test_each_event_reaches_the_endpoint_once_signed(indexes, endpoint, receiver, publish, unpublish):
    finding = publish(
        FindingFactory(parent=indexes["finding"], title="Jamming study", sharing_level="TLP:GREEN", live=False)
    )
    finding.title = "Jamming study, revised"
    publish(finding)
    unpublish(finding)
    events = receiver.verified()
    assert [event["event"] for event in events] == ["created", "updated", "withdrawn"]
    created = events[0]
    assert created["record"]["id"] == str(finding.translation_key)
    assert created["record"]["title"] == "Jamming study" and events[1]["record"]["title"] == "Jamming study, revised"
    assert created["record"]["api_url"].endswith(f"/api/v1/records/{finding.translation_key}/")
    assert events[2]["record"] == {"id": str(finding.translation_key), "kind": "finding"}
    assert len({event["id"] for event in events}) == 3
    # Sending what is due again sends nothing twice.
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))
    assert len(receiver.requests) == 3


def test_a_new_version_of_a_framework_is_amended(indexes, endpoint, receiver, publish):
    framework = FrameworkFactory(
        parent=indexes["framework"], title="Telecom AI code", sharing_level="TLP:CLEAR", live=False
    )
    framework.versions.create(key="v1", title="First edition", kind="original")
    publish(framework)
    framework.summary = "Typo fixed."
    publish(framework)
    framework.versions.create(key="amendment-1", title="First amendment", kind="amendment")
    publish(framework)
    assert [event["event"] for event in receiver.verified()] == ["created", "updated", "amended"]


def test_a_record_that_narrows_leaves_the_view_without_its_content(indexes, endpoint, receiver, telco, publish):
    finding = publish(
        FindingFactory(parent=indexes["finding"], title="Core outage", sharing_level="TLP:AMBER", live=False)
    )
    finding.shared_with_organisations.add(telco)
    publish(finding)
    finding.sharing_level = "TLP:RED"
    finding.title = "Core outage: the names"
    publish(finding)
    events = receiver.verified()
    assert [event["event"] for event in events][-1] == "left_view"
    assert events[-1]["record"] == {"id": str(finding.translation_key), "kind": "finding"}
    assert not any("the names" in request["body"].decode() for request in receiver.requests)


def test_a_record_never_in_view_is_never_sent(indexes, endpoint, receiver, publish, unpublish):
    finding = publish(FindingFactory(parent=indexes["finding"], title="Red only", sharing_level="TLP:RED", live=False))
    finding.title = "Red only, edited"
    publish(finding)
    unpublish(finding)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()  # nothing to tell: nothing kept


def test_failures_are_retried_with_backoff_and_logged(indexes, endpoint, receiver, client, publish):
    receiver.answers = [500, 503]
    publish(FindingFactory(parent=indexes["finding"], title="Retry me", sharing_level="TLP:CLEAR", live=False))
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 1, 500)
    first_wait = delivery.next_attempt_at - delivery.created_at
    assert datetime.timedelta(seconds=29) < first_wait < datetime.timedelta(seconds=40)
    assert webhooks.send_due() == 0  # not due yet
    webhooks.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at - timezone.now() > datetime.timedelta(seconds=55)
    webhooks.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.DELIVERED, 3, "")
    events = receiver.verified()
    assert len(events) == 3 and len({event["id"] for event in events}) == 1  # one delivery, three attempts
    log = client.get(f"/account/webhooks/{endpoint.pk}/").content.decode()
    assert "delivered" in log and str(delivery.record_uuid) in log


def test_a_delivery_gives_up_after_the_last_attempt(indexes, endpoint, receiver, settings, publish):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [500, 500]
    publish(FindingFactory(parent=indexes["finding"], title="Broken", sharing_level="TLP:CLEAR", live=False))
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    webhooks.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.FAILED, 2, "answered 500")


def test_a_record_narrowed_while_its_delivery_waits_is_not_sent(indexes, endpoint, receiver, publish):
    receiver.answers = [500]
    finding = publish(
        FindingFactory(parent=indexes["finding"], title="Was green", sharing_level="TLP:GREEN", live=False)
    )
    first = WebhookDelivery.objects.get(endpoint=endpoint)
    finding.sharing_level = "TLP:RED"
    finding.summary = "Now red: secret details."
    publish(finding)
    webhooks.send_due(now=first.next_attempt_at)
    assert not WebhookDelivery.objects.filter(pk=first.pk).exists()  # nothing to tell any more
    assert len(receiver.requests) == 1  # only the failed attempt of when it was green
    assert "secret details" not in receiver.requests[0]["body"].decode()


def test_a_delivery_is_claimed_by_one_worker_only(indexes, endpoint, receiver, publish):
    receiver.answers = [500]
    publish(FindingFactory(parent=indexes["finding"], title="Claimed", sharing_level="TLP:CLEAR", live=False))
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    later = delivery.next_attempt_at
    stale = WebhookDelivery.objects.get(pk=delivery.pk)  # as another worker read it
    assert webhooks.send_one(delivery, now=later) == Status.DELIVERED
    assert webhooks.send_one(stale, now=later) is None
    assert len(receiver.requests) == 2


def test_an_owner_who_is_no_longer_administrator_stops_the_endpoint(
    indexes, endpoint, receiver, admin, client, publish
):
    Membership.objects.filter(user=admin).update(is_administrator=False)
    publish(FindingFactory(parent=indexes["finding"], title="After", sharing_level="TLP:CLEAR", live=False))
    endpoint.refresh_from_db()
    assert not endpoint.active and "no longer an administrator" in endpoint.stopped_because
    assert receiver.requests == []
    response = client.post(f"/account/webhooks/{endpoint.pk}/on/", follow=True)
    assert "no longer an administrator" in response.content.decode()
    endpoint.refresh_from_db()
    assert not endpoint.active


def test_the_log_and_actions_belong_to_the_owner_only(endpoint, client, django_user_model, telco):
    other = django_user_model.objects.create_user("eve", "eve@example.org", "pw")
    Membership.objects.create(user=other, organisation=telco, is_administrator=True)
    client.force_login(other)
    assert client.get(f"/account/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/account/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_switching_off_rotating_and_deleting(indexes, endpoint, receiver, client, publish):
    old = endpoint.secret
    response = client.post(f"/account/webhooks/{endpoint.pk}/rotate/", follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()
    client.post(f"/account/webhooks/{endpoint.pk}/off/")
    publish(FindingFactory(parent=indexes["finding"], title="Quiet", sharing_level="TLP:CLEAR", live=False))
    assert receiver.requests == []
    assert client.post(f"/account/webhooks/{endpoint.pk}/nonsense/").status_code == 404
    client.post(f"/account/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_the_worker_a_retry_waits_in_the_queue_once(indexes, receiver, client, django_user_model, settings):
    """With the worker (PORTAL_TASK_WORKER=1), a failed delivery queues one later run of the task
    for its retry, however many changes come meanwhile; the worker sends it when it is due."""
    from asgiref.local import Local
    from django_tasks import task_backends
    from django_tasks_db.models import DBTaskResult

    telco = OrganisationFactory(slug="telco-w")
    user = django_user_model.objects.create_user("wanda", "wanda@example.org", "pw")
    Membership.objects.create(user=user, organisation=telco, is_administrator=True)
    client.force_login(user)
    _, endpoint = register(client, receiver, telco)
    receiver.requests.clear()

    def reset_backends():
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)

    def work():
        call_command("task_worker", "--batch", "--recover-all", verbosity=0, stderr=io.StringIO())

    settings.TASKS = {"default": {"BACKEND": "portal.services.tasks.QueuedBackend"}}
    reset_backends()
    try:
        waiting = DBTaskResult.objects.filter(task_path=webhooks.deliver_webhooks.module_path, status="READY")
        receiver.answers = [500]
        FindingFactory(
            parent=indexes["finding"], title="First", sharing_level="TLP:CLEAR", live=False
        ).save_revision().publish()
        work()
        assert len(receiver.requests) == 1 and waiting.count() == 1  # the retry's run, not yet due
        FindingFactory(
            parent=indexes["finding"], title="Second", sharing_level="TLP:CLEAR", live=False
        ).save_revision().publish()
        work()
        assert len(receiver.requests) == 2 and waiting.count() == 1
        WebhookDelivery.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())
        waiting.update(run_after=timezone.now())
        work()
        assert len(receiver.requests) == 3 and waiting.count() == 0
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    finally:
        reset_backends()
