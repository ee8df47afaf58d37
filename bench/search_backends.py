"""Benchmark of the search backends (not a test): ``make bench-search``.

For each corpus size N (default 10k, 50k, 100k synthetic books from a fixed seed, with a title,
a summary, authors, a date and a page count) and each configuration

* ``whoosh``: our backend (``portal.search.whoosh``) on SQLite,
* ``db-sqlite``: modelsearch's database backend on SQLite (FTS5),
* ``db-postgres``: modelsearch's database backend on PostgreSQL (needs DATABASE_URL or a local
  server at 127.0.0.1:5432 with user postgres),

a fresh worker process builds the corpus, rebuilds the index with the keyset-paged rebuild the
management command uses, and runs a fixed mix of 200 queries through the modelsearch API (one
word, two words AND, phrase, filtered, faceted, ordered by a field, autocomplete), each fetching
its first page of 10 results and its count, then a fixed list of hostile query texts. It prints
one table and writes it into docs/search-backend.md between the BENCH markers.

    python bench/search_backends.py [--sizes 10000,50000,100000] [--configs whoosh,db-sqlite,db-postgres]
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "search-backend.md"
SEED = 20260127
QUERY_TYPES = ["one word", "two words AND", "phrase", "filtered", "faceted", "ordered", "autocomplete"]
HOSTILE = [
    "*",
    "ka*",
    '"unbalanced',
    "((((",
    ")))",
    "AND",
    "OR NOT",
    "title:secret",
    "a" * 100_000,
    "(" * 1000 + "x" + ")" * 1000,
    "\x00\x01\x02 null bytes",
    "安全 safety 안전 ความปลอดภัย",
    "~fuzzy~2 ^boost [range TO x]",
    "-" * 5000,
]


# Corpus


def _vocabulary(rng, size=6000):
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "gri", "sto", "bel", "dar", "fen"]
    english = (
        "model safety risk governance evaluation audit incident framework control policy system data "
        "security privacy testing robustness fairness bias transparency accountability oversight "
        "monitoring deployment training language vision agent alignment red team benchmark report"
    ).split()
    words = set(english)
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _zipf_sampler(rng, words):
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]
    order = words[:]
    rng.shuffle(order)

    def sample(k):
        return rng.choices(order, weights=weights, k=k)

    return sample


def build_corpus(n):
    import datetime

    from modelsearch.test.testapp.models import Author, Book

    rng = random.Random(SEED)
    words = _vocabulary(rng)
    sample = _zipf_sampler(rng, words)
    authors = Author.objects.bulk_create(
        [Author(name=" ".join(w.title() for w in sample(2))) for _ in range(max(n // 10, 10))]
    )
    books = []
    for _ in range(n):
        books.append(
            Book(
                title=" ".join(sample(rng.randint(3, 8))).capitalize(),
                summary=" ".join(sample(rng.randint(30, 80))),
                publication_date=datetime.date(1990, 1, 1) + datetime.timedelta(days=rng.randint(0, 12000)),
                number_of_pages=rng.choice(range(100, 1100, 50)),
            )
        )
    created = []
    for start in range(0, n, 5000):
        created.extend(Book.objects.bulk_create(books[start : start + 5000]))
    through = Book.authors.through
    links = []
    for book in created:
        for author in rng.sample(authors, rng.randint(1, 2)):
            links.append(through(book_id=book.pk, author_id=author.pk))
    through.objects.bulk_create(links, batch_size=5000)
    return rng, sample, words


def query_mix(rng, sample, words):
    """200 queries: (type, callable(backend) -> result list)."""
    import datetime

    from modelsearch.query import Phrase, PlainText
    from modelsearch.test.testapp.models import Book

    titles = list(Book.objects.order_by("?").values_list("title", flat=True)[:100])
    mix = []
    for i in range(200):
        kind = QUERY_TYPES[i % len(QUERY_TYPES)]
        word = sample(1)[0]
        if kind == "one word":
            mix.append((kind, lambda b, w=word: _page(b.search(w, Book))))
        elif kind == "two words AND":
            two = " ".join(sample(2))
            mix.append((kind, lambda b, q=two: _page(b.search(PlainText(q, operator="and"), Book))))
        elif kind == "phrase":
            parts = rng.choice(titles).lower().split()
            start = rng.randint(0, max(len(parts) - 2, 0))
            phrase = " ".join(parts[start : start + 2])
            mix.append((kind, lambda b, q=phrase: _page(b.search(Phrase(q), Book))))
        elif kind == "filtered":
            pages = rng.choice(range(100, 1100, 50))
            since = datetime.date(1990, 1, 1) + datetime.timedelta(days=rng.randint(0, 8000))
            qs = Book.objects.filter(number_of_pages__gte=pages, publication_date__gte=since)
            mix.append((kind, lambda b, w=word, qs=qs: _page(b.search(w, qs))))
        elif kind == "faceted":
            mix.append((kind, lambda b, w=word: dict(b.search(w, Book).facet("number_of_pages"))))
        elif kind == "ordered":
            qs = Book.objects.order_by("-publication_date")
            mix.append((kind, lambda b, w=word, qs=qs: _page(b.search(w, qs, order_by_relevance=False))))
        else:
            prefix = rng.choice([w for w in words if len(w) >= 5])[: rng.randint(3, 5)]
            mix.append((kind, lambda b, p=prefix: _page(b.autocomplete(p, Book))))
    return mix


def _page(results):
    return list(results[:10]), results.count()


# Worker: one configuration, one size, in its own process


def _settings(config, workdir):
    import dj_database_url

    if config == "db-postgres":
        url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench"
        )
        if not url.startswith("postgres"):
            url = "postgres://postgres@127.0.0.1:5432/portal_bench"
    else:
        url = f"sqlite:///{workdir}/bench.sqlite3"
    database = dj_database_url.parse(url)
    apps = [
        "modelsearch.test.testapp",
        "modelsearch",
        "taggit",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]
    if database["ENGINE"].endswith("postgresql"):
        apps.append("django.contrib.postgres")
    backend = "portal.search.whoosh" if config == "whoosh" else "modelsearch.backends.database"
    return dict(
        INSTALLED_APPS=apps,
        DATABASES={"default": database},
        MODELSEARCH_BACKENDS={"default": {"BACKEND": backend, "PATH": str(Path(workdir) / "index")}},
        USE_TZ=True,
        SECRET_KEY="bench",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
    )


def _index_size(config, workdir):
    from django.db import connection

    if config == "whoosh":
        return sum(p.stat().st_size for p in (Path(workdir) / "index").rglob("*") if p.is_file())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "WHERE c.relname LIKE 'modelsearch_%' AND c.relkind = 'r'"
            )
            return int(cursor.fetchone()[0] or 0)
        try:
            cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'modelsearch_%'")
            return int(cursor.fetchone()[0] or 0)
        except Exception:
            return 0


def worker(config, n):
    workdir = tempfile.mkdtemp(prefix=f"bench-{config}-")
    try:
        import django
        from django.conf import settings

        settings.configure(**_settings(config, workdir))
        django.setup()
        from django.core.management import call_command
        from django.db import connection

        if connection.vendor == "postgresql":
            _reset_postgres(settings.DATABASES["default"])
        call_command("migrate", verbosity=0, run_syncdb=True)
        if connection.vendor == "postgresql":
            call_command("migrate", "modelsearch", verbosity=0)
        from modelsearch.backends import get_search_backend

        from portal.search.rebuild import rebuild_backend

        rng, sample, words = build_corpus(n)
        backend = get_search_backend("default")
        started = time.perf_counter()
        counts = rebuild_backend(backend, out=None, chunk_size=1000)
        elapsed = time.perf_counter() - started
        indexed = sum(counts.values())
        size = _index_size(config, workdir)

        mix = query_mix(rng, sample, words)
        for _kind, run in mix[:14]:  # warm caches once, as a running server would be
            run(backend)
        timings = {kind: [] for kind in QUERY_TYPES}
        for kind, run in mix:
            started_q = time.perf_counter()
            run(backend)
            timings[kind].append((time.perf_counter() - started_q) * 1000)
        hostile, hostile_errors = [], set()
        from django.db import transaction

        from modelsearch.test.testapp.models import Book

        for text in HOSTILE * 5:
            started_q = time.perf_counter()
            try:
                with transaction.atomic():  # an error must not break the connection for the next query
                    _page(backend.search(text, Book))
            except Exception as error:  # a backend that fails on hostile text is a finding, not a crash
                hostile_errors.add(f"{type(error).__name__} on {text[:12]!r}")
            hostile.append((time.perf_counter() - started_q) * 1000)
        result = {
            "config": config,
            "n": n,
            "docs_per_s": indexed / elapsed if elapsed else 0,
            "indexed": indexed,
            "size_mb": size / 1e6,
            "latency": {k: _percentiles(v) for k, v in timings.items()},
            "hostile_p99": _percentile(hostile, 99),
            "hostile_errors": sorted(hostile_errors),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        print("RESULT " + json.dumps(result))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _reset_postgres(database):
    import psycopg

    name = database["NAME"]
    from django.db import connection

    connection.close()
    admin = psycopg.connect(
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        user=database.get("USER") or "postgres",
        password=database.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _percentiles(values):
    return {"p50": statistics.median(values), "p95": _percentile(values, 95)}


# Driver


def table(results):
    head = ["backend", "N", "index docs/s", "index MB", "peak MB"]
    head += [f"{kind} p50/p95 ms" for kind in QUERY_TYPES] + ["hostile p99 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r["config"], f"{r['n']:,}", f"{r['docs_per_s']:,.0f}", f"{r['size_mb']:.1f}", f"{r['peak_mb']:.0f}"]
        cells += [f"{r['latency'][k]['p50']:.1f} / {r['latency'][k]['p95']:.1f}" for k in QUERY_TYPES]
        errors = r.get("hostile_errors") or []
        cells.append(f"{r['hostile_p99']:.1f}" + (f" ({len(errors)} raised)" if errors else ""))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        f"* {r['config']} N={r['n']:,}: {'; '.join(r['hostile_errors'])}" for r in results if r.get("hostile_errors")
    ]
    if notes:
        lines += ["", "Hostile query texts that raised an exception:", *notes]
    return "\n".join(lines)


def record(text, sizes, configs):
    stamp = time.strftime("%Y-%m-%d")
    block = (
        f"<!-- BENCH:START -->\nMeasured {stamp} on this 2-core machine with `make bench-search` "
        f"(sizes {', '.join(f'{s:,}' for s in sizes)}; {', '.join(configs)}).\n\n{text}\n<!-- BENCH:END -->"
    )
    if DOC.exists():
        current = DOC.read_text()
        if "<!-- BENCH:START -->" in current:
            current = re.sub(r"<!-- BENCH:START -->.*<!-- BENCH:END -->", lambda _m: block, current, flags=re.S)
            DOC.write_text(current)
            return
    print("docs/search-backend.md has no BENCH markers; table not recorded", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--configs", default="whoosh,db-sqlite,db-postgres")
    parser.add_argument("--no-record", action="store_true", help="print the table only")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per configuration and size")
    parser.add_argument("--worker", nargs=2, metavar=("CONFIG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    configs = args.configs.split(",")
    results = []
    for n in sizes:
        for config in configs:
            print(f"bench: {config} N={n:,} ...", file=sys.stderr, flush=True)
            try:
                proc = subprocess.run(
                    [sys.executable, __file__, "--worker", config, str(n)],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    timeout=args.timeout,
                )
            except subprocess.TimeoutExpired:
                print(f"bench: {config} N={n} gave up after {args.timeout} s", file=sys.stderr)
                continue
            lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            if proc.returncode or not lines:
                print(f"bench: {config} N={n} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
                continue
            results.append(json.loads(lines[-1][len("RESULT ") :]))
            print(table(results[-1:]).splitlines()[2], file=sys.stderr, flush=True)
    text = table(results)
    print(text)
    if not args.no_record:
        record(text, sizes, configs)


if __name__ == "__main__":
    main()
