"""A log of changes to records, read by the API's change feed (``/api/v1/changes/``)."""

from django.db import models
from django.utils import timezone


class RecordChangeQuerySet(models.QuerySet):
    def newest_id(self):
        """The id of the newest entry of the log (0 when it is empty)."""
        return self.aggregate(newest=models.Max("id"))["newest"] or 0


class RecordChange(models.Model):
    """One change to one record. The id orders the log; the feed's cursor is built on it.

    Rows keep the record's uuid and kind rather than a foreign key, so that a deleted record's
    entries (its tombstone) stay in the log. Each row also keeps who could see the change when it
    was made (``seen_by``), so that the feed never tells a caller about a record that the caller
    never could see, not even that it exists.
    """

    def tells(self, viewer, visible_now):
        """Whether the feed reports this entry to ``viewer`` (a ``sharing.Viewer``), given whether
        the named record is visible to them now. A record's own change reaches those who may see
        it now (as the record) and those who could see it before (as a tombstone); a change of a
        linked record reaches those who may see both."""
        if self.cause_uuid is not None:
            return visible_now and viewer.admits_any(self.seen_by)
        return visible_now or viewer.admits_any(self.seen_by)

    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        UNPUBLISHED = "unpublished", "unpublished"
        DELETED = "deleted", "deleted"
        SHARING = "sharing_changed", "sharing changed"

    objects = RecordChangeQuerySet.as_manager()

    record_uuid = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=20)
    page_id = models.IntegerField(null=True, blank=True, help_text="The page, while it exists.")
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    cause_uuid = models.UUIDField(
        null=True,
        blank=True,
        help_text="For an entry logged because a linked record changed (its links show that record): that record.",
    )
    seen_by = models.JSONField(
        default=list,
        blank=True,
        help_text="Who could see the record (or the record named in cause_uuid) just before or after the change: "
        "a list of sharing states (portal.models.sharing.sharing_state). The feed tells a caller of a change "
        "only if one of them admits the caller, or the caller may see the record now.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["record_uuid", "id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.record_uuid} {self.action}"
