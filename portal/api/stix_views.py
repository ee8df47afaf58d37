"""``GET /api/v1/records/{uuid}/stix/``: one record as a STIX 2.1 bundle (``portal.api.stix``).

The record is loaded as its detail is (the sharing rule, the same queries), so a record the
caller may not see is a 404 here as everywhere.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from rest_framework import exceptions, renderers
from rest_framework.response import Response
from rest_framework.utils.mediatypes import _MediaType
from rest_framework.views import APIView

from . import stix
from .http import ConditionalGetMixin
from .loading import load_records, record_queryset
from .records import record_changed_at
from .serializers import RecordSerializer


class VersionedRenderer(renderers.JSONRenderer):
    """JSON under a media type with a ``version`` parameter (STIX and TAXII 2.1).

    DRF matches a renderer's parameters against the Accept header, so a renderer declared with
    ``;version=2.1`` would not answer ``*/*`` or the bare type. The renderer is declared without
    the parameter; ``VersionedNegotiationMixin`` refuses any other version and answers with it."""

    #: The full media type of the answer, e.g. application/stix+json;version=2.1
    versioned = ""


class StixRenderer(VersionedRenderer):
    media_type = "application/stix+json"
    versioned = stix.STIX_MEDIA_TYPE
    format = "stix"


class VersionedNegotiationMixin:
    error_renderer = renderers.JSONRenderer

    def perform_content_negotiation(self, request, force=False):
        try:
            renderer, media_type = super().perform_content_negotiation(request, force)
        except exceptions.NotAcceptable:
            raise exceptions.NotAcceptable(self.not_acceptable) from None
        if isinstance(renderer, VersionedRenderer):
            version = _MediaType(media_type).params.get("version")
            if version not in (None, "2.1"):
                raise exceptions.NotAcceptable(self.not_acceptable)
        return renderer, media_type

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and (renderer is None or isinstance(renderer, VersionedRenderer)):
            # Errors in the API's one JSON shape (also when no format could be agreed on).
            request.accepted_renderer, request.accepted_media_type = self.error_renderer(), "application/json"
        elif isinstance(renderer, VersionedRenderer):
            response.content_type = renderer.versioned
        return super().finalize_response(request, response, *args, **kwargs)


class StixBundleView(VersionedNegotiationMixin, ConditionalGetMixin, APIView):
    """One record as a STIX 2.1 bundle, every object marked with the record's TLP 2.0 level."""

    renderer_classes = [StixRenderer, renderers.JSONRenderer]
    not_acceptable = f"This endpoint answers in {stix.STIX_MEDIA_TYPE} or application/json."

    @extend_schema(
        summary="One record as a STIX 2.1 bundle",
        parameters=[OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={
            (200, stix.STIX_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A STIX 2.1 bundle: the record's report (a grouping for a framework), identities, "
                "vulnerabilities, attack patterns, courses of action and relationships, and the TLP 2.0 "
                "marking definitions they use.",
            ),
            404: OpenApiResponse(description="No such record, or one the caller may not see."),
            406: OpenApiResponse(description="An unknown format."),
        },
    )
    def get(self, request, uuid):
        record = record_queryset(request.user).filter(translation_key=uuid).order_by("pk").first()
        if record is None:
            raise exceptions.NotFound("No record with this UUID, or you may not see it.")
        load_records([record], request)
        data = RecordSerializer(record, context={"request": request}).data
        if data["kind"] not in stix.kinds():
            raise exceptions.NotFound("Records of this kind have no STIX form.")
        self.last_modified = record_changed_at(record.translation_key, request.user)
        return Response(stix.bundle(data))
