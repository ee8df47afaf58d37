"""The ceiling the API is measured against: bare Django views that answer the same JSON as the API
for the same page, from the same stored representations, with as little Python as it takes.

Each view runs the queries any Python worker must run for that page (the page of visible records,
their stored representations, the links and backlinks the caller may see) and writes the stored
JSON text as it is, never decoded: each record is the request's parts (URLs, links, backlinks)
followed by the stored object's own keys. No DRF, no ETag, no parameter checks. ``bench/api.py``
checks that each answers the same JSON as the API (the same fields with the same values) before
timing.

This module is the WSGI application gunicorn serves (``bench.api_ceiling:application``): the
portal's URLs plus these views under ``/bench/``. Importing it sets Django up.
"""

# ruff: noqa: E402  (Django is set up before the modules that need it are imported)
import gc
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
django.setup()

from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.utils.urls import replace_query_param

from portal.api import pagination, representations
from portal.api.changes import make_cursor as change_cursor
from portal.api.filters import ORDERINGS
from portal.api.loading import Urls, visible_links
from portal.models import RecordChange, RecordPage, RecordRepresentation


def _dumps(value):
    return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _records_json(rows, request):
    """{record id: JSON text} for value rows (pk, uuid, url_path): the stored text, with this
    request's URLs, links and backlinks put in front of its keys."""
    ids = [row[0] for row in rows]
    texts = dict(
        RecordRepresentation.objects.filter(record_id__in=ids, format=representations.FORMAT).values_list(
            "record_id", Cast("data", TextField())
        )
    )
    urls = Urls(request)
    links, backlinks = visible_links(ids, request.user, urls)
    out = {}
    for pk, uuid, url_path in rows:
        extra = _dumps(
            {
                "web_url": urls.web(url_path),
                "api_url": urls.record(uuid),
                "links": links.get(pk, []),
                "backlinks": backlinks.get(pk, []),
            }
        )
        out[pk] = extra[:-1] + "," + texts[pk][1:]
    return out


def record_list(request, kind=None):
    size = int(request.GET.get("page_size", 20))
    field = ORDERINGS["published"]
    records = RecordPage.objects.visible_to(request.user)
    if kind:
        records = records.of_kind(kind)
    rows = records.order_by(f"-{field}", "-pk").values_list("pk", "translation_key", "url_path", field)
    rows = list(rows[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    texts = _records_json([row[:3] for row in rows], request)
    following = "null"
    if more:
        cursor = pagination.make_cursor("-published", rows[-1][3], rows[-1][0])
        prefix = f"/api/v1/{kind}s/" if kind else "/api/v1/records/"
        url = request.build_absolute_uri().replace(request.path, prefix)
        following = _dumps(replace_query_param(url, "cursor", cursor))
    body = f'{{"next":{following},"page_size":{size},"results":[{",".join(texts[row[0]] for row in rows)}]}}'
    return HttpResponse(body.encode(), content_type="application/json")


def record_detail(request, key):
    rows = list(
        RecordPage.objects.visible_to(request.user)
        .filter(translation_key=key)
        .order_by("pk")
        .values_list("pk", "translation_key", "url_path")[:1]
    )
    return HttpResponse(_records_json(rows, request)[rows[0][0]].encode(), content_type="application/json")


def changes(request):
    """The change feed for a caller who may see every record it names (the bench's anonymous
    caller and TLP:CLEAR corpus): the newest entry of each record, with the record or a tombstone."""
    size = int(request.GET.get("page_size", 100))
    now = timezone.now()
    entries = list(
        RecordChange.objects.filter(id__gt=0, at__lte=now)
        .order_by("id")
        .values_list("id", "record_uuid", "kind", "action", "at")[: size + 1]
    )
    more = len(entries) > size
    entries = entries[:size]
    latest = {}
    for entry_id, key, kind, action, at in entries:
        latest.pop(key, None)
        latest[key] = (entry_id, kind, action, at)
    rows = list(
        RecordPage.objects.visible_to(request.user)
        .filter(translation_key__in=list(latest))
        .values_list("pk", "translation_key", "url_path")
    )
    texts = _records_json(rows, request)
    present = {uuid: texts[pk] for pk, uuid, _ in rows}
    existing = set(
        RecordPage.objects.filter(translation_key__in=[k for k in latest if k not in present]).values_list(
            "translation_key", flat=True
        )
    )
    items = []
    for key, (_id, kind, action, at) in latest.items():
        record = present.get(key)
        state = "present" if record else ("hidden" if key in existing else "deleted")
        head = _dumps({"uuid": key, "kind": kind, "action": action, "at": at, "state": state})
        items.append(f'{head[:-1]},"record":{record or "null"}}}')
    cursor = change_cursor(entries[-1][0] if entries else 0, now)
    url = request.build_absolute_uri().replace(request.path, "/api/v1/changes/")
    tail = _dumps({"next_cursor": cursor, "next": replace_query_param(url, "cursor", cursor), "has_more": more})
    body = f'{{"results":[{",".join(items)}],{tail[1:]}'
    return HttpResponse(body.encode(), content_type="application/json")


def build_urls():
    from django.urls import include, path

    return [
        path("bench/records/", record_list),
        path("bench/frameworks/", record_list, {"kind": "framework"}),
        path("bench/findings/", record_list, {"kind": "finding"}),
        path("bench/lessons/", record_list, {"kind": "lesson"}),
        path("bench/records/<uuid:key>/", record_detail),
        path("bench/changes/", changes),
        path("", include("portal.urls")),
    ]


urlpatterns = []


def make_application():
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.api_ceiling"
    from django.core.wsgi import get_wsgi_application
    from django.urls import get_resolver

    app = get_wsgi_application()
    urlpatterns[:] = build_urls()
    # As portal/wsgi.py does: what start-up loaded is kept out of the garbage collector's sight.
    get_resolver().url_patterns  # noqa: B018  (imports the URLconf)
    gc.collect()
    gc.freeze()
    return app


application = make_application()
