"""Each record's stored API representation: storage only.

The API produces a record's representation when a revision of it is published, stores it here,
and reads it for every list, detail, export and change-feed answer (``portal/api/representations.py``
says when it is produced, what makes it stale and what is added per request). Nothing in this
module knows the representation's shape.
"""

from django.db import models


class RecordRepresentation(models.Model):
    """What the API shows of one record to every caller alike, as JSON, in one format version."""

    record = models.OneToOneField(
        "portal.RecordPage", on_delete=models.CASCADE, primary_key=True, related_name="representation"
    )
    #: The version of the shape ``data`` was produced in; a row of another version is not read.
    format = models.PositiveSmallIntegerField()
    data = models.JSONField()
    produced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "record representation"

    def __str__(self):
        return f"representation of record {self.record_id} (format {self.format})"
