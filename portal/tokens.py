"""API tokens for partners: create, revoke, and authenticate API requests with them.

A request sends ``Authorization: Bearer <token>``. The token acts as its owner, so it sees
exactly what its owner may see; a revoked or expired token, or one whose owner is inactive,
is refused as if it had never existed.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from portal.audit import record, record_token_use
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


def token_for(plaintext):
    """The usable token with this plaintext, or None."""
    if not plaintext or not PartnerToken.validate_token_format(plaintext):
        return None
    token = (
        PartnerToken.objects.select_related("user")
        .filter(key_hash__in=PartnerToken.candidate_key_hashes(plaintext))
        .first()
    )
    return token if token is not None and token.is_usable else None


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication with a partner token in ``Authorization: Bearer <token>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] not in (self.keyword, "Token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        token = token_for(header[1])
        if token is None:
            raise exceptions.AuthenticationFailed("This token is not valid: it is unknown, revoked or expired.")
        record_token_use(token, request)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
