"""Benchmark of the API (not a test): ``python bench/api.py``.

Builds a SQLite database with the curated dataset plus 10,000 generated records (findings and
lessons with terms, bodies and links; frameworks with provisions), indexed for search and
logged in the change feed, and keeps it in ``var/bench-api/`` (``--rebuild`` makes it again).
Then it serves the portal with **one gunicorn worker** and measures, one client request at a
time for ``--seconds`` each, requests per second and 95th-percentile latency of:

* the API endpoints: ``records/`` (page size 20 and 100), a record's detail, ``search/`` and
  ``changes/``;
* a hand-written Django view for each (``/bench/…`` below) that runs the same queries with
  ``values()`` and builds the same JSON with plain dicts, no DRF. Before timing, the script checks
  that both answer byte-for-byte the same JSON.

It prints one table with the ratio (API / hand-written) and writes it into docs/performance.md
between the BENCH-API markers.

    python bench/api.py [--seconds 10] [--records 10000] [--rebuild]

This module is also the WSGI application gunicorn serves (``bench.api:application``): the
portal's URLs plus the hand-written views.
"""

import argparse
import contextlib
import datetime
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-api"
DOC = ROOT / "docs" / "performance.md"
SEED = 20261127
VERSION = "4"  # bump when the generated corpus changes


def environment(work=WORK):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DJANGO_SECRET_KEY="bench-only-not-secret",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        PORTAL_VAR_DIR=str(work),
        SEARCH_BACKEND="modelsearch.backends.database",
        PORTAL_SAMPLE_DATA="",
        API_THROTTLE_ANON="",
        API_THROTTLE_USER="",
        API_CHANGES_SETTLE_SECONDS="0",
        PYTHONPATH=str(ROOT),
    )
    return env


# The hand-written views: same queries, values(), plain dicts, JsonResponse-style output.


def _handwritten():
    from django.db.models import Max, Value
    from django.db.models.functions import Coalesce
    from django.http import HttpResponse
    from django.utils import timezone
    from rest_framework.utils.encoders import JSONEncoder
    from rest_framework.utils.urls import replace_query_param

    from portal.api import pagination, search
    from portal.api.changes import make_cursor as change_cursor
    from portal.api.filters import ORDERINGS
    from portal.api.loading import EPOCH, TERM_RELATIONS, Urls
    from portal.api.serializers import html_to_text
    from portal.models import (
        INVERSE_LABELS,
        CrossLink,
        ExternalIdentifier,
        RecordChange,
        RecordPage,
        RecordTag,
    )

    def dumps(data):
        return HttpResponse(
            json.dumps(data, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":")).encode(),
            content_type="application/json",
        )

    def iso(value):
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value, datetime.UTC).isoformat()
            return value[:-6] + "Z" if value.endswith("+00:00") else value
        return value.isoformat()

    FW = ("version", "status", "legal_effect", "effective_date", "end_date", "issuing_body_id")
    FIND = (
        "finding_type",
        "status",
        "evidence_strength",
        "severity",
        "methodology",
        "systems_examined",
        "authors",
        "venue",
        "doi",
    )
    LES = (
        "event_date",
        "event_end_date",
        "context",
        "what_happened",
        "impact",
        "what_worked",
        "what_did_not_work",
        "recommendations",
    )
    COLUMNS = (
        "pk",
        "translation_key",
        "content_type_id",
        "title",
        "slug",
        "summary",
        "body",
        "publication_date",
        "first_published_at",
        "last_published_at",
        "url_path",
        "source_url",
        "sharing_level",
        "owning_organisation__slug",
        *(f"frameworkpage__{c}" for c in FW),
        "frameworkpage__issuing_body__slug",
        "frameworkpage__issuing_body__name",
        "frameworkpage__issuing_body__acronym",
        *(f"findingpage__{c}" for c in FIND),
        *(f"lessonpage__{c}" for c in LES),
    )

    def labels(model, field):
        return dict(model._meta.get_field(field).choices)

    kinds = RecordPage.kind_models()
    FW_STATUS, FW_EFFECT = labels(kinds["framework"], "status"), labels(kinds["framework"], "legal_effect")
    F_TYPE, F_STATUS = labels(kinds["finding"], "finding_type"), labels(kinds["finding"], "status")
    F_EVIDENCE, F_SEVERITY = labels(kinds["finding"], "evidence_strength"), labels(kinds["finding"], "severity")
    P_TYPE = labels(kinds["framework"]._meta.get_field("provisions").related_model, "provision_type")
    PROVISION = kinds["framework"]._meta.get_field("provisions").related_model

    def lines(text):
        return [line.strip() for line in (text or "").splitlines() if line.strip()]

    def by_record(rows):
        grouped = {}
        for row in rows:
            grouped.setdefault(row[0], []).append(row[1:])
        return grouped

    def records(rows, request, urls):
        """The record dicts for value rows of RecordPage (the same queries as load_records)."""
        if not rows:
            return []
        ids = [row["pk"] for row in rows]
        kind_of = RecordPage.kind_of_content_type()
        terms = {}
        for relation, columns in TERM_RELATIONS.items():
            through = RecordPage._meta.get_field(relation).remote_field.through
            term = RecordPage._meta.get_field(relation).related_model._meta.model_name
            found = (
                through.objects.filter(recordpage_id__in=ids)
                .order_by(f"{term}__name")
                .values_list("recordpage_id", *(f"{term}__{c}" for c in columns))
            )
            terms[relation] = {
                pk: [dict(zip(columns, v, strict=True)) for v in items] for pk, items in by_record(found).items()
            }
        tags = by_record(
            RecordTag.objects.filter(content_object_id__in=ids)
            .order_by("tag__name")
            .values_list("content_object_id", "tag__name")
        )
        identifiers = by_record(
            ExternalIdentifier.objects.filter(record_id__in=ids)
            .order_by("sort_order", "pk")
            .values_list("record_id", "scheme", "value")
        )
        cols = ("link_type", "note", "target_provision__code", "target_provision__title")
        outgoing = list(
            CrossLink.objects.filter(source_id__in=ids)
            .order_by("sort_order", "pk")
            .values_list(
                "source_id",
                *cols,
                "target__translation_key",
                "target__title",
                "target__content_type_id",
                "target_id",
            )
        )
        incoming = list(
            CrossLink.objects.filter(target_id__in=ids)
            .order_by("source__title", "pk")
            .values_list(
                "target_id",
                *cols,
                "source__translation_key",
                "source__title",
                "source__content_type_id",
                "source_id",
            )
        )
        ends = {row[-1] for row in outgoing} | {row[-1] for row in incoming}
        seen = set(RecordPage.objects.visible_to(request.user).filter(pk__in=ends).values_list("pk", flat=True))
        outgoing = by_record(row[:-1] for row in outgoing if row[-1] in seen)
        incoming = by_record(row[:-1] for row in incoming if row[-1] in seen)
        framework_ids = [row["pk"] for row in rows if kind_of.get(row["content_type_id"]) == "framework"]
        provisions = {}
        if framework_ids:
            for p in (
                PROVISION.objects.filter(framework_id__in=framework_ids)
                .order_by("framework_id", "sort_order", "pk")
                .values("framework_id", "code", "title", "provision_type", "level", "text")
            ):
                provisions.setdefault(p["framework_id"], []).append(p)

        def link(row, backlink):
            link_type, note, code, ptitle, key, title, ct = row
            label = CrossLink(link_type=link_type).label
            inverse = INVERSE_LABELS[link_type]
            return {
                "type": link_type,
                "label": inverse if backlink else label,
                "inverse_label": label if backlink else inverse,
                "record": {"uuid": str(key), "kind": kind_of.get(ct, ""), "title": title, "api_url": urls.record(key)},
                "provision": {"code": code, "title": ptitle} if code is not None else None,
                "note": note,
            }

        def tree(items):
            from portal.text import anchor

            roots, stack = [], []
            for p in items:
                node = {
                    "code": p["code"],
                    "anchor": anchor(p["code"]),
                    "type": p["provision_type"],
                    "type_label": P_TYPE.get(p["provision_type"], p["provision_type"]),
                    "level": p["level"],
                    "title": p["title"],
                    "text": p["text"],
                    "children": [],
                }
                while stack and stack[-1]["level"] >= p["level"]:
                    stack.pop()
                (stack[-1]["children"] if stack else roots).append(node)
                stack.append(node)
            return roots

        out = []
        for row in rows:
            pk, kind = row["pk"], kind_of.get(row["content_type_id"], "")
            body_html = str(row["body"].render_as_block()) if row["body"] else ""
            item = {
                "uuid": str(row["translation_key"]),
                "kind": kind,
                "title": row["title"],
                "slug": row["slug"],
                "summary": row["summary"],
                "body_html": body_html,
                "body_text": html_to_text(body_html),
                "publication_date": iso(row["publication_date"]),
                "first_published_at": iso(row["first_published_at"]),
                "last_published_at": iso(row["last_published_at"]),
                "web_url": urls.web(row["url_path"]),
                "api_url": urls.record(row["translation_key"]),
                "organisations": terms["organisations"].get(pk, []),
                "topics": terms["topics"].get(pk, []),
                "sectors": terms["sectors"].get(pk, []),
                "jurisdictions": terms["jurisdictions"].get(pk, []),
                "languages": terms["languages"].get(pk, []),
                "tags": [t[0] for t in tags.get(pk, ())],
                "source_url": row["source_url"],
                "identifiers": [{"scheme": s, "value": v} for s, v in identifiers.get(pk, ())],
                "sharing": {"level": row["sharing_level"], "owning_organisation": row["owning_organisation__slug"]},
                "links": [link(r, False) for r in outgoing.get(pk, ())],
                "backlinks": [link(r, True) for r in incoming.get(pk, ())],
            }
            if kind == "framework":
                f = {c: row[f"frameworkpage__{c}"] for c in FW}
                item["framework"] = {
                    "issuing_body": (
                        {
                            "slug": row["frameworkpage__issuing_body__slug"],
                            "name": row["frameworkpage__issuing_body__name"],
                            "acronym": row["frameworkpage__issuing_body__acronym"],
                        }
                        if f["issuing_body_id"]
                        else None
                    ),
                    "version": f["version"],
                    "status": f["status"],
                    "status_label": FW_STATUS.get(f["status"], f["status"]),
                    "legal_effect": f["legal_effect"],
                    "legal_effect_label": FW_EFFECT.get(f["legal_effect"], f["legal_effect"]),
                    "effective_date": iso(f["effective_date"]),
                    "end_date": iso(f["end_date"]),
                    "provisions": tree(provisions.get(pk, [])),
                }
            elif kind == "finding":
                f = {c: row[f"findingpage__{c}"] for c in FIND}
                item["finding"] = {
                    "finding_type": f["finding_type"],
                    "finding_type_label": F_TYPE.get(f["finding_type"], f["finding_type"]),
                    "status": f["status"],
                    "status_label": F_STATUS.get(f["status"], f["status"]),
                    "evidence_strength": f["evidence_strength"],
                    "evidence_strength_label": F_EVIDENCE.get(f["evidence_strength"], f["evidence_strength"]),
                    "severity": f["severity"],
                    "severity_label": F_SEVERITY.get(f["severity"], f["severity"]),
                    "methodology": f["methodology"],
                    "systems_examined": lines(f["systems_examined"]),
                    "authors": lines(f["authors"]),
                    "venue": f["venue"],
                    "doi": f["doi"],
                }
            elif kind == "lesson":
                f = {c: row[f"lessonpage__{c}"] for c in LES}
                item["lesson"] = {
                    "event_date": iso(f["event_date"]),
                    "event_end_date": iso(f["event_end_date"]),
                    **{c: f[c] for c in ("context", "what_happened", "impact", "what_worked", "what_did_not_work")},
                    "recommendations": lines(f["recommendations"]),
                }
            out.append(item)
        return out

    def base(request):
        modified = Coalesce("last_published_at", "first_published_at", Value(EPOCH))
        return RecordPage.objects.visible_to(request.user).annotate(modified_at=modified)

    def record_list(request):
        size = int(request.GET.get("page_size", 20))
        ordering = "-published"
        field = ORDERINGS["published"]
        rows = list(base(request).order_by(f"-{field}", "-pk").values(*COLUMNS, field)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        urls = Urls(request)
        data = records(rows, request, urls)
        nxt = None
        if more:
            cursor = pagination.make_cursor(ordering, rows[-1][field], rows[-1]["pk"])
            nxt = replace_query_param(
                request.build_absolute_uri().replace("/bench/records/", "/api/v1/records/"), "cursor", cursor
            )
        return dumps({"next": nxt, "page_size": size, "results": data})

    def record_detail(request, key):
        rows = list(base(request).filter(translation_key=key).order_by("pk").values(*COLUMNS)[:1])
        RecordChange.objects.filter(record_uuid=key).aggregate(last=Max("at"))
        return dumps(records(rows, request, Urls(request))[0])

    def search_view(request):
        q, size = request.GET["q"], int(request.GET.get("page_size", 20))
        visible = RecordPage.objects.visible_to(request.user)
        ids = search.matching_ids(visible, q)
        page_ids = ids[:size]
        rows = {
            r["pk"]: r
            for r in visible.filter(pk__in=page_ids).values(
                "pk", "translation_key", "content_type_id", "title", "summary", "publication_date", "url_path", "body"
            )
        }
        orgs = by_record(
            RecordPage.organisations.through.objects.filter(recordpage_id__in=page_ids)
            .order_by("organisation__name")
            .values_list("recordpage_id", "organisation__slug", "organisation__name", "organisation__acronym")
        )
        facets = search.facet_counts(ids)
        completions = search.completions(visible, q)
        terms = search.query_terms(q)
        urls, kind_of = Urls(request), RecordPage.kind_of_content_type()
        results = []
        for pk in page_ids:
            r = rows[pk]
            body = html_to_text(str(r["body"].render_as_block())) if r["body"] else ""
            results.append(
                {
                    "uuid": str(r["translation_key"]),
                    "kind": kind_of.get(r["content_type_id"], ""),
                    "title": r["title"],
                    "summary": r["summary"],
                    "publication_date": iso(r["publication_date"]),
                    "web_url": urls.web(r["url_path"]),
                    "api_url": urls.record(r["translation_key"]),
                    "organisations": [{"slug": s, "name": n, "acronym": a} for s, n, a in orgs.get(pk, ())],
                    "highlights": {
                        "title": search.highlight(r["title"], terms, length=1000),
                        "summary": search.highlight(r["summary"], terms),
                        "body": search.highlight(body, terms),
                    },
                }
            )
        url = request.build_absolute_uri().replace("/bench/search/", "/api/v1/search/")
        return dumps(
            {
                "query": q,
                "total": len(ids),
                "page": 1,
                "page_size": size,
                "next": replace_query_param(url, "page", 2) if size < len(ids) else None,
                "previous": None,
                "results": results,
                "facets": facets,
                "suggestions": {"spelling": None, "completions": completions},
            }
        )

    def changes_view(request):
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
        rows = list(base(request).filter(translation_key__in=list(latest)).values(*COLUMNS))
        present = {item["uuid"]: item for item in records(rows, request, Urls(request))}
        missing = [k for k in latest if str(k) not in present]
        existing = set()
        if missing:
            existing = {
                str(k)
                for k in RecordPage.objects.filter(translation_key__in=missing).values_list(
                    "translation_key", flat=True
                )
            }
        results = []
        for key, (_id, kind, action, at) in latest.items():
            record = present.get(str(key))
            state = "present" if record else ("hidden" if str(key) in existing else "deleted")
            results.append(
                {"uuid": str(key), "kind": kind, "action": action, "at": iso(at), "state": state, "record": record}
            )
        cursor = change_cursor(entries[-1][0] if entries else 0, now)
        url = request.build_absolute_uri().replace("/bench/changes/", "/api/v1/changes/")
        return dumps(
            {
                "results": results,
                "next_cursor": cursor,
                "next": replace_query_param(url, "cursor", cursor),
                "has_more": more,
            }
        )

    return record_list, record_detail, search_view, changes_view


def build_urls():
    from django.urls import include, path

    record_list, record_detail, search_view, changes_view = _handwritten()
    return [
        path("bench/records/", record_list),
        path("bench/records/<uuid:key>/", record_detail),
        path("bench/search/", search_view),
        path("bench/changes/", changes_view),
        path("", include("portal.urls")),
    ]


urlpatterns = []


def make_application():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.api"
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    urlpatterns[:] = build_urls()
    return app


if os.environ.get("PORTAL_BENCH_SERVE") == "1":
    application = make_application()


# The corpus


WORDS = (
    "model evaluation safety jailbreak prompt injection multilingual refusal bias fairness privacy "
    "leakage agent tool audit incident deployment oversight governance robustness adversarial "
    "transparency accountability red team benchmark language dataset alignment misuse fraud "
    "chatbot hallucination medical finance telecom energy government election deepfake watermark "
    "provenance supply chain vulnerability disclosure monitoring logging access control"
).split()


def generate(count, seed=SEED):
    """Insert ``count`` live records (45% findings, 45% lessons, 10% frameworks with provisions)
    with terms, bodies and links, index them for search and log them in the change feed."""
    import django

    django.setup()
    from django.db import transaction

    from modelsearch.backends import get_search_backend
    from wagtail.models import Locale, Page

    from portal import changes
    from portal.exchange.importer import refresh_statistics
    from portal.exchange.site import index_page_models
    from portal.models import CrossLink, Organisation, RecordPage, Sector, Topic

    rng = random.Random(seed)
    kinds = RecordPage.kind_models()
    provision_model = kinds["framework"]._meta.get_field("provisions").related_model
    locale = Locale.get_default()
    topics = list(Topic.objects.values_list("pk", flat=True))
    sectors = list(Sector.objects.values_list("pk", flat=True))
    organisations = list(Organisation.objects.values_list("pk", flat=True))
    next_id = (Page.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = datetime.datetime.now(datetime.UTC)

    # Text: made-up words from a 4,000-word vocabulary, and one word in fifty from the domain
    # list, so that a query for a domain word matches a realistic few percent of the records.
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "gri", "sto", "bel", "dar", "fen"]
    vocabulary = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(4500)})

    def word():
        return rng.choice(WORDS) if rng.random() < 0.02 else rng.choice(vocabulary)

    def sentence(n):
        return " ".join(word() for _ in range(n)).capitalize() + "."

    made = {kind: [] for kind in kinds}
    with transaction.atomic():
        for kind, model in kinds.items():
            share = {"framework": 0.1, "finding": 0.45, "lesson": 0.45}[kind]
            n = int(count * share)
            index = index_page_models()[kind].objects.get()
            last = index.get_last_child()
            step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
            objs = []
            for i in range(n):
                title = f"{sentence(rng.randint(4, 9))[:-1]} ({kind} {i})"
                slug = f"bench-{kind}-{i}"
                body = [
                    {"type": "heading", "value": {"text": sentence(3), "level": "h2"}, "id": str(uuid.uuid4())},
                    {"type": "paragraph", "value": f"<p>{sentence(30)}</p>", "id": str(uuid.uuid4())},
                    {"type": "paragraph", "value": f"<p>{sentence(40)}</p>", "id": str(uuid.uuid4())},
                ]
                published = now - datetime.timedelta(days=rng.randint(0, 3000))
                fields = dict(
                    id=next_id,
                    path=index.path + Page._int2str(step).rjust(Page.steplen, "0"),
                    depth=index.depth + 1,
                    numchild=0,
                    translation_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                    locale=locale,
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=published,
                    last_published_at=published,
                    title=title,
                    draft_title=title,
                    slug=slug,
                    url_path=f"{index.url_path}{slug}/",
                    summary=sentence(rng.randint(20, 40)),
                    body=json.dumps(body),
                    publication_date=(published - datetime.timedelta(days=rng.randint(0, 365))).date(),
                    sharing_level="TLP:CLEAR",
                )
                if kind == "finding":
                    fields.update(
                        methodology=sentence(25),
                        authors="\n".join(sentence(2)[:-1] for _ in range(3)),
                        systems_examined="GPT-4\nLlama 2",
                        severity=rng.choice(["", "low", "high"]),
                    )
                elif kind == "lesson":
                    fields.update(
                        context=sentence(20), what_happened=sentence(30), recommendations="Do this.\nDo that."
                    )
                objs.append(model(**fields))
                next_id += 1
                step += 1
            from django.contrib.contenttypes.models import ContentType

            content_type = ContentType.objects.get_for_model(model)
            for obj in objs:
                obj.content_type = content_type
                obj.page_ptr_id = obj.id
                obj.recordpage_ptr_id = obj.id
            for level in (Page, RecordPage, model):
                fields = level._meta.local_concrete_fields
                for i in range(0, len(objs), 300):
                    level._base_manager._insert(objs[i : i + 300], fields=fields, raw=True)
            Page.objects.filter(pk=index.pk).update(numchild=index.numchild + n)
            made[kind] = objs
        all_ids = [o.pk for objs in made.values() for o in objs]
        through = RecordPage.topics.through
        through.objects.bulk_create(
            [through(recordpage_id=pk, topic_id=t) for pk in all_ids for t in rng.sample(topics, 2)], batch_size=2000
        )
        through = RecordPage.sectors.through
        through.objects.bulk_create(
            [through(recordpage_id=pk, sector_id=rng.choice(sectors)) for pk in all_ids], batch_size=2000
        )
        through = RecordPage.organisations.through
        through.objects.bulk_create(
            [through(recordpage_id=pk, organisation_id=rng.choice(organisations)) for pk in all_ids], batch_size=2000
        )
        provisions = []
        for framework in made["framework"]:
            for n in range(12):
                provisions.append(
                    provision_model(
                        framework_id=framework.pk,
                        sort_order=n,
                        level=1 if n % 4 == 0 else 2,
                        code=f"P {n // 4}.{n % 4}",
                        title=sentence(4),
                        text=sentence(15),
                    )
                )
        provision_model.objects.bulk_create(provisions, batch_size=1000)
        links = []
        for pk in all_ids:
            for n, target in enumerate(rng.sample(all_ids, 2)):
                if target != pk:
                    links.append(CrossLink(source_id=pk, target_id=target, link_type="related", sort_order=n))
        CrossLink.objects.bulk_create(links, batch_size=2000)
        changes.backfill()
    refresh_statistics()  # as after any bulk import
    backend = get_search_backend()
    for kind, model in kinds.items():
        ids = [o.pk for o in made[kind]]
        for i in range(0, len(ids), 500):
            backend.add_bulk(model, list(model.objects.filter(pk__in=ids[i : i + 500])))


def prepare(count, rebuild):
    stamp = WORK / f"corpus-{VERSION}-{count}"
    if stamp.exists() and not rebuild:
        return
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = environment()
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([python, "-c", f"import bench.api as b; b.generate({count})"], cwd=ROOT, env=env, check=True)
    stamp.touch()


# Measuring


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(connection, path):
    connection.request("GET", path, headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    return body


def measure(port, path, seconds):
    """Requests per second and p95 (ms) of ``path``, one request at a time for ``seconds``.
    A ``{n}`` in ``path`` becomes the request's number, so each request asks something new."""
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    for i in range(3):
        fetch(connection, path.replace("{n}", f"w{i}"))
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        fetch(connection, path.replace("{n}", str(len(times))))
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    return len(times) / elapsed, p95 * 1000


def wait_for(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@contextlib.contextmanager
def serve(app, env):
    """Serve ``app`` (a WSGI path) with one sync gunicorn worker on a free port; yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command + ["--log-level", "warning"], cwd=ROOT, env=env)
    try:
        wait_for(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(seconds, count):
    env = environment()
    env["PORTAL_BENCH_SERVE"] = "1"
    with serve("bench.api:application", env) as port:
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        first = json.loads(fetch(connection, "/api/v1/records/?page_size=1"))["results"][0]["uuid"]
        query = urllib.parse.urlencode({"q": "multilingual refusal", "page_size": 20})
        cases = [
            ("records/ (page size 20)", "/api/v1/records/?page_size=20", "/bench/records/?page_size=20"),
            ("records/ (page size 100)", "/api/v1/records/?page_size=100", "/bench/records/?page_size=100"),
            ("records/{uuid}/", f"/api/v1/records/{first}/", f"/bench/records/{first}/"),
            ("search/", f"/api/v1/search/?{query}", f"/bench/search/?{query}"),
            ("changes/ (100 entries)", "/api/v1/changes/?page_size=100", "/bench/changes/?page_size=100"),
        ]
        rows = []
        for label, api, hand in cases:
            a, b = fetch(connection, api), fetch(connection, hand)
            # Cursors are signed with the time they were made: compare everything else.
            a, b = json.loads(a), json.loads(b)
            for data in (a, b):
                for key in ("next", "next_cursor"):
                    data.pop(key, None)
            if a != b:
                raise RuntimeError(f"{label}: the hand-written view does not answer the same JSON")
            api_rps, api_p95 = measure(port, api, seconds)
            hand_rps, hand_p95 = measure(port, hand, seconds)
            rows.append((label, api_rps, api_p95, hand_rps, hand_p95, api_rps / hand_rps))
            print(
                f"{label:28} API {api_rps:7.1f} req/s p95 {api_p95:6.1f} ms | hand-written {hand_rps:7.1f} req/s "
                f"p95 {hand_p95:6.1f} ms | ratio {api_rps / hand_rps:.2f}",
                flush=True,
            )
    return rows


def table(rows, seconds, count):
    lines = [
        f"Corpus: the curated dataset plus {count:,} generated records (SQLite, modelsearch database backend). "
        f"One gunicorn worker (sync), one client on the same machine, {seconds:g} s per row after a warm-up; "
        f"measured {datetime.date.today():%Y-%m-%d}.",
        "",
        "| endpoint | API req/s | API p95 (ms) | hand-written req/s | hand-written p95 (ms) | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, api_rps, api_p95, hand_rps, hand_p95, ratio in rows:
        lines.append(f"| {label} | {api_rps:.1f} | {api_p95:.1f} | {hand_rps:.1f} | {hand_p95:.1f} | {ratio:.2f} |")
    return "\n".join(lines)


def write_doc(text):
    content = (
        DOC.read_text() if DOC.exists() else "# Performance\n\n## API\n\n<!-- BENCH-API -->\n<!-- /BENCH-API -->\n"
    )
    block = f"<!-- BENCH-API -->\n{text}\n<!-- /BENCH-API -->"
    content = re.sub(r"<!-- BENCH-API -->.*?<!-- /BENCH-API -->", lambda _m: block, content, flags=re.S)
    DOC.write_text(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    prepare(args.records, args.rebuild)
    rows = run(args.seconds, args.records)
    text = table(rows, args.seconds, args.records)
    print(text)
    if not args.no_write:
        write_doc(text)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
