"""The record endpoints: ``records/`` (every kind) and the base of the typed lists.

Every queryset starts from ``RecordPage.objects.visible_to(request.user)`` (``record_queryset``):
a record the caller may not see is a 404 and appears in no list, count or export.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view

from django.http import Http404
from rest_framework import exceptions, renderers, viewsets
from rest_framework.response import Response

from portal.models import RecordChange, Viewer

from .exports import CSVRenderer, JSONLinesRenderer, stream
from .filters import AllRecordListParams, RecordListParams, filter_records, parse_params
from .http import ConditionalGetMixin, newest_change
from .loading import load_records, record_queryset
from .pagination import KeysetPagination
from .serializers import RecordSerializer

UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
FORMATS = ("json", "csv", "jsonl")


def record_changed_at(uuid, user):
    """When this record last changed as ``user`` sees it: its own changes, and changes of records
    it links to or from that ``user`` could see (``RecordChange.tells``). An edit of a neighbour
    the caller may not see does not count: it would tell them that such a neighbour exists."""
    entries = RecordChange.objects.filter(record_uuid=uuid).only("at", "cause_uuid", "seen_by")
    viewer = None
    # Newest first, up to the record's own newest change: one query, and the caller's
    # organisations only if a neighbour's change comes first.
    for entry in entries.order_by("-at", "-id").iterator():
        if entry.cause_uuid is None:
            return entry.at
        viewer = Viewer.of(user) if viewer is None else viewer
        if entry.tells(viewer, visible_now=True):
            return entry.at
    return None


class RecordViewSetBase(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    """Records of one kind (``kind``) or of every kind (``kind = None``)."""

    kind = None
    serializer_class = RecordSerializer
    params_class = RecordListParams
    pagination_class = KeysetPagination
    lookup_field = "uuid"
    lookup_value_regex = UUID_PATTERN
    renderer_classes = [renderers.JSONRenderer, CSVRenderer, JSONLinesRenderer]
    params = {}

    def get_renderers(self):
        if getattr(self, "action", None) == "list":
            return [renderer() for renderer in self.renderer_classes]
        return [renderers.JSONRenderer()]

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = ", ".join(FORMATS) if getattr(self, "action", None) == "list" else "json"
            raise exceptions.NotAcceptable(f"Unknown format; this endpoint answers in: {formats}.") from None

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for (a 400 rendered as CSV lost its message).
        if response.status_code >= 400 and getattr(request, "accepted_renderer", None) is not None:
            if request.accepted_renderer.format != "json":
                request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):
        return record_queryset(self.request.user, kind=self.kind)

    def list(self, request, *args, **kwargs):
        self.params = parse_params(request, self.params_class)
        records = filter_records(self.get_queryset(), self.params)
        fmt = request.accepted_renderer.format
        if fmt in ("csv", "jsonl"):
            return stream(records, request, self.params["ordering"], self.get_serializer_class(), fmt)
        page = self.paginate_queryset(records)
        load_records(page, request)
        data = self.get_serializer(page, many=True).data
        self.last_modified, self.modified_since = newest_change(page), False
        return self.get_paginated_response(data)

    def get_object(self):
        record = self.get_queryset().filter(translation_key=self.kwargs["uuid"]).order_by("pk").first()
        if record is None:
            raise exceptions.NotFound("No record with this UUID, or you may not see it.")
        return record

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        load_records([record], request)
        self.last_modified = record_changed_at(record.translation_key, request.user)
        return Response(self.get_serializer(record).data)


ERRORS = {
    400: "An invalid query parameter (the body names it).",
    404: "No such record, or one the caller may not see.",
    406: "An unknown format.",
    429: "Too many requests; retry after the number of seconds in Retry-After.",
}

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=list(FORMATS),
    description="json (default, paged); csv or jsonl stream every matching record in one response "
    "(the filters and ordering apply, paging does not).",
)


def record_schema(serializer, params, noun):
    """The OpenAPI description of a record viewset's list and detail."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {noun}",
            parameters=[params, FORMAT_PARAMETER],
            responses={
                (200, "application/json"): serializer(many=True),
                (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Every matching record as CSV."),
                (200, "application/x-ndjson"): OpenApiResponse(
                    OpenApiTypes.STR, description="Every matching record, one JSON object per line."
                ),
            },
        ),
        retrieve=extend_schema(
            summary=f"One of the {noun} by UUID",
            parameters=[OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)],
            responses={200: serializer},
        ),
    )


@record_schema(RecordSerializer, AllRecordListParams, "records of every kind")
class RecordViewSet(RecordViewSetBase):
    """Every record the caller may see, of every kind."""

    params_class = AllRecordListParams
