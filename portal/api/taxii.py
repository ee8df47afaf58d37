"""A read-only TAXII 2.1 server under the API (``/api/v1/taxii/``).

Discovery (``taxii/``), one API root (``taxii/portal/``) and a collection per kind with a STIX
form (``portal.api.stix``: findings, lessons, frameworks). A collection's objects are the STIX
objects of the records of its kind that the caller may see, through the same rule and the same
loading as ``records/`` (``record_queryset``, ``load_records``), with partner tokens as
everywhere in the API. Each object's ``date_added`` is when its record's current version was
published.

A record that has left the caller's view (unpublished, deleted, or no longer shared with them)
comes back as a revoked version of its main object (``stix.revoked``: no title, text or
reference), dated by the change-log entry that removed it, and only to callers the change feed
would tell (``RecordChange.tells``): someone who never could see the record is never told that it
existed.

Paging, filters and the merge of records with revocations are in ``portal/api/taxii_paging.py``.
"""

import uuid

from django.urls import path, re_path
from rest_framework import exceptions, renderers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import kinds, stix
from .http import ConditionalGetMixin
from .stix_views import VersionedNegotiationMixin, VersionedRenderer
from .taxii_paging import Page, TaxiiError, every_version, parse_filters

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"


class TaxiiRenderer(VersionedRenderer):
    media_type = "application/taxii+json"
    versioned = TAXII_MEDIA_TYPE
    format = "taxii"


class TaxiiErrorRenderer(renderers.JSONRenderer):
    media_type = TAXII_MEDIA_TYPE


def taxii_exception_handler(exc):
    if isinstance(exc, TaxiiError):
        status, title, description = exc.status_code, exc.title, exc.description
    elif isinstance(exc, exceptions.APIException):
        status, title, description = exc.status_code, str(exc.detail), ""
    else:
        return None
    body = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    headers = {}
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body, status=status, headers=headers)


def collection_id(kind):
    """The collection's id: a UUID derived from the kind, the same on every server."""
    return str(uuid.UUID(bytes=uuid.uuid5(stix.NAMESPACE, f"taxii-collection:{kind}").bytes, version=4))


def collections():
    """{collection id: (kind, route name)} of the kinds with a STIX form, in registration order."""
    registered = kinds.registered()
    return {collection_id(kind): (kind, registered[kind].route[0]) for kind in stix.kinds() if kind in registered}


def collection_info(cid):
    kind, name = collections()[cid]
    return {
        "id": cid,
        "title": name.title(),
        "description": f"Every {kind} you may see, as STIX 2.1 objects marked with their TLP 2.0 level.",
        "alias": name,
        "can_read": True,
        "can_write": False,
        "media_types": [stix.STIX_MEDIA_TYPE],
    }


class TaxiiView(VersionedNegotiationMixin, ConditionalGetMixin, APIView):
    # TAXII is described by its own specification (errors are TAXII error messages, not the API's
    # error model), so its endpoints are left out of the OpenAPI schema; docs/api.md lists them.
    schema = None
    renderer_classes = [TaxiiRenderer, renderers.JSONRenderer]
    error_renderer = TaxiiErrorRenderer
    not_acceptable = f"This endpoint answers in {TAXII_MEDIA_TYPE}."

    def handle_exception(self, exc):
        response = taxii_exception_handler(exc)
        if response is None:
            return super().handle_exception(exc)
        response.exception = True
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response.content_type = TAXII_MEDIA_TYPE
        return response

    def root_url(self, request):
        return request.build_absolute_uri("/api/v1/taxii/portal/")

    def collection(self, cid):
        if cid not in collections():
            raise TaxiiError(404, "No such collection.", "The collections are listed at the API root's collections/.")
        return collections()[cid][0]


class DiscoveryView(TaxiiView):
    def get(self, request):
        root = self.root_url(request)
        return Response(
            {
                "title": "AI safety governance portal (TAXII 2.1)",
                "description": "Findings, lessons and frameworks as STIX 2.1, read-only. Partners authenticate "
                "with their API token (Authorization: Bearer or Token).",
                "default": root,
                "api_roots": [root],
            }
        )


class ApiRootView(TaxiiView):
    def get(self, request):
        return Response(
            {
                "title": "Portal records",
                "description": "One collection per kind of record.",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 0,
            }
        )


class CollectionsView(TaxiiView):
    def get(self, request):
        return Response({"collections": [collection_info(cid) for cid in collections()]})


class CollectionView(TaxiiView):
    def get(self, request, cid):
        self.collection(cid)
        return Response(collection_info(cid))


def added(date):
    return stix.timestamp(date)


class ObjectsView(TaxiiView):
    def get(self, request, cid):
        return self.page(request, cid, lambda date, obj: obj)

    def page(self, request, cid, shown):
        """One page of a collection as a TAXII envelope: each (date added, object) as ``shown``
        gives it, ``more`` and ``next``, and the date headers of the page."""
        kind = self.collection(cid)
        found, more, next_value = Page(request, kind, parse_filters(request)).read()
        body = {"more": more}
        if next_value:
            body["next"] = next_value
        if found:
            body["objects"] = [shown(date, obj) for date, obj in found]
        return self.dated(Response(body), found)

    def dated(self, response, found):
        if found:
            response["X-TAXII-Date-Added-First"] = added(found[0][0])
            response["X-TAXII-Date-Added-Last"] = added(found[-1][0])
        return response


class ManifestView(ObjectsView):
    def get(self, request, cid):
        return self.page(
            request,
            cid,
            lambda date, obj: {
                "id": obj["id"],
                "date_added": added(date),
                "version": obj.get("modified", obj.get("created")),
                "media_type": stix.STIX_MEDIA_TYPE,
            },
        )


class ObjectView(ObjectsView):
    def get(self, request, cid, object_id):
        kind = self.collection(cid)
        versions = every_version(request, kind, object_id)
        wanted = parse_filters(request)["version"]
        wanted = wanted if isinstance(wanted, list) else [wanted]
        stamps = {stix.timestamp(value) for value in wanted if value not in ("first", "last", "all")}
        chosen = [
            item
            for n, item in enumerate(versions)
            if "all" in wanted
            or ("first" in wanted and n == 0)
            or ("last" in wanted and n == len(versions) - 1)
            or item[1].get("modified", item[1].get("created")) in stamps
        ]
        if not chosen:
            raise TaxiiError(404, "No such version.", "This object has no version with that timestamp.")
        return self.dated(Response({"more": False, "objects": [obj for _, obj in chosen]}), chosen)


class VersionsView(ObjectsView):
    def get(self, request, cid, object_id):
        kind = self.collection(cid)
        versions = every_version(request, kind, object_id)
        body = {"more": False, "versions": [obj.get("modified", obj.get("created")) for _, obj in versions]}
        return self.dated(Response(body), versions)


_CID = r"(?P<cid>[0-9a-f-]{36})"
_OID = r"(?P<object_id>[^/]{1,300})"
#: The server's addresses, included under /api/v1/ by ``portal/api/urls.py``.
urlpatterns = [
    path("taxii/", DiscoveryView.as_view(), name="taxii-discovery"),
    path("taxii/portal/", ApiRootView.as_view(), name="taxii-root"),
    path("taxii/portal/collections/", CollectionsView.as_view(), name="taxii-collections"),
    re_path(rf"^taxii/portal/collections/{_CID}/$", CollectionView.as_view(), name="taxii-collection"),
    re_path(rf"^taxii/portal/collections/{_CID}/objects/$", ObjectsView.as_view(), name="taxii-objects"),
    re_path(rf"^taxii/portal/collections/{_CID}/manifest/$", ManifestView.as_view(), name="taxii-manifest"),
    re_path(rf"^taxii/portal/collections/{_CID}/objects/{_OID}/$", ObjectView.as_view(), name="taxii-object"),
    re_path(
        rf"^taxii/portal/collections/{_CID}/objects/{_OID}/versions/$", VersionsView.as_view(), name="taxii-versions"
    ),
]
