"""The benchmarks' corpus: the curated dataset plus generated records, in a SQLite database.

``prepare`` builds it once in ``var/bench-api/`` (``bench/web.py``: ``var/bench-web/``, with the
Whoosh index; ``--rebuild`` makes it again): the curated
dataset (``load_demo``), then ``count`` generated records (findings and lessons with terms,
bodies and links; frameworks with provisions), indexed for search, logged in the change feed and
with their stored API representations (``manage.py build_representations``, the documented call
for records written without publishing).
"""

import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-api"
SEED = 20261127
VERSION = "5"  # bump when the generated corpus changes


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
    # Provisions are searched as documents of their own.
    provision_ids = list(provision_model.objects.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(provision_ids), 2000):
        chunk = provision_model.objects.filter(pk__in=provision_ids[i : i + 2000])
        backend.add_bulk(provision_model, list(chunk))


def prepare(count, rebuild, work=WORK, env=None):
    """Build the corpus of ``count`` generated records in ``work`` (with ``env``, by default
    ``environment(work)``), unless a corpus of this version and size is there already."""
    stamp = work / f"corpus-{VERSION}-{count}"
    if stamp.exists() and not rebuild:
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = env or environment(work)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([python, "-c", f"import bench.corpus as b; b.generate({count})"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "build_representations"], cwd=ROOT, env=env, check=True)
    stamp.touch()
