"""The DCAT catalogue endpoints: ``catalog.ttl`` / ``catalog.jsonld`` / ``catalog.rdf`` (a page of
the records the caller may see) and ``catalog/{uuid}.ttl`` … (one record).

Records come from ``record_queryset`` (the sharing rule) like every other list of the API, so a
record the caller may not see is in no page and no count, and one that is unpublished or
restricted drops out of the next harvest. A page costs the same fixed number of queries whatever
its size (a count, the page's rows, then ``load_records``), and only that page is held in memory:
a harvester walks the catalogue by the Hydra links each page carries. The graphs are built in
``portal.api.dcat``.
"""

import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from django.http import Http404
from django.urls import path
from django.utils.cache import patch_vary_headers
from rest_framework import exceptions, renderers, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from . import dcat
from .filters import KindChoice, TermFilterParams, filter_records, parse_params
from .http import ConditionalGetMixin, newest_change
from .loading import Urls, load_records, record_queryset
from .records import record_changed_at
from .serializers import RecordSerializer

MAX_PAGE_SIZE = 100


class RDFRenderer(renderers.BaseRenderer):
    """An rdflib graph in one RDF syntax. Errors are rendered as JSON (``CatalogueView``)."""

    charset = "utf-8"
    syntax = None
    options = {}

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.serialize(format=self.syntax, encoding="utf-8", **self.options)


class TurtleRenderer(RDFRenderer):
    media_type = "text/turtle"
    format = "ttl"
    syntax = "turtle"


class JSONLDRenderer(RDFRenderer):
    media_type = "application/ld+json"
    format = "jsonld"
    syntax = "json-ld"
    options = {"context": dcat.CONTEXT, "auto_compact": True}


class RDFXMLRenderer(RDFRenderer):
    media_type = "application/rdf+xml"
    format = "rdf"
    syntax = "pretty-xml"


RENDERERS = [TurtleRenderer, JSONLDRenderer, RDFXMLRenderer]
EXTENSIONS = [renderer.format for renderer in RENDERERS]


class CatalogueParams(TermFilterParams):
    kind = serializers.ListField(
        child=KindChoice(), required=False, help_text="framework, finding or lesson (several allowed)."
    )
    modified_since = serializers.DateTimeField(
        required=False,
        help_text="Only records whose current version was published at or after this time (ISO 8601, "
        "e.g. 2025-01-31T12:00:00Z).",
    )
    page = serializers.IntegerField(required=False, default=1, min_value=1, help_text="The page, from 1.")
    page_size = serializers.IntegerField(
        required=False,
        default=MAX_PAGE_SIZE,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Records per page, 1 to {MAX_PAGE_SIZE} (default {MAX_PAGE_SIZE}).",
    )


class Page:
    """One page of the catalogue: its number, size, the number of records and of pages, and the
    address of any page (this request's address with another ``page``)."""

    def __init__(self, request, number, size, total):
        self.request, self.number, self.size, self.total = request, number, size, total
        self.last = max(1, math.ceil(total / size))

    def url(self, number):
        return replace_query_param(self.request.build_absolute_uri(), "page", number)


class CatalogueView(ConditionalGetMixin, APIView):
    """A page of the DCAT catalogue of the records the caller may see."""

    renderer_classes = RENDERERS

    def perform_content_negotiation(self, request, force=False):
        if force:  # an error before a format was chosen: errors are JSON
            return renderers.JSONRenderer(), "application/json"
        extension = self.kwargs.get("extension")
        if extension is not None:
            for renderer in self.get_renderers():
                if renderer.format == extension:
                    return renderer, renderer.media_type
        else:
            try:
                return super().perform_content_negotiation(request, force)
            except (Http404, exceptions.NotAcceptable):
                pass
        raise exceptions.NotAcceptable(
            "Unknown format; the catalogue is served as " + ", ".join(EXTENSIONS) + " (e.g. catalog.ttl)."
        )

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON in the API's one shape, whatever format was asked for.
        if response.status_code >= 400 and getattr(request, "accepted_renderer", None) is not None:
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.kwargs.get("extension") is None:  # the format came from the Accept header
            patch_vary_headers(response, ("Accept",))
        return response

    def get(self, request, extension=None):
        params = parse_params(request, CatalogueParams)
        records = filter_records(record_queryset(request.user), params).order_by("pk")
        page = Page(request, params["page"], params["page_size"], records.count())
        if page.number > page.last:
            raise exceptions.NotFound(
                f"There is no page {page.number}: the catalogue has {page.last} page{'s' if page.last > 1 else ''} "
                f"of {page.size} records for you."
            )
        start = (page.number - 1) * page.size
        rows = list(records[start : start + page.size])
        urls = Urls(request)
        load_records(rows, request, urls)
        addresses = dcat.Addresses(urls)
        graph = dcat.new_graph()
        catalogue = dcat.add_catalogue(graph, addresses)
        datasets = [dcat.add_dataset(graph, data, addresses) for data in RecordSerializer(rows, many=True).data]
        dcat.add_page(graph, catalogue, datasets, page)
        self.last_modified, self.modified_since = newest_change(rows), False
        return Response(graph)


class DatasetView(CatalogueView):
    """One record the caller may see, as a DCAT dataset."""

    def get(self, request, uuid, extension=None):
        record = record_queryset(request.user).filter(translation_key=uuid).order_by("pk").first()
        if record is None:
            raise exceptions.NotFound("No record with this UUID, or you may not see it.")
        urls = Urls(request)
        load_records([record], request, urls)
        graph = dcat.new_graph()
        dcat.add_dataset(graph, RecordSerializer(record).data, dcat.Addresses(urls))
        self.last_modified = record_changed_at(record.translation_key, request.user)
        return Response(graph)


EXTENSION_PARAMETER = OpenApiParameter(
    "extension",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=EXTENSIONS,
    description="ttl (Turtle), jsonld (JSON-LD) or rdf (RDF/XML).",
)
RDF_RESPONSES = {
    (200, renderer.media_type): OpenApiResponse(
        OpenApiTypes.OBJECT if renderer is JSONLDRenderer else OpenApiTypes.STR,
        description=f"DCAT in {renderer.syntax}.",
    )
    for renderer in RENDERERS
}


@extend_schema(
    summary="The DCAT catalogue of the records you may see, a page at a time",
    description="A dcat:Catalog with one dcat:Dataset per record; Hydra links (first, previous, next, "
    "last) and hydra:totalItems say where the other pages are. A page past the last is a 404.",
    parameters=[CatalogueParams, EXTENSION_PARAMETER],
    responses=RDF_RESPONSES,
)
class CatalogueFileView(CatalogueView):
    """``catalog.ttl``, ``catalog.jsonld``, ``catalog.rdf``."""


@extend_schema(
    summary="One record as a DCAT dataset",
    parameters=[OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH), EXTENSION_PARAMETER],
    responses=RDF_RESPONSES,
)
class DatasetFileView(DatasetView):
    """``catalog/{uuid}.ttl``, ``.jsonld``, ``.rdf``."""


# ``catalog`` and ``catalog/{uuid}`` (the datasets' own addresses) answer in the format the Accept
# header asks for (Turtle by default); the schema lists the addresses with an extension.
@extend_schema(exclude=True)
class NegotiatedCatalogueView(CatalogueView):
    pass


@extend_schema(exclude=True)
class NegotiatedDatasetView(DatasetView):
    pass


urlpatterns = [
    path("catalog", NegotiatedCatalogueView.as_view(), name="dcat_catalogue"),
    path("catalog.<str:extension>", CatalogueFileView.as_view(), name="dcat_catalogue_file"),
    path("catalog/<uuid:uuid>", NegotiatedDatasetView.as_view(), name="dcat_dataset"),
    path("catalog/<uuid:uuid>.<str:extension>", DatasetFileView.as_view(), name="dcat_dataset_file"),
]
