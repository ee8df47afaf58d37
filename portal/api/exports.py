"""Streaming exports of record lists: CSV and JSON Lines, built a batch at a time, never whole."""

import csv
import io
import json

from django.http import StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework import renderers, serializers
from rest_framework.utils.encoders import JSONEncoder

from . import kinds
from .loading import Urls, load_records
from .pagination import after

BATCH = 200
COMMON_COLUMNS = [
    "uuid",
    "kind",
    "title",
    "slug",
    "summary",
    "publication_date",
    "first_published_at",
    "last_published_at",
    "web_url",
    "api_url",
    "organisations",
    "topics",
    "sectors",
    "jurisdictions",
    "languages",
    "tags",
    "source_url",
    "identifiers",
    "sharing_level",
    "owning_organisation",
    "body_text",
]


class CSVRenderer(renderers.BaseRenderer):
    """Only selects the format (``?format=csv``); the list view streams the rows itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, cls=JSONEncoder).encode()  # errors only: exports stream


class JSONLinesRenderer(CSVRenderer):
    media_type = "application/x-ndjson"
    format = "jsonl"


def kind_columns():
    """Columns for each kind's plain fields, e.g. 'finding.severity' (nested ones are left out)."""
    columns = []
    for kind, api in kinds.registered().items():
        for name, field in api.fields_serializer().fields.items():
            if isinstance(field, serializers.BaseSerializer | serializers.ListSerializer):
                continue
            if isinstance(field, serializers.ListField) and not isinstance(field.child, serializers.CharField):
                continue
            columns.append((kind, name))
    return columns


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("code") or item.get("slug") or ":".join(str(v) for v in item.values())
            parts.append(str(item))
        return "; ".join(parts)
    text = str(value)
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "@", "\t", "\r") else text


def csv_row(data, extra_columns):
    row = [_cell(data.get(name)) for name in COMMON_COLUMNS[:18]]
    row += [_cell(data["sharing"]["level"]), _cell(data["sharing"]["owning_organisation"]), _cell(data["body_text"])]
    for kind, name in extra_columns:
        row.append(_cell((data.get(kind) or {}).get(name)))
    return row


def record_batches(records, request, ordering, serializer_class):
    """Serialized records of ``records`` in ``ordering``, a batch at a time (keyset paging)."""
    from .filters import ORDERINGS

    field = ORDERINGS[ordering.lstrip("-")]
    sign = "-" if ordering.startswith("-") else ""
    urls = Urls(request)
    position = None
    while True:
        batch = records if position is None else after(records, ordering, *position)
        rows = list(batch.order_by(f"{sign}{field}", f"{sign}pk")[:BATCH])
        if not rows:
            return
        load_records(rows, request, urls)
        yield serializer_class(rows, many=True, context={"request": request}).data
        position = (getattr(rows[-1], field), rows[-1].pk)


def stream(records, request, ordering, serializer_class, fmt):
    from portal import audit
    from portal.models import AuditEntry, PartnerToken

    token = request.auth if isinstance(request.auth, PartnerToken) else None
    audit.record(
        AuditEntry.Action.EXPORT, request=request, token=token, target=request.get_full_path()[:300], format=fmt
    )
    if fmt == "csv":
        extra = kind_columns()
        header = COMMON_COLUMNS + [f"{kind}.{name}" for kind, name in extra]

        def lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            for batch in record_batches(records, request, ordering, serializer_class):
                for data in batch:
                    writer.writerow(csv_row(data, extra))
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="records.csv"'
    else:

        def lines():
            for batch in record_batches(records, request, ordering, serializer_class):
                yield "".join(json.dumps(data, cls=JSONEncoder, ensure_ascii=False) + "\n" for data in batch)

        response = StreamingHttpResponse(lines(), content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="records.jsonl"'
    patch_vary_headers(response, ("Authorization", "Cookie"))
    return response
