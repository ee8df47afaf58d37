"""Writing the audit log: one function, called wherever something must be on record."""

from datetime import timedelta

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from portal.clients import client_ip
from portal.models import AuditEntry

#: A token's use is recorded at most once per token in this window (sampling).
TOKEN_USE_SAMPLE = timedelta(hours=1)


def record(action, *, user=None, request=None, token=None, target="", **detail):
    """Add an entry to the audit log. ``user`` defaults to the request's signed-in user."""
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if user is None and token is not None:
        user = token.user
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
