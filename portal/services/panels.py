"""The parts of a record page that show other records: links and backlinks, the relationship map
and similar records.

Each part is computed at most once per request and only when a template asks for it (the
inclusion tags in ``portal/templatetags/record_tags.py``, inside the page's cached fragments, so
a page served from the cache computes none of them). Every part reads other records through the
sharing rule: ``CrossLink.objects.visible_to`` and ``RecordPage.objects.visible_to``.
"""

from functools import cached_property

from portal.models.links import grouped_backlinks, grouped_links

from .graph import neighbourhood
from .similar import similar_records

_MEMO = "_portal_record_panels"


class RecordPanels:
    """What a record page shows of other records, for one visitor."""

    def __init__(self, record, user):
        self.record = record
        self.user = user

    @classmethod
    def for_request(cls, request, record):
        """The panels of ``record`` for this request's visitor, shared by every tag of the page."""
        memo = request.__dict__.setdefault(_MEMO, {})
        if record.pk not in memo:
            memo[record.pk] = cls(record, request.user)
        return memo[record.pk]

    @cached_property
    def links(self):
        """Outgoing links, grouped by relationship."""
        return grouped_links(self.record, self.user)

    @cached_property
    def backlinks(self):
        """Links from other records to this one, grouped by relationship."""
        return grouped_backlinks(self.record, self.user)

    @cached_property
    def graph(self):
        """The relationship map, drawn from the same links as the lists."""
        return neighbourhood(self.record, self.links, self.backlinks)

    @cached_property
    def similar(self):
        return similar_records(self.record, self.user)
