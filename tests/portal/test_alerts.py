"""E-mail for follows (issue 17, part 2), received by a real SMTP server in the test process: an
alert at once, daily and weekly digests, one-click unsubscribe (RFC 8058), and the sharing rule at
send time."""

import email
import io
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import CrossLink, Follow, Membership, RecordChange
from portal.services import alerts, follows
from tests.factories import (
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def inbox(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield box
    controller.stop()


@pytest.fixture
def partner(client, django_user_model):
    user = django_user_model.objects.create_user("petra", "petra@example.org", "pw")
    Membership.objects.create(user=user, organisation=OrganisationFactory(slug="telco"))
    client.force_login(user)
    return user


def follow(user, subject, key, delivery):
    done, _ = follows.follow(user, subject, key)
    done.delivery = delivery
    done.save()
    return done


def publish(page):
    page.save_revision().publish()
    return page


def text_of(message):
    return message.get_body(("plain",)).get_content()


def test_an_alert_comes_at_once_once_with_its_unsubscribe_headers(indexes, partner, inbox):
    follow(partner, "kind", "finding", "immediate")
    finding = publish(
        FindingFactory(parent=indexes["finding"], title="Cable cut study", sharing_level="TLP:CLEAR", live=False)
    )
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "petra@example.org" and "Cable cut study" in message["Subject"]
    assert "[TLP:CLEAR]" in text_of(message) and finding.url in text_of(message)
    assert "Cable cut study" in message.get_body(("html",)).get_content()
    unsubscribe = str(message["List-Unsubscribe"]).strip()  # a long header is folded onto a new line
    assert unsubscribe.startswith("<http") and "/account/unsubscribe/" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The task run again (a worker restarted) sends nothing twice.
    alerts.send_alerts.call(list(RecordChange.objects.values_list("id", flat=True)))
    assert len(inbox.messages) == 1


def test_the_sharing_rule_applies_when_the_message_is_made(indexes, partner, inbox):
    follow(partner, "kind", "finding", "immediate")
    publish(
        FindingFactory(
            parent=indexes["finding"],
            title="Theirs",
            sharing_level="TLP:AMBER",
            owning_organisation=OrganisationFactory(),
        )
    )
    assert inbox.messages == []  # never theirs to see
    lesson_follow = follow(partner, "kind", "lesson", "immediate")
    lesson = LessonFactory(parent=indexes["lesson"], title="Queued then restricted", sharing_level="TLP:CLEAR")
    Follow.objects.filter(pk=lesson_follow.pk).update(delivery="feed")  # queued while nobody listens…
    publish(lesson)
    entry = RecordChange.objects.filter(record_uuid=lesson.translation_key).latest("id")
    Follow.objects.filter(pk=lesson_follow.pk).update(delivery="immediate")
    lesson.sharing_level = "TLP:RED"  # …and restricted before the worker got to it
    publish(lesson)
    inbox.messages.clear()
    alerts.send_alerts.call([entry.id])
    assert inbox.messages == []


def test_a_digest_is_one_message_per_person_grouped_by_follow(indexes, partner, inbox):
    follow(partner, "kind", "finding", "daily")
    follow(partner, "kind", "lesson", "daily")
    follow(partner, "search", "weeklyonly", "weekly")
    publish(FindingFactory(parent=indexes["finding"], title="Finding for the digest", sharing_level="TLP:CLEAR"))
    publish(LessonFactory(parent=indexes["lesson"], title="Lesson for the digest", sharing_level="TLP:CLEAR"))
    assert inbox.messages == []  # digests wait for their time
    call_command("send_digests", "--period", "daily", stdout=io.StringIO())
    assert len(inbox.messages) == 1
    body = text_of(inbox.messages[0])
    assert "== New findings ==" in body and "Finding for the digest" in body
    assert "== New lessons ==" in body and "Lesson for the digest" in body
    assert "2 new or updated records" in inbox.messages[0]["Subject"]
    call_command("send_digests", "--period", "daily", stdout=io.StringIO())
    assert len(inbox.messages) == 1  # nothing new since
    call_command("send_digests", "--period", "weekly", stdout=io.StringIO())
    assert len(inbox.messages) == 1  # the weekly search matched nothing


def test_one_click_unsubscribe_and_bad_links(client, indexes, partner, inbox, monkeypatch):
    done = follow(partner, "kind", "finding", "immediate")
    url = f"/account/unsubscribe/{alerts.unsubscribe_token(done)}/"
    client.logout()  # the link works without signing in
    assert "Stop the e-mail for" in client.get(url).content.decode()
    done.refresh_from_db()
    assert done.delivery == "immediate"  # a GET (a mail scanner) changes nothing
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "no more e-mail" in response.content.decode()
    done.refresh_from_db()
    assert done.delivery == "feed"
    assert "already stopped" in client.post(url).content.decode()  # used again
    forged = client.get("/account/unsubscribe/not-a-real-token/")
    assert forged.status_code == 400 and "not valid" in forged.content.decode()
    monkeypatch.setattr(alerts, "UNSUBSCRIBE_MAX_AGE", -1)
    expired = client.post(url)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    publish(FindingFactory(parent=indexes["finding"], title="After unsubscribing", sharing_level="TLP:CLEAR"))
    assert inbox.messages == []


def test_choosing_e_mail_on_the_account_page(client, indexes, partner, django_user_model):
    done = follow(partner, "kind", "finding", "feed")
    client.post(f"/account/follows/{done.pk}/delivery/", {"delivery": "weekly"})
    done.refresh_from_db()
    assert done.delivery == "weekly"
    client.post(f"/account/follows/{done.pk}/delivery/", {"delivery": "hourly"})
    done.refresh_from_db()
    assert done.delivery == "weekly"  # not a choice: nothing changes
    nobody = django_user_model.objects.create_user("noemail", "", "pw")
    theirs = follow(nobody, "kind", "lesson", "feed")
    client.force_login(nobody)
    response = client.post(f"/account/follows/{theirs.pk}/delivery/", {"delivery": "daily"}, follow=True)
    assert "no e-mail address" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.delivery == "feed"
    assert client.post(f"/account/follows/{done.pk}/delivery/", {"delivery": "daily"}).status_code == 404


def test_an_alert_reads_only_the_follows_its_record_can_match(indexes, django_user_model, inbox):
    """The queries of one change do not grow with follows of other topics, sectors, organisations
    or kinds: the delivery soak (bench/deliveries.py) took 10 to 14 s per change with 200 partners
    when every follow's records were read for every change."""
    security = TopicFactory(slug="security", name="Security")
    injection = TopicFactory(slug="injection", name="Injection", parent=security)
    TopicFactory(slug="weather", name="Weather")
    SectorFactory(slug="energy", name="Energy")
    OrganisationFactory(slug="elsewhere")
    reader = django_user_model.objects.create_user("reader", "reader@example.org", "pw")
    follow(reader, "topic", "security", "immediate")
    finding = FindingFactory(parent=indexes["finding"], title="Injected", sharing_level="TLP:CLEAR", live=False)
    finding.topics.set([injection])
    publish(finding)
    entry = RecordChange.objects.filter(record_uuid=finding.translation_key).latest("id")
    # The test settings run the task at once, inside the save and before the topics are saved (the
    # site runs it after the commit): run it as the worker would.
    alerts.send_alerts.call([entry.id])
    assert [m["To"] for m in inbox.messages] == ["reader@example.org"]

    def queries():
        with CaptureQueriesContext(connection) as done:
            alerts.send_alerts.call([entry.id])  # run again: reads the follows, sends nothing twice
        return len(done)

    alone = queries()
    for n in range(5):
        other = django_user_model.objects.create_user(f"other{n}", f"other{n}@example.org", "pw")
        for subject, key in (("topic", "weather"), ("sector", "energy"), ("organisation", "elsewhere")):
            follow(other, subject, key, "immediate")
        follow(other, "kind", "lesson", "immediate")
    assert queries() == alone
    assert len(inbox.messages) == 1


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("framework", "rmf"),
        ("provision", "GOVERN 1"),
        ("topic", "security"),  # the record is under a sub-topic
        ("sector", "telecommunications"),
        ("organisation", "telco"),
        ("kind", "lesson"),
        ("search", "jackalope"),
    ],
)
def test_each_kind_of_follow_brings_exactly_one_alert_for_a_matching_record(
    indexes, partner, inbox, committed, subject, key
):
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="RMF", sharing_level="TLP:CLEAR")
    govern = ProvisionFactory(framework=rmf, code="GOVERN 1", sort_order=0)
    child = TopicFactory(slug="injection", name="Injection", parent=TopicFactory(slug="security", name="Security"))
    sector = SectorFactory(slug="telecommunications", name="Telecommunications")
    framework = str(rmf.uuid) if subject == "provision" else None
    done, _ = follows.follow(partner, subject, str(rmf.uuid) if subject == "framework" else key, framework)
    done.delivery = "immediate"
    done.save()

    def draft():
        lesson = LessonFactory(
            parent=indexes["lesson"], title="Jackalope outage at a telco", sharing_level="TLP:CLEAR", live=False
        )
        lesson.topics.set([child])
        lesson.sectors.set([sector])
        lesson.organisations.set([partner.memberships.get().organisation])
        CrossLink.objects.create(source=lesson, target=rmf, target_provision=govern, link_type="addresses")
        return lesson

    lesson = committed(draft)
    committed(lambda: publish(lesson))  # the alert is made after the commit, as on the site
    assert len(inbox.messages) == 1, [message["Subject"] for message in inbox.messages]
    assert inbox.messages[0]["Subject"] == "New: Jackalope outage at a telco"
    assert done.label in text_of(inbox.messages[0])
