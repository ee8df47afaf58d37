"""E-mail for follows: an alert at once, or a daily or weekly digest (``Follow.delivery``).

Every message is built when it is sent, through the sharing rule of that moment: a record the
person may no longer see is not mentioned, whatever was queued. Each message is plain text and
HTML, with a one-click unsubscribe link and the ``List-Unsubscribe`` / ``List-Unsubscribe-Post``
headers of RFC 8058.

Alerts: when the change log is written (``portal.changes.changes_logged``) a task is queued
(``send_alerts``; it runs after the commit, on the worker when there is one). For each change it
finds the follows set to "at once" whose records include the changed record now (a follow of a
term the record does not name, or of another kind, is passed over without reading its records),
and sends each person one message per change, naming the follows it matched. An ``Alert`` row
is written for each (follow, change) before sending and marked sent after, so running the task
again sends nothing twice and retries what was not sent.

Digests: ``send_digests(period)`` (``manage.py send_digests --period daily``, from cron) sends each
person one message for all their follows of that period, grouped by follow, with the records
changed since the entry of the change log the previous digest covered.
"""

from django_tasks import task

from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.changes import changes_logged
from portal.models import Alert, Follow, RecordChange, RecordPage, Topic, Viewer

from . import absolute_url, follows

UNSUBSCRIBE_SALT = "portal.alerts.unsubscribe"
#: How long an unsubscribe link works (seconds): 90 days.
UNSUBSCRIBE_MAX_AGE = 90 * 24 * 3600
Delivery = Follow.Delivery


def unsubscribe_token(follow):
    return signing.dumps({"f": follow.pk, "u": follow.user_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """The follow an unsubscribe link names; ValueError with a message for people if the link is
    forged, damaged or expired, or the follow is gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired:
        raise ValueError(
            "This unsubscribe link has expired. Change your e-mail settings on your account page."
        ) from None
    except signing.BadSignature:
        raise ValueError("This unsubscribe link is not valid. Copy the whole link from the e-mail.") from None
    follow = Follow.objects.filter(pk=data.get("f"), user_id=data.get("u")).first()
    if follow is None:
        raise ValueError("You no longer follow this, so there is nothing to unsubscribe from.")
    return follow


def _unsubscribe_url(follow):
    return absolute_url(reverse("unsubscribe", args=[unsubscribe_token(follow)]))


def _entry(record):
    return {
        "title": record.title,
        "kind": record.kind_display,
        "level": record.sharing_level,
        "summary": record.summary,
        "url": absolute_url(record.url or ""),
    }


def _send(user, subject, template, context, unsubscribe):
    """One message to ``user``, plain text and HTML, with RFC 8058 unsubscribe headers."""
    context = {**context, "user": user, "unsubscribe_url": unsubscribe, "account_url": absolute_url(reverse("account"))}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"email/{template}.txt", context),
        to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string(f"email/{template}.html", context), "text/html")
    message.send()


def _matches(follow, uuid):
    return follows.records(follow).filter(translation_key=uuid).first()


def _named_by(uuid, topic_parents):
    """What the record ``uuid`` names now that a follow of a term can name: {subject: keys}. Its
    topics count with every topic above them (a follow of a topic covers its sub-topics)."""
    pages = RecordPage.objects.filter(translation_key=uuid)
    topics, seen = set(), set()
    for pk in pages.values_list("topics", flat=True):
        while pk is not None and pk not in seen:
            seen.add(pk)
            slug, pk = topic_parents.get(pk, (None, None))
            topics.add(slug)
    return {
        Follow.Subject.TOPIC: topics - {None},
        Follow.Subject.SECTOR: set(pages.values_list("sectors__slug", flat=True)) - {None},
        Follow.Subject.ORGANISATION: set(pages.values_list("organisations__slug", flat=True)) - {None},
    }


def _may_match(follow, named, kind):
    """False when ``follow`` cannot match the record: a term the record does not name, another
    kind. A framework, a provision or a saved search may match: ``_matches`` reads it in full, and
    every follow kept here too (through the sharing rule of the moment)."""
    if follow.subject in named:
        return follow.key in named[follow.subject]
    if follow.subject == Follow.Subject.KIND:
        return follow.key == kind
    return True


@task()
def send_alerts(change_ids):
    """Send the "at once" alerts of these change-log entries (see the module's docstring)."""
    changes = list(RecordChange.objects.filter(id__in=change_ids).order_by("id"))
    at_once = list(Follow.objects.filter(delivery=Delivery.IMMEDIATE).select_related("user").order_by("user", "pk"))
    topic_parents = {pk: (slug, parent) for pk, slug, parent in Topic.objects.values_list("pk", "slug", "parent_id")}
    viewers = {}
    for change in changes:
        by_user = {}
        named = _named_by(change.record_uuid, topic_parents)
        for follow in at_once:
            if not follow.user.is_active or not follow.user.email or not _may_match(follow, named, change.kind):
                continue
            viewer = viewers.setdefault(follow.user_id, Viewer.of(follow.user))
            if not viewer.admits_any(change.seen_by):
                continue  # the record is not theirs to see: no need to read it
            record = _matches(follow, change.record_uuid)
            if record is not None:
                by_user.setdefault(follow.user, []).append((follow, record))
        for user, matched in by_user.items():
            alerts = []
            for follow, _ in matched:
                alert, _ = Alert.objects.get_or_create(
                    follow=follow, change_id=change.id, defaults={"record_uuid": change.record_uuid}
                )
                alerts.append(alert)
            if all(alert.sent_at for alert in alerts):
                continue  # sent by an earlier run of this task
            record = matched[0][1]
            what = "New" if change.action == RecordChange.Action.CREATED else "Updated"
            _send(
                user,
                f"{what}: {record.title}",
                "alert",
                {"record": _entry(record), "what": what, "follows": [f.shown_label for f, _ in matched]},
                _unsubscribe_url(matched[0][0]),
            )
            now = timezone.now()
            Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(sent_at=now)
            Follow.objects.filter(pk__in=[f.pk for f, _ in matched]).update(last_alert_at=now)


@receiver(changes_logged)
def queue_alerts(sender, entries, **kwargs):
    ids = [entry.pk for entry in entries if entry.pk and entry.cause_uuid is None]
    if ids and Follow.objects.filter(delivery=Delivery.IMMEDIATE).exists():
        send_alerts.enqueue(ids)


def send_digests(period):
    """Send the ``period`` ('daily' or 'weekly') digests; returns how many messages were sent."""
    newest = RecordChange.objects.newest_id()
    chosen = Follow.objects.filter(delivery=period).select_related("user").order_by("user", "pk")
    by_user = {}
    for follow in chosen:
        by_user.setdefault(follow.user, []).append(follow)
    sent = 0
    for user, mine in by_user.items():
        sections = []
        if user.is_active and user.email:
            for follow in mine:
                changed = RecordChange.objects.filter(id__gt=follow.covered_change, id__lte=newest)
                records = follows.records(follow).filter(translation_key__in=changed.values("record_uuid"))
                entries = [_entry(record) for record in records.order_by("-last_published_at", "-pk")]
                if entries:
                    sections.append(
                        {"label": follow.shown_label, "records": entries, "unsubscribe_url": _unsubscribe_url(follow)}
                    )
        if sections:
            count = sum(len(section["records"]) for section in sections)
            _send(
                user,
                f"Your {period} digest: {count} new or updated record{'s' if count != 1 else ''}",
                "digest",
                {"sections": sections, "period": period},
                sections[0]["unsubscribe_url"],
            )
            sent += 1
        covered = {"covered_change": newest, **({"last_alert_at": timezone.now()} if sections else {})}
        Follow.objects.filter(pk__in=[f.pk for f in mine]).update(**covered)
    return sent
