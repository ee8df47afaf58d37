from django.conf import settings
from django.urls import include, path, re_path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from portal import admin_scope, files, search_views, views
from portal.models import TERM_MODELS

term_kinds = "|".join(TERM_MODELS)

urlpatterns = [
    # Before Wagtail's own, which have no hook: the page chooser's "pages chosen" answer and the
    # site history, kept to what the user may see in the admin (portal/admin_scope.py).
    path(
        "admin/choose-page/chosen-multiple/",
        admin_scope.ChosenPagesInReachView.as_view(),
        name="wagtailadmin_choose_page_chosen_multiple",
    ),
    path("admin/reports/site-history/", admin_scope.SiteHistoryInReachView.as_view(), name="portal_site_history"),
    path(
        "admin/reports/site-history/results/",
        admin_scope.SiteHistoryInReachView.as_view(results_only=True),
        name="portal_site_history_results",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("files/<path:name>", files.serve_rendition, name="rendition"),
    path("api/v1/", include("portal.api.urls")),
    path("account/", include("portal.accounts")),
    path("search/", search_views.search, name="search"),
    path("search/suggest/", search_views.suggest, name="search_suggest"),
    path("", include("portal.metadata_urls")),
    re_path(rf"^(?P<kind>{term_kinds})/$", views.term_list, name="term_list"),
    re_path(rf"^(?P<kind>{term_kinds})/(?P<slug>[-a-zA-Z0-9_]+)/$", views.term_detail, name="term"),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    # Static files only: uploads are never served from MEDIA_URL (portal/files.py).
    urlpatterns += staticfiles_urlpatterns()

urlpatterns += [path("", include(wagtail_urls))]
