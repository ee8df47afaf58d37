"""Webhooks: an HTTPS endpoint that an organisation's administrator registers, and the log of what
was sent to it.

An endpoint sees what its owner (the administrator who registered it) may see, as an API token
does. Each entry of the change log about a record becomes one ``WebhookDelivery`` of each active
endpoint, written in the transaction of the change; what it says (its event and body) is decided
when it is sent, through the sharing rule of that moment (``portal.services.webhooks``).
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.CASCADE,
        related_name="webhooks",
        help_text="The organisation whose administrator registered it; it stops if they no longer are one.",
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    #: Signs each request (HMAC-SHA256). Kept, since every request is signed with it; shown in full
    #: only when created or rotated.
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    stopped_because = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Webhook {self.url} of {self.owner}"

    @staticmethod
    def new_secret():
        return "whsec_" + secrets.token_urlsafe(32)

    @property
    def secret_hint(self):
        return f"…{self.secret[-4:]}"

    def owner_may_use(self):
        """Whether the owner is still an active administrator of the endpoint's organisation."""
        return (
            self.owner.is_active
            and self.owner.memberships.filter(organisation_id=self.organisation_id, is_administrator=True).exists()
        )


class WebhookDelivery(models.Model):
    """One change-log entry for one endpoint. ``event`` and the body are decided at each attempt;
    ``public_id`` stays the same across attempts, so a receiver can drop a repeat."""

    class Status(models.TextChoices):
        PENDING = "pending", "waiting"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed (gave up)"

    class Event(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        AMENDED = "amended", "amended"
        WITHDRAWN = "withdrawn", "withdrawn"
        LEFT = "left_view", "left your view"

    #: The events after which the endpoint holds the record.
    HOLDING = (Event.CREATED, Event.UPDATED, Event.AMENDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    change_id = models.BigIntegerField()
    record_uuid = models.UUIDField()
    event = models.CharField(max_length=20, choices=Event.choices, blank=True)
    #: For a framework, its newest version when this was sent ("amended" when it differs).
    version = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-change_id", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "change_id"], name="one_delivery_per_change"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "record_uuid", "change_id"]),
        ]

    def __str__(self):
        return f"Change {self.change_id} to {self.endpoint}: {self.status}"
