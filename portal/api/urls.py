"""The API's one router, the OpenAPI schema and the interactive docs (``/api/v1/``).

Each kind's typed endpoint (``frameworks/``, ``findings/``, ``lessons/``) and any other endpoint
of an app (``crosswalks/``) comes from what the apps registered in ``portal.api.kinds``.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from portal.api import kinds
from portal.api.changes import ChangeViewSet
from portal.api.dcat_views import urlpatterns as dcat_urlpatterns
from portal.api.docs import OfflineRedocView
from portal.api.records import UUID_PATTERN, RecordViewSet
from portal.api.search_views import SearchViewSet
from portal.api.stix_views import StixBundleView
from portal.api.taxii import urlpatterns as taxii_urls
from portal.api.taxonomy import (
    JurisdictionViewSet,
    LanguageViewSet,
    OrganisationViewSet,
    SectorViewSet,
    TopicViewSet,
)

app_name = "api"

router = DefaultRouter()
router.include_root_view = True
router.register("records", RecordViewSet, basename="record")
for kind in kinds.registered().values():
    prefix, viewset = kind.route
    router.register(prefix, viewset, basename=kind.kind)
router.register("search", SearchViewSet, basename="search")
router.register("changes", ChangeViewSet, basename="change")
for prefix, (viewset, basename) in kinds.routes().items():
    router.register(prefix, viewset, basename=basename)
router.register("topics", TopicViewSet, basename="topic")
router.register("sectors", SectorViewSet, basename="sector")
router.register("jurisdictions", JurisdictionViewSet, basename="jurisdiction")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("languages", LanguageViewSet, basename="language")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(rf"^records/(?P<uuid>{UUID_PATTERN})/stix/$", StixBundleView.as_view(), name="record-stix"),
    *dcat_urlpatterns,
    *taxii_urls,
    path("", include(router.urls)),
]
