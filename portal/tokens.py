"""API tokens for partners: create, revoke, and authenticate API requests with them.

A request sends ``Authorization: Bearer <token>`` (the scheme in any case, as HTTP says; the
older ``Token`` scheme too). The token acts as its owner, so it sees exactly what its owner may
see; a revoked or expired token, or one whose owner is inactive, is refused as if it had never
existed. Refusals are audited (``record_token_refused``: at most one entry per address a minute).
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from portal.audit import record, record_token_refused, record_token_use
from portal.models import AuditEntry, PartnerToken

#: Offered lifetimes on the token form, in days (None: no expiry).
LIFETIMES = [(30, "30 days"), (90, "90 days"), (365, "1 year"), (None, "No expiry")]


def create_token(user, name, days=90, request=None):
    """Create a token for ``user``. Returns ``(token, plaintext)``; the plaintext is never stored."""
    token, plaintext = PartnerToken.create_token(user=user, name=name)
    if days:
        token.expires_at = timezone.now() + timedelta(days=days)
        token.save(update_fields=["expires_at"])
    record(AuditEntry.Action.TOKEN_CREATED, user=user, token=token, request=request, target=name)
    return token, plaintext


def revoke_token(token, request=None):
    if token.revoked_at is None:
        token.revoke()
        record(AuditEntry.Action.TOKEN_REVOKED, user=token.user, token=token, request=request, target=token.name)


def _token_with(plaintext):
    """The token with this plaintext, usable or not, or None."""
    if not plaintext or not PartnerToken.validate_token_format(plaintext):
        return None
    return (
        PartnerToken.objects.select_related("user")
        .filter(key_hash__in=PartnerToken.candidate_key_hashes(plaintext))
        .first()
    )


def token_for(plaintext):
    """The usable token with this plaintext, or None."""
    token = _token_with(plaintext)
    return token if token is not None and token.is_usable else None


def _refusal(token):
    if token is None:
        return "unknown"
    return token.state if token.state != "active" else "inactive account"


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication with a partner token in ``Authorization: Bearer <token>``."""

    keyword = "Bearer"
    #: Schemes this class answers, compared without regard to case (RFC 9110, section 11.1).
    schemes = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.schemes:
            return None
        if len(header) != 2:
            record_token_refused(request, reason="malformed")
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        token = _token_with(header[1])
        if token is None or not token.is_usable:
            record_token_refused(request, token=token, reason=_refusal(token))
            raise exceptions.AuthenticationFailed("This token is not valid: it is unknown, revoked or expired.")
        record_token_use(token, request)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
