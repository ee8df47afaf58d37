"""Partner access: API tokens and the audit log."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from wagtail.models import APIToken


class PartnerToken(APIToken):
    """A partner's API token. Wagtail's APIToken stores only a keyed hash of the secret, shows the
    plaintext once and can be revoked; a partner token can also expire."""

    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this moment the token no longer works. Empty: never."
    )

    class Meta:
        verbose_name = "partner API token"

    @property
    def is_usable(self):
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now) and self.user.is_active

    @property
    def state(self):
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class AuditEntry(models.Model):
    """Who did what, and when: sign-ins, token use, sharing changes, membership changes and exports."""

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
        SIGN_OUT = "sign_out", "Signed out"
        TOKEN_CREATED = "token_created", "Created an API token"
        TOKEN_REVOKED = "token_revoked", "Revoked an API token"
        TOKEN_USED = "token_used", "Used an API token"
        TOKEN_REFUSED = "token_refused", "Refused an API token"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Asked for a password reset"
        PASSWORD_RESET_COMPLETED = "password_reset_completed", "Reset a password"
        SHARING_CHANGED = "sharing_changed", "Changed a record's sharing"
        EXPORT = "export", "Exported records"
        MEMBERSHIP_CHANGED = "membership_changed", "Changed an organisation's members"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="As it was at the time.")
    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    token = models.ForeignKey(PartnerToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_name = models.CharField(max_length=255, blank=True)
    target = models.CharField(max_length=300, blank=True, help_text="What was acted on, e.g. a record.")
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"

    def __str__(self):
        who = self.username or "anonymous"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.get_action_display()} {self.target}".strip()
