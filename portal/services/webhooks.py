"""Webhooks: each change of a record POSTed as signed JSON to the endpoints whose owners may see it.

Queueing: when the change log is written (``portal.changes.changes_logged``), one
``WebhookDelivery`` per active endpoint and entry is written in the same transaction (a change that
rolls back leaves none), and the ``deliver_webhooks`` task is queued; it runs after the commit, on
the worker when there is one.

Sending: each due delivery is decided when it is sent, through the sharing rule of that moment,
for the endpoint's owner:

- the record is visible: ``created`` if the endpoint does not hold it yet (first published, or
  newly shared with the owner), ``amended`` if it is a framework whose newest version changed since
  the endpoint last heard of it, else ``updated``; the body carries the record's summary fields;
- the record is not visible but the endpoint holds it: ``withdrawn`` (unpublished or deleted) or
  ``left_view`` (still published, but shared more narrowly, or the owner left an organisation);
  the body carries only the record's id and kind;
- otherwise there is nothing to tell, and the delivery is deleted: a record the owner never could
  see is never named, even if it was visible when the change was queued.

Each request is signed: ``Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
with the endpoint's secret. A failed attempt (no answer in ``WEBHOOK_TIMEOUT`` seconds, a status
other than 2xx, a redirect: redirects are not followed) is tried again after 30 s, 1, 2, 4 … minutes,
up to ``WEBHOOK_MAX_ATTEMPTS`` attempts. A delivery is claimed for ``CLAIM_SECONDS`` before it is
sent, so two workers never send it at once and a worker that dies while sending leaves it to be
sent again once the claim lapses; receivers drop repeats by the ``Portal-Delivery`` id.

Which addresses it sends to, and the request itself: ``portal.services.webhook_http``.
"""

import datetime
import http.client
import json
import time
import uuid

from django_tasks import TaskResultStatus, default_task_backend, task
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.db.models import Min
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from portal.changes import changes_logged
from portal.models import Organisation, RecordChange, RecordPage, WebhookDelivery, WebhookEndpoint

from . import absolute_url
from .webhook_http import EndpointRefused, check_url, post, signature

Event = WebhookDelivery.Event
Status = WebhookDelivery.Status

#: How long a worker holds a delivery it is sending (seconds).
CLAIM_SECONDS = 120
#: The first retry's delay (seconds); each later one waits twice as long.
FIRST_RETRY = 30
MAX_RETRY_DELAY = 6 * 3600
USER_AGENT = "ai-safety-portal-webhooks/1"
#: How many deliveries one run of the task sends at most (it queues itself again for the rest).
BATCH = 200


def signed_headers(endpoint, body, event, delivery_id):
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Portal-Event": event,
        "Portal-Delivery": str(delivery_id),
        "Portal-Signature": signature(endpoint.secret, body, int(time.time())),
    }


# -- What a delivery says --------------------------------------------------------------------------


def _record_fields(record):
    return {
        "id": str(record.translation_key),
        "kind": record.kind,
        "title": record.title,
        "summary": record.summary,
        "sharing_level": record.sharing_level,
        "last_published_at": record.last_published_at.isoformat() if record.last_published_at else None,
        "web_url": absolute_url(record.url or ""),
        "api_url": absolute_url(reverse("api:record-detail", args=[record.translation_key])),
    }


def _held_version(delivery):
    """The newest earlier delivery of the same record that reached the endpoint, or None."""
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            record_uuid=delivery.record_uuid,
            status=Status.DELIVERED,
            change_id__lt=delivery.change_id,
        )
        .order_by("-change_id")
        .first()
    )


def decide(delivery, change_action=None):
    """``(event, record fields, version)`` of a delivery now, or None when there is nothing to tell
    its endpoint's owner (see the module's docstring)."""
    endpoint = delivery.endpoint
    earlier = _held_version(delivery)
    holds = earlier is not None and earlier.event in WebhookDelivery.HOLDING
    record = (
        RecordPage.objects.visible_to(endpoint.owner).filter(translation_key=delivery.record_uuid).specific().first()
    )
    if record is not None:
        version = record.newest_version_key()
        if not holds:
            return Event.CREATED, _record_fields(record), version
        if version and version != earlier.version:
            return Event.AMENDED, _record_fields(record), version
        return Event.UPDATED, _record_fields(record), version
    if not holds:
        return None
    gone = change_action in (RecordChange.Action.UNPUBLISHED, RecordChange.Action.DELETED)
    if not gone:
        gone = not RecordPage.objects.live().filter(translation_key=delivery.record_uuid).exists()
    kind = RecordChange.objects.filter(id=delivery.change_id).values_list("kind", flat=True).first() or ""
    return (Event.WITHDRAWN if gone else Event.LEFT), {"id": str(delivery.record_uuid), "kind": kind}, earlier.version


def body_of(delivery, event, fields, occurred_at):
    return json.dumps(
        {
            "id": str(delivery.public_id),
            "event": event,
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
            "change": delivery.change_id,
            "record": fields,
        },
        sort_keys=True,
    ).encode()


def retry_delay(attempts):
    """Seconds before the next attempt after ``attempts`` failed ones: 30 s, 1 min, 2 min …"""
    return min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY_DELAY)


def _claim(delivery, now):
    """Hold ``delivery`` for this worker; False if another worker holds or finished it."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=Status.PENDING, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS))
    )


def _finish(delivery, **fields):
    fields.setdefault("finished_at", timezone.now())
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)


#: What ``send_one`` answers for a delivery with nothing to tell (switched off, no longer the
#: owner's to use, or a record the endpoint never held and may not see): it is deleted, so the
#: table holds only what was or will be sent.
SKIPPED = "skipped"


def _skip(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).delete()
    return SKIPPED


def send_one(delivery, now=None):
    """One attempt at one due delivery; returns its status afterwards."""
    now = now or timezone.now()
    if not _claim(delivery, now):
        return None
    endpoint = delivery.endpoint
    if not endpoint.active:
        return _skip(delivery)
    if not endpoint.owner_may_use():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            active=False, stopped_because="Its owner is no longer an administrator of the organisation."
        )
        return _skip(delivery)
    change = RecordChange.objects.filter(id=delivery.change_id).values_list("action", "at").first()
    action, occurred_at = change if change else (None, None)
    decided = decide(delivery, action)
    if decided is None:
        return _skip(delivery)
    event, fields, version = decided
    body = body_of(delivery, event, fields, occurred_at)
    attempts = delivery.attempts + 1
    try:
        code = post(endpoint.url, body, signed_headers(endpoint, body, event, delivery.public_id))
        error = "" if 200 <= code < 300 else f"answered {code}"
    except EndpointRefused as refused:
        code, error = None, str(refused)
    except (OSError, http.client.HTTPException) as failure:
        code, error = None, str(failure) or type(failure).__name__
    if not error:
        _finish(
            delivery,
            status=Status.DELIVERED,
            event=event,
            version=version,
            attempts=attempts,
            last_status_code=code,
            last_error="",
        )
        return Status.DELIVERED
    if attempts >= getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8):
        _finish(
            delivery,
            status=Status.FAILED,
            event=event,
            attempts=attempts,
            last_status_code=code,
            last_error=error[:500],
        )
        return Status.FAILED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        event=event,
        attempts=attempts,
        last_status_code=code,
        last_error=error[:500],
        next_attempt_at=now + datetime.timedelta(seconds=retry_delay(attempts)),
    )
    return Status.PENDING


def due(now=None):
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .select_related("endpoint__owner")
        .order_by("endpoint_id", "change_id")
    )


def send_due(now=None, limit=BATCH):
    """Send the deliveries that are due, oldest change first for each endpoint; returns how many
    were attempted."""
    attempted = 0
    for delivery in list(due(now)[:limit]):
        if send_one(delivery, now) is not None:
            attempted += 1
    return attempted


def _run_waiting():
    """Whether a run of ``deliver_webhooks`` already waits in the worker's queue."""
    return DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path, status=TaskResultStatus.READY).exists()


@task()
def deliver_webhooks():
    """Send what is due. On the worker, queue one later run for the next retry that waits (or at
    once if more is due than one run sends), unless one waits already."""
    send_due()
    pending = WebhookDelivery.objects.filter(status=Status.PENDING).aggregate(next=Min("next_attempt_at"))["next"]
    if pending is not None and default_task_backend.supports_defer and not _run_waiting():
        deliver_webhooks.using(run_after=max(pending, timezone.now())).enqueue()


@receiver(changes_logged)
def queue_deliveries(sender, entries, **kwargs):
    """One delivery per active endpoint for each entry about a record's own change (a change of a
    linked record only changes how this one's links read, and is not sent)."""
    own = [entry for entry in entries if entry.pk and entry.cause_uuid is None]
    if not own:
        return
    endpoints = list(WebhookEndpoint.objects.filter(active=True).values_list("pk", flat=True))
    if not endpoints:
        return
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint_id=endpoint, change_id=entry.pk, record_uuid=entry.record_uuid)
            for endpoint in endpoints
            for entry in own
        ],
        ignore_conflicts=True,
    )
    deliver_webhooks.enqueue()


# -- Registering -----------------------------------------------------------------------------------


def ping(endpoint):
    """Send a ``ping`` event now; returns None if the endpoint answered 2xx, else what went wrong."""
    body = json.dumps({"id": None, "event": "ping", "endpoint": endpoint.url}, sort_keys=True).encode()
    try:
        code = post(endpoint.url, body, signed_headers(endpoint, body, "ping", uuid.uuid4()))
    except EndpointRefused as refused:
        return str(refused)
    except (OSError, http.client.HTTPException) as failure:
        return f"The endpoint could not be reached: {failure or type(failure).__name__}."
    if not 200 <= code < 300:
        return f"The endpoint answered {code}; it must answer 2xx to a ping."
    return None


def administered_organisations(user):
    """The organisations ``user`` may register webhooks for: those they administer."""
    return Organisation.objects.filter(memberships__user=user, memberships__is_administrator=True)


def register(owner, organisation, url, description=""):
    """A new endpoint for ``organisation``, after a signed ping answered 2xx; returns it, or raises
    ``EndpointRefused`` with a message for people (nothing is stored then)."""
    if not administered_organisations(owner).filter(pk=organisation.pk).exists():
        raise EndpointRefused("Only an administrator of the organisation may register its webhooks.")
    check_url(url)
    endpoint = WebhookEndpoint(
        owner=owner, organisation=organisation, url=url, description=description, secret=WebhookEndpoint.new_secret()
    )
    problem = ping(endpoint)
    if problem:
        raise EndpointRefused(problem)
    endpoint.save()
    return endpoint
