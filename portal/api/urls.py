"""The API's one router, the OpenAPI schema and the interactive docs (``/api/v1/``).

This module sits at the top with ``portal/urls.py``: it is the one place in ``portal`` that
imports the apps, to register each kind's API parts and typed endpoints.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from findings import api as findings_api
from frameworks import api as frameworks_api
from portal.api import kinds
from portal.api.changes import ChangeViewSet
from portal.api.docs import OfflineRedocView
from portal.api.records import RecordViewSet
from portal.api.search_views import SearchViewSet
from portal.api.taxonomy import (
    JurisdictionViewSet,
    LanguageViewSet,
    OrganisationViewSet,
    SectorViewSet,
    TopicViewSet,
)

kinds.register(frameworks_api.KIND)
kinds.register(findings_api.FINDING_KIND)
kinds.register(findings_api.LESSON_KIND)

app_name = "api"

router = DefaultRouter()
router.include_root_view = True
router.register("records", RecordViewSet, basename="record")
router.register("frameworks", frameworks_api.FrameworkViewSet, basename="framework")
router.register("findings", findings_api.FindingViewSet, basename="finding")
router.register("lessons", findings_api.LessonViewSet, basename="lesson")
router.register("search", SearchViewSet, basename="search")
router.register("changes", ChangeViewSet, basename="change")
router.register("crosswalks", frameworks_api.CrosswalkViewSet, basename="crosswalk")
router.register("topics", TopicViewSet, basename="topic")
router.register("sectors", SectorViewSet, basename="sector")
router.register("jurisdictions", JurisdictionViewSet, basename="jurisdiction")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("languages", LanguageViewSet, basename="language")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
]
