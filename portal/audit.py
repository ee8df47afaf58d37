"""Writing the audit log: one function, called wherever something must be on record."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from wagtail.log_actions import get_active_log_context
from wagtail.signals import page_published

from portal.clients import client_ip
from portal.models import AuditEntry, Membership, RecordPage
from portal.models.sharing import sharing_of, stored_sharing, widenings

#: A token's use is recorded at most once per token in this window (sampling).
TOKEN_USE_SAMPLE = timedelta(hours=1)

#: Actions anyone can repeat at will (a refused token, a password reset request) are recorded at
#: most once per client address in this window, so that nobody can flood the log.
ANONYMOUS_ACTION_WINDOW = timedelta(minutes=1)


def record(action, *, user=None, request=None, token=None, target="", **detail):
    """Add an entry to the audit log. ``user`` defaults to the token's owner, then to the
    request's signed-in user."""
    if user is None and token is not None:
        user = token.user
    if user is None and request is not None:
        # The Django request's user: an API request's own would authenticate it again.
        signed_in = getattr(getattr(request, "_request", request), "user", None)
        user = signed_in if signed_in is not None and signed_in.is_authenticated else None
    return AuditEntry.objects.create(
        action=action,
        user=user,
        username=user.get_username() if user is not None else detail.pop("username", ""),
        token=token,
        token_name=token.name if token is not None else "",
        target=str(target)[:300],
        detail=detail,
        ip_address=client_ip(request),
    )


def record_token_use(token, request):
    """Record that ``token`` was used, at most once an hour per token; keeps last_used_at fresh."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_SAMPLE:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
        record(AuditEntry.Action.TOKEN_USED, token=token, request=request, target=request.path[:300])


def record_once_a_minute(action, request, **fields):
    """Record ``action`` unless the same client address had it recorded within the last
    ``ANONYMOUS_ACTION_WINDOW``; returns the entry, or None when it was left out."""
    window = int(ANONYMOUS_ACTION_WINDOW.total_seconds())
    if not cache.add(f"portal.audit:{action}:{client_ip(request)}", True, window):
        return None
    return record(action, request=request, **fields)


def record_token_refused(request, token=None, reason=""):
    """Record that a request's token was refused (unknown, malformed, revoked, expired)."""
    return record_once_a_minute(
        AuditEntry.Action.TOKEN_REFUSED, request, token=token, target=request.path[:300], reason=reason
    )


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record(AuditEntry.Action.SIGN_IN, user=user, request=request)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditEntry.Action.SIGN_OUT, user=user, request=request)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    record(AuditEntry.Action.SIGN_IN_FAILED, request=request, username=str(credentials.get("username", ""))[:150])


# -- Sharing and memberships: who may see what changed ----------------------------------------------
# Publishing (from the edit form, the page listing, a review or the schedule) and membership changes
# (on an organisation's admin page, or when an organisation or a person is deleted) are caught where
# they are saved; Wagtail's log context names the admin user who made them (none for the scheduler).


#: True while a caller that records its own sharing entries publishes records (the importer).
_sharing_recorded_by_caller = ContextVar("sharing_recorded_by_caller", default=False)


@contextmanager
def sharing_recorded_by_caller():
    """Publishing inside this block writes no sharing entry: the caller records the change itself
    (the importer does, naming terms and people by their keys in the files)."""
    token = _sharing_recorded_by_caller.set(True)
    try:
        yield
    finally:
        _sharing_recorded_by_caller.reset(token)


def record_sharing_change(page, before, after, **fields):
    """Record that ``page``'s sharing changed from ``before`` to ``after`` (sharing states), with
    what the change opened to people who could not see the record (``widened``)."""
    return record(
        AuditEntry.Action.SHARING_CHANGED,
        target=f"{page.specific_class.record_kind} {page.uuid} {page.title}",
        before=before,
        after=after,
        widened=[words for _, words in widenings(before, after)],
        **fields,
    )


@receiver(pre_save)
def _remember_live_sharing(sender, instance, raw=False, update_fields=None, **kwargs):
    # Publishing is a full save of a live page (a draft's save_revision saves named fields only).
    # A first publication changes no audience anyone had; the record's stored version is the one
    # that is (or was, before it was unpublished) live.
    if raw or update_fields is not None or not isinstance(instance, RecordPage) or not instance.live:
        return
    was_live = Q(live=True) | Q(first_published_at__isnull=False)
    if instance.pk and RecordPage.objects.filter(was_live, pk=instance.pk).exists():
        instance._sharing_before_publish = stored_sharing(instance.pk)


@receiver(page_published)
def _record_published_sharing(sender, instance, revision=None, **kwargs):
    before = instance.__dict__.pop("_sharing_before_publish", None)
    if before is None or _sharing_recorded_by_caller.get():
        return
    after = sharing_of(instance)
    if after != before:
        author = revision.user if revision is not None else None
        record_sharing_change(
            instance,
            before,
            after,
            user=get_active_log_context().user,
            published=True,
            revision=revision.pk if revision is not None else None,
            revision_by=author.get_username() if author is not None else "",
        )


def _record_membership(change, membership, **fields):
    organisation = membership.organisation
    record(
        AuditEntry.Action.MEMBERSHIP_CHANGED,
        user=get_active_log_context().user,
        target=f"organisation {organisation.slug} {organisation.name}",
        change=change,
        organisation=organisation.pk,
        member=membership.user.get_username(),
        member_id=membership.user_id,
        administrator=membership.is_administrator,
        **fields,
    )


@receiver(pre_save, sender=Membership)
def _remember_stored_membership(sender, instance, raw=False, **kwargs):
    if not raw:
        stored = Membership.objects.filter(pk=instance.pk).select_related("user").first() if instance.pk else None
        instance._membership_before = stored


@receiver(post_save, sender=Membership)
def _record_saved_membership(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = instance.__dict__.pop("_membership_before", None)
    if before is None:
        _record_membership("added", instance)
    elif before.user_id != instance.user_id or before.organisation_id != instance.organisation_id:
        _record_membership("removed", before)
        _record_membership("added", instance)
    elif before.is_administrator != instance.is_administrator:
        _record_membership("changed", instance, administrator_before=before.is_administrator)


@receiver(post_delete, sender=Membership)
def _record_deleted_membership(sender, instance, **kwargs):
    _record_membership("removed", instance)
