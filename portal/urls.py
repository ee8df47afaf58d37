from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from portal import search_views, views
from portal.models import TERM_MODELS

term_kinds = "|".join(TERM_MODELS)

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include("portal.api.urls")),
    path("account/", include("portal.accounts")),
    path("search/", search_views.search, name="search"),
    path("search/suggest/", search_views.suggest, name="search_suggest"),
    path("", include("portal.metadata_urls")),
    re_path(rf"^(?P<kind>{term_kinds})/$", views.term_list, name="term_list"),
    re_path(rf"^(?P<kind>{term_kinds})/(?P<slug>[-a-zA-Z0-9_]+)/$", views.term_detail, name="term"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
