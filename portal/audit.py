"""Writing the audit log: one function, called wherever something must be on record."""

from datetime import timedelta

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.utils import timezone

from portal.clients import client_ip
from portal.models import AuditEntry

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
