"""The change feed, ``changes/``: everything that changed since a cursor, oldest first.

The feed walks the change log (``RecordChange``, written by ``portal/changes.py``) after the
cursor and answers, for each record an entry names, the record's *current* state as the caller
sees it: the full record (exactly as ``records/`` shows it) if the caller may see it now, else a
tombstone (``state`` ``deleted`` or ``hidden``). A caller is told only of records it may see now
or could see when the change was made (``RecordChange.tells``): the feed never names a record,
not even by its UUID, to someone who never could see it. Records whose expiry time passed since the
previous page come as tombstones too (expiry writes no log entry). A mirror that applies every
item in order (put the record, or remove the UUID) therefore ends equal to ``records/``.

The cursor is signed: it holds the last entry read and the time of that answer, and cannot be
edited. Entry ids follow commit order (``portal.changes.log``), so an entry whose transaction
committed late is never passed by a cursor; entries younger than ``API_CHANGES_SETTLE_SECONDS``
also wait for the next poll.
"""

import datetime
import re

from drf_spectacular.utils import extend_schema

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from portal.models import RecordChange, RecordPage, Viewer, audience

from .filters import parse_params
from .http import ConditionalGetMixin
from .loading import load_records, record_queryset
from .serializers import RecordSerializer

SALT = "portal.api.changes.cursor"
MAX_PAGE_SIZE = 100


def make_cursor(last_id, answered_at):
    return signing.dumps([last_id, answered_at.isoformat()], salt=SALT, compress=True)


def read_cursor(cursor):
    try:
        last_id, answered_at = signing.loads(cursor, salt=SALT)
        answered_at = parse_datetime(answered_at)
        if not isinstance(last_id, int) or answered_at is None:
            raise ValueError
    except (signing.BadSignature, ValueError, TypeError):
        raise serializers.ValidationError(
            {"cursor": ["This cursor is not valid; start again without one (a full replay)."]}
        ) from None
    return last_id, answered_at


def without_cursor(content):
    """The body without the cursor and next link, which hold the time of the answer."""
    return CURSOR_FIELDS.sub(b"", content)


CURSOR_FIELDS = re.compile(rb'"next(?:_cursor)?":"[^"]*"')


class ChangeParams(serializers.Serializer):
    cursor = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="Opaque cursor from the previous answer's next_cursor; leave out to replay from the start.",
    )
    page_size = serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Change-log entries to read, 1 to {MAX_PAGE_SIZE} (default 100).",
    )


class ChangeSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    kind = serializers.CharField(help_text="framework, finding or lesson.")
    action = serializers.ChoiceField(
        choices=[*RecordChange.Action.values, "expired"],
        help_text="The newest logged change of this record in this page (or 'expired').",
    )
    at = serializers.DateTimeField(help_text="When that change happened.")
    state = serializers.ChoiceField(
        choices=["present", "deleted", "hidden"],
        help_text="present: 'record' is its current state. deleted or hidden (unpublished, expired or no "
        "longer shared with the caller): a tombstone, remove the record from your copy.",
    )
    record = RecordSerializer(allow_null=True, help_text="The record as records/ shows it now, or null.")


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Where to continue; keep it and poll with it later.")
    next = serializers.URLField(help_text="This endpoint with next_cursor.")
    has_more = serializers.BooleanField(help_text="True if more entries are waiting: fetch next now.")


class ChangeViewSet(ConditionalGetMixin, viewsets.GenericViewSet):
    """Every create, update, unpublish, delete and sharing change, oldest first."""

    serializer_class = ChangeSerializer
    answers_one_object = True
    pagination_class = None

    def get_queryset(self):
        return RecordChange.objects.order_by("id")

    @extend_schema(summary="Change feed", parameters=[ChangeParams], responses={200: ChangePageSerializer})
    def list(self, request, *args, **kwargs):
        params = parse_params(request, ChangeParams)
        now = timezone.now()
        last_id, since = read_cursor(params["cursor"]) if params.get("cursor") else (0, None)
        settle = datetime.timedelta(seconds=float(getattr(settings, "API_CHANGES_SETTLE_SECONDS", 2)))
        size = params["page_size"]
        entries = list(
            RecordChange.objects.filter(id__gt=last_id, at__lte=now - settle)
            .order_by("id")
            .only("id", "record_uuid", "kind", "action", "at", "cause_uuid", "seen_by")[: size + 1]
        )
        has_more = len(entries) > size
        entries = entries[:size]

        # The records the caller may see now, among those the entries name.
        uuids = list(dict.fromkeys(entry.record_uuid for entry in entries))
        present = {}
        if uuids:
            records = load_records(record_queryset(request.user).filter(translation_key__in=uuids), request)
            data = RecordSerializer(records, many=True, context={"request": request}).data
            present = {str(item["uuid"]): item for item in data}
        # Of the entries the caller is told (RecordChange.tells), the newest of each record, in log order.
        viewer = Viewer.of(request.user)
        latest = {}
        for entry in entries:
            if entry.tells(viewer, str(entry.record_uuid) in present):
                latest.pop(entry.record_uuid, None)
                latest[entry.record_uuid] = entry
        expired = []
        if since is not None:
            expired = list(
                RecordPage.objects.filter(live=True, expire_at__gt=since, expire_at__lte=now)
                .filter(audience(request.user))
                .exclude(translation_key__in=list(latest))
                .values_list("translation_key", "content_type_id", "expire_at")
            )
        missing = [uuid for uuid in latest if str(uuid) not in present]
        existing = set()
        if missing:
            stored = RecordPage.objects.filter(translation_key__in=missing).values_list("translation_key", flat=True)
            existing = {str(uuid) for uuid in stored}
        kind_of = RecordPage.kind_of_content_type() if expired else {}
        results = [
            {
                "uuid": uuid,
                "kind": kind_of.get(content_type_id, ""),
                "action": "expired",
                "at": expire_at,
                "state": "hidden",
                "record": None,
            }
            for uuid, content_type_id, expire_at in expired
        ]
        for uuid, entry in latest.items():
            record = present.get(str(uuid))
            if record is not None:
                state = "present"
            else:
                state = "hidden" if str(uuid) in existing else "deleted"
            results.append(
                {
                    "uuid": uuid,
                    "kind": entry.kind,
                    "action": entry.action,
                    "at": entry.at,
                    "state": state,
                    "record": record,
                }
            )

        # Expiries up to now are reported above; the next answer reports those after it.
        next_cursor = make_cursor(entries[-1].id if entries else last_id, now)
        # The newest change this caller is told of: entries it is not told of move neither header.
        # An entry that committed late can carry an older time, so only the ETag answers 304.
        self.last_modified = max((item["at"] for item in results), default=None)
        self.modified_since = False
        # The cursor holds the time of the answer; the rest says whether anything is new.
        self.etag_basis = without_cursor
        # The records are serialized already; ChangePageSerializer describes this shape.
        return Response(
            {
                "results": results,
                "next_cursor": next_cursor,
                "next": replace_query_param(request.build_absolute_uri(), "cursor", next_cursor),
                "has_more": has_more,
            }
        )
