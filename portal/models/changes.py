"""A log of changes to records, read by the API's change feed (``/api/v1/changes/``)."""

from django.db import models
from django.utils import timezone


class RecordChange(models.Model):
    """One change to one record. The id orders the log; the feed's cursor is built on it.

    Rows keep the record's uuid and kind rather than a foreign key, so that a deleted record's
    entries (its tombstone) stay in the log.
    """

    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        UNPUBLISHED = "unpublished", "unpublished"
        DELETED = "deleted", "deleted"
        SHARING = "sharing_changed", "sharing changed"

    record_uuid = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=20)
    page_id = models.IntegerField(null=True, blank=True, help_text="The page, while it exists.")
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["record_uuid", "id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.record_uuid} {self.action}"
