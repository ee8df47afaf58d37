"""Reading a TAXII collection a page at a time (``portal/api/taxii.py`` serves it).

A collection's items are the visible records of one kind (``record_queryset``), each with its
STIX objects (``portal.api.stix``) dated by when its current version was published, merged with
the change-log entries that tell the caller a record of that kind left their view, each a revoked
main object dated by the entry. Items are in (date added, source, id) order; ``next`` is a signed
position (an item and an object within it), so a page may stop inside a record's objects. A page
reads at most ``limit`` + 1 records and ``limit`` + 1 log entries: a fixed number of queries,
whatever the collection holds.

A record's date added is set when it is published, before its transaction commits. So that a
client polling with ``added_after`` never passes a record that committed late, a page holds only
items older than the change feed's settle window (``API_CHANGES_SETTLE_SECONDS``); younger ones
wait for the next poll. Asking for one object by its id does not wait.
"""

import datetime
import re
import uuid

from django.conf import settings
from django.core import signing
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions

from portal.models import RecordChange, RecordPage, Viewer

from . import stix
from .loading import load_records, record_queryset
from .serializers import RecordSerializer

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
SALT = "portal.api.taxii.next"
ONE_MS = datetime.timedelta(milliseconds=1)
#: The log entries after which a record may have left a caller's view.
LEAVING = [RecordChange.Action.UNPUBLISHED, RecordChange.Action.DELETED, RecordChange.Action.SHARING]
STIX_TYPE = re.compile(r"^[a-z][a-z0-9-]{0,249}$")
STIX_ID = re.compile(r"^([a-z][a-z0-9-]{0,249})--([0-9a-fA-F-]{36})$")


class TaxiiError(exceptions.APIException):
    """A TAXII error: answered as a TAXII error message (``title``, ``description``, ``http_status``)."""

    def __init__(self, status, title, description=""):
        self.status_code = status
        super().__init__(title)
        self.title, self.description = title, description


def _bad(parameter, why):
    raise TaxiiError(400, f"Invalid {parameter}.", why)


def parse_filters(request):
    """The objects and manifest endpoints' query parameters, checked: {name: value}."""
    params = request.query_params
    known = {"added_after", "limit", "next", "match[type]", "match[id]", "match[version]", "match[spec_version]"}
    for name in params:
        if name.startswith("match[") and name not in known:
            _bad(name, "Supported filters: match[type], match[id], match[version], match[spec_version].")
    settle = datetime.timedelta(seconds=float(settings.API_CHANGES_SETTLE_SECONDS))
    filters = {"limit": DEFAULT_LIMIT, "after": None, "types": None, "ids": None, "cursor": None, "version": "last"}
    filters["until"] = timezone.now() - settle  # items younger than this wait for the next poll
    if params.get("added_after"):
        value = parse_datetime(params["added_after"])
        if value is None or value.tzinfo is None:
            _bad("added_after", "Give an RFC 3339 timestamp with a time zone, e.g. 2025-01-31T12:00:00Z.")
        # Dates added are shown to the millisecond: "after" means after that millisecond, so the
        # X-TAXII-Date-Added-Last of one answer, given back, does not bring its last object again.
        filters["after"] = value.replace(microsecond=value.microsecond // 1000 * 1000) + ONE_MS
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            limit = 0
        if limit < 1:
            _bad("limit", "Give a positive whole number.")
        filters["limit"] = min(limit, MAX_LIMIT)
    if params.get("next"):
        filters["cursor"] = read_cursor(params["next"])
    if "match[type]" in params:
        types = [value.strip() for value in params["match[type]"].split(",")]
        if not all(STIX_TYPE.match(value) for value in types):
            _bad("match[type]", "Give STIX object types separated by commas, e.g. report,vulnerability.")
        filters["types"] = set(types)
    if "match[id]" in params:
        ids = [value.strip() for value in params["match[id]"].split(",")]
        for value in ids:
            match = STIX_ID.match(value)
            try:
                uuid.UUID(match.group(2)) if match else None
            except ValueError:
                match = None
            if not match:
                _bad("match[id]", "Give STIX ids separated by commas, e.g. report--<uuid>.")
        filters["ids"] = {value.lower() for value in ids}
    if "match[version]" in params:
        versions = [value.strip() for value in params["match[version]"].split(",")]
        for value in versions:
            if value not in ("last", "first", "all") and (parse_datetime(value) is None):
                _bad("match[version]", "Give last, first, all or an RFC 3339 timestamp.")
        filters["version"] = versions
    if "match[spec_version]" in params:
        if any(value.strip() != "2.1" for value in params["match[spec_version]"].split(",")):
            _bad("match[spec_version]", "This server holds STIX 2.1 only.")
    return filters


def make_cursor(key, index):
    date, source, ident = key
    return signing.dumps([date.isoformat(), source, ident, index], salt=SALT, compress=True)


def read_cursor(value):
    try:
        date, source, ident, index = signing.loads(value, salt=SALT)
        date = parse_datetime(date)
        if date is None or source not in (0, 1) or not isinstance(ident, int) or not isinstance(index, int):
            raise ValueError
    except (signing.BadSignature, ValueError, TypeError):
        _bad("next", "This is not a next value this server gave; start again without it.")
    return (date, source, ident), index


# --- the collection's items ------------------------------------------------------------------


def _main_uuids(kind, ids):
    """The record UUIDs named by ``ids`` if every one is a main object's id of this kind, else None
    (any other object can only be found among the records' objects)."""
    prefix = f"{stix.MAIN_TYPES.get(kind, 'report')}--"
    if not all(value.startswith(prefix) for value in ids):
        return None
    return [value[len(prefix) :] for value in ids]


class Page:
    """One page of a collection for one request: the items (records and revocations) after the
    position, their objects, and where the next page starts."""

    def __init__(self, request, kind, filters):
        self.request, self.kind, self.filters = request, kind, filters
        self.limit = filters["limit"]

    def _records(self, cursor):
        rows = record_queryset(self.request.user, kind=self.kind)
        if self.filters["after"]:
            rows = rows.filter(modified_at__gte=self.filters["after"])
        if self.filters["until"]:
            rows = rows.filter(modified_at__lte=self.filters["until"])
        uuids = _main_uuids(self.kind, self.filters["ids"]) if self.filters["ids"] else None
        if uuids is not None:
            rows = rows.filter(translation_key__in=uuids)
        if cursor:
            (date, source, ident), _ = cursor
            after = Q(modified_at__gt=date)
            rows = rows.filter(after | Q(modified_at=date, pk__gte=ident) if source == 0 else after)
        return list(rows.order_by("modified_at", "pk")[: self.limit + 1])

    def _entries(self, cursor):
        entries = RecordChange.objects.filter(kind=self.kind, cause_uuid__isnull=True, action__in=LEAVING)
        if self.filters["after"]:
            entries = entries.filter(at__gte=self.filters["after"])
        if self.filters["until"]:
            entries = entries.filter(at__lte=self.filters["until"])
        uuids = _main_uuids(self.kind, self.filters["ids"]) if self.filters["ids"] else None
        if uuids is not None:
            entries = entries.filter(record_uuid__in=uuids)
        if cursor:
            (date, source, ident), _ = cursor
            entries = (
                entries.filter(at__gte=date)
                if source == 0
                else entries.filter(Q(at__gt=date) | Q(at=date, id__gte=ident))
            )
        fields = ("id", "record_uuid", "kind", "action", "at", "cause_uuid", "seen_by")
        return list(entries.order_by("at", "id").only(*fields)[: self.limit + 1])

    def _revocations(self, entries):
        """The entries that tell this caller a record left their view: (entry, created)."""
        if not entries:
            return []
        uuids = list({entry.record_uuid for entry in entries})
        visible = set(
            record_queryset(self.request.user, kind=self.kind)
            .filter(translation_key__in=uuids)
            .values_list("translation_key", flat=True)
        )
        viewer = Viewer.of(self.request.user)
        told = [entry for entry in entries if entry.record_uuid not in visible and entry.tells(viewer, False)]
        if not told:
            return []
        wanted = list({entry.record_uuid for entry in told})
        pages = {
            key: first or date
            for key, first, date in RecordPage.objects.filter(translation_key__in=wanted).values_list(
                "translation_key", "first_published_at", "publication_date"
            )
        }
        missing = [key for key in wanted if key not in pages]
        if missing:
            firsts = (
                RecordChange.objects.filter(record_uuid__in=missing).values("record_uuid").annotate(first=Min("at"))
            )
            pages.update({row["record_uuid"]: row["first"] for row in firsts})
        return [(entry, pages.get(entry.record_uuid, entry.at)) for entry in told]

    def items(self):
        """([(key, objects)] after the position, in order; the horizon): ``key`` is (date added,
        source, id), source 0 for a record and 1 for a change-log entry. The horizon is the first
        key not read (None when both sources were read to the end); items past it are left for
        the next page."""
        cursor = self.filters["cursor"]
        records, entries = self._records(cursor), self._entries(cursor)
        ends = []
        if len(records) > self.limit:
            last = records.pop()
            ends.append((last.modified_at, 0, last.pk))
        if len(entries) > self.limit:
            last = entries.pop()
            ends.append((last.at, 1, last.id))
        horizon = min(ends) if ends else None
        items = []
        if records:
            load_records(records, self.request)
            for page, data in zip(
                records, RecordSerializer(records, many=True, context={"request": self.request}).data, strict=True
            ):
                items.append(((page.modified_at, 0, page.pk), stix.with_markings(stix.record_objects(data))))
        for entry, created in self._revocations(entries):
            revoked = stix.revoked(self.kind, entry.record_uuid, created, entry.at)
            items.append(((entry.at, 1, entry.id), stix.with_markings([revoked])))
        items.sort(key=lambda item: item[0])
        return [item for item in items if horizon is None or item[0] < horizon], horizon

    def _wanted(self, obj):
        filters = self.filters
        if filters["types"] is not None and obj["type"] not in filters["types"]:
            return False
        if filters["ids"] is not None and obj["id"] not in filters["ids"]:
            return False
        versions = filters["version"]
        if isinstance(versions, list) and not {"last", "first", "all"} & set(versions):
            version = obj.get("modified", obj.get("created"))
            return any(stix.timestamp(value) == version for value in versions)
        return True

    def read(self):
        """(objects with their date added, more, next): at most ``limit`` objects."""
        items, horizon = self.items()
        cursor = self.filters["cursor"]
        out, next_cursor = [], None
        for key, objects in items:
            start = cursor[1] if cursor and key == cursor[0] else 0
            for index in range(start, len(objects)):
                if len(out) == self.limit:
                    next_cursor = (key, index)
                    break
                if self._wanted(objects[index]):
                    out.append((key[0], objects[index]))
            if next_cursor:
                break
        if next_cursor is None and horizon is not None:
            next_cursor = (horizon, 0)
        more = next_cursor is not None
        return out, more, make_cursor(*next_cursor) if more else None


def every_version(request, kind, object_id):
    """[(date added, object)] of every version of ``object_id`` the caller may see, oldest first.
    A main object's id names its record (read directly); any other object is looked for among the
    collection's records, page by page."""
    filters = parse_filters(request)
    if not STIX_ID.match(object_id):
        raise TaxiiError(404, "No such object.", "")
    filters.update(ids={object_id.lower()}, types=None, version="all", limit=MAX_LIMIT, cursor=None, until=None)
    found = []
    while True:
        page, more, next_value = Page(request, kind, filters).read()
        found += page
        if not more:
            break
        filters["cursor"] = read_cursor(next_value)
    unique = {}
    for date, obj in found:
        unique.setdefault(obj.get("modified", obj.get("created")), (date, obj))
    versions = sorted(unique.values(), key=lambda item: item[1].get("modified", item[1].get("created")))
    if not versions:
        raise TaxiiError(404, "No such object.", "No object with this id in this collection, or you may not see it.")
    return versions
