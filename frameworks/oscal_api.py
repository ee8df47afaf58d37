"""The API's OSCAL answers: a framework as a catalog, a crosswalk as a mapping collection.

Mixed into the framework and crosswalk viewsets (``frameworks/api.py``), so they load through
the same sharing rule: a framework the caller may not see is a 404, and a crosswalk is there only
when the caller may see both its frameworks. Each answer takes a fixed number of queries.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from rest_framework import exceptions, renderers
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.loading import Urls
from portal.api.records import record_changed_at

from .models import FrameworkPage
from .oscal import MEDIA_TYPE, Unrepresentable, catalog, mapping_collection, rows_of


class OscalJSONRenderer(renderers.JSONRenderer):
    """OSCAL JSON under its own media type; ``application/json`` is answered too."""

    media_type = MEDIA_TYPE
    format = "oscal"


class OscalAnswers:
    """The ``oscal`` action answers OSCAL JSON, and its errors plain JSON in the API's error shape."""

    def get_renderers(self):
        if getattr(self, "action", None) == "oscal":
            return [OscalJSONRenderer(), renderers.JSONRenderer()]
        return super().get_renderers()

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer is not None and renderer.format == OscalJSONRenderer.format:
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def catalog_url(urls, framework):
    return f"{urls.api_root}frameworks/{framework.translation_key}/oscal/"


class FrameworkOscalMixin(OscalAnswers):
    @extend_schema(
        summary="A framework as an OSCAL catalog",
        description="The framework in OSCAL 1.2 JSON (`application/oscal+json`; `application/json` is answered "
        "too): its provisions as groups and controls, ids from their codes (GOVERN 1.1 → `GOVERN_1.1`), the code "
        "as the `label` prop, the text as the `statement` part. Check it with compliance-trestle "
        "(`Catalog.oscal_read`); `manage.py oscal_import` reads such a file back as a framework.",
        parameters=[OpenApiParameter("uuid", str, OpenApiParameter.PATH, pattern=r"^[0-9a-fA-F-]{32,36}$")],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description='An OSCAL catalog: {"catalog": {…}}.'),
        },
    )
    @action(detail=True, pagination_class=None, url_path="oscal")
    def oscal(self, request, uuid=None):
        framework = (
            FrameworkPage.objects.visible_to(request.user)
            .select_related("issuing_body")
            .filter(translation_key=uuid)
            .order_by("pk")
            .first()
        )
        if framework is None:
            raise exceptions.NotFound("No framework with this UUID, or you may not see it.")
        self.last_modified = record_changed_at(framework.translation_key, request.user)
        web_url = Urls(request).web(framework.url_path)
        return Response(catalog(framework, web_url=web_url))


class CrosswalkOscalMixin(OscalAnswers):
    @extend_schema(
        summary="A crosswalk as an OSCAL mapping collection",
        description="The crosswalk in OSCAL 1.2 JSON: one mapping from the source framework's catalog to the "
        "target's (their `oscal/` addresses), each mapping a map with its relationship (equal → equal-to when "
        "judged on the wording, else equivalent-to; subset-of, superset-of, intersects-with, no-relationship), "
        "`matching-rationale`, our relation and strength as props, the note as remarks, and gap summaries of "
        "the controls no map names. Check it with compliance-trestle (`MappingCollection.oscal_read`).",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="An OSCAL mapping collection."),
        },
    )
    @action(detail=True, pagination_class=None, url_path="oscal")
    def oscal(self, request, slug=None):
        crosswalk = self.get_queryset().filter(slug=slug).first()
        if crosswalk is None:
            raise exceptions.NotFound("No crosswalk with this slug, or you may not see both its frameworks.")
        urls = Urls(request)
        rows = rows_of([crosswalk.source_framework, crosswalk.target_framework])
        try:
            document = mapping_collection(crosswalk, lambda framework: catalog_url(urls, framework), rows)
        except Unrepresentable as error:
            raise exceptions.NotFound(str(error)) from None
        return Response(document)
