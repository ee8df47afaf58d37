"""Relevance benchmark of the portal's search (not a test): ``python bench/relevance.py``.

Runs every query of ``bench/relevance_judgments.yaml`` (graded by hand against ``data/curated``)
through the public search pipeline, ``portal.services.search.search`` over the records an
anonymous visitor may see, keeps the first page of ten results and the total, and prints for each
backend

* nDCG@10: graded gain 2^grade - 1, log2 discount, against the ideal order of the judgments;
* P@5: the share of the first five places holding a record graded 2 or 3;
* MRR: the mean of 1 / the rank of the first result graded 2 or 3 (0 when the first ten have none);
* recall@10: the share of the records graded 1 or more that are in the first ten;
* the number of queries that found nothing, and which;

and nDCG@10 by kind of query. The backends, all in one run:

* ``whoosh``: our backend (``portal.search.whoosh``) on SQLite;
* ``db-sqlite``: modelsearch's database backend on SQLite;
* ``db-postgres``: modelsearch's database backend on PostgreSQL, in the database that
  ``BENCH_POSTGRES_URL`` names (by default ``postgres://postgres@127.0.0.1:5432/portal_relevance``;
  it is dropped and created again on each build); skipped, with the reason, when the server cannot
  be reached.

Each backend's corpus lives in ``var/bench-relevance/<backend>/``: a fresh database holding the
curated dataset only (``manage.py migrate``, then ``manage.py load_demo`` with
``PORTAL_SAMPLE_DATA`` empty). It is built once and reused while its stamp holds: a hash of
``data/curated``, of the code that decides what is stored and indexed (``CORPUS_SOURCES``) and of
the modelsearch version. ``--rebuild`` builds it again regardless (do so after changing anything
else that shapes the stored records or the index). Django settings are per process,
so each backend's build and queries run in subprocesses with that backend's environment.

    python bench/relevance.py [--verbose] [--json PATH] [--only BACKEND] [--rebuild]

The figures are measurements to compare changes to the search by, not goals, and this module
asserts nothing about them; its metric functions are tested in
``tests/search_pipeline/test_relevance_metrics.py``.
"""

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402

WORK = ROOT / "var" / "bench-relevance"
JUDGMENTS = ROOT / "bench" / "relevance_judgments.yaml"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/portal_relevance")

#: Results read per query: the first page.
CUTOFF = 10
#: The lowest grade that counts as relevant for P@5 and MRR.
RELEVANT = 2
GRADES = (1, 2, 3)
KINDS = (
    "short",
    "long",
    "question",
    "typo",
    "word-form",
    "identifier",
    "hyphenated",
    "synonym",
    "provision",
    "other-language",
)
#: Besides the data, what decides the stored and indexed corpus (glob patterns under the project):
#: a change to any of these files builds the corpus again. Ranking code that runs at query time
#: (``portal/services``) is left out, so trying a ranking change needs no rebuild.
CORPUS_SOURCES = (
    "data/curated/**/*",
    "portal/settings/*.py",
    "portal/apps.py",
    "portal/models/*.py",
    "portal/search/**/*.py",
    "portal/exchange/**/*.py",
    "portal/migrations/*.py",
    "portal/management/commands/load_demo.py",
    "findings/**/*.py",
    "frameworks/**/*.py",
)


# Metrics: ``ranked`` is the record keys ("kind/slug") in result order, ``judged`` {key: grade}.


def gain(grade):
    """The gain of a result of ``grade``: 2^grade - 1 (0 for an unjudged record)."""
    return 2**grade - 1


def dcg(grades):
    """Discounted cumulative gain of ``grades`` in rank order: the sum of gain / log2(rank + 1)."""
    return sum(gain(grade) / math.log2(rank + 1) for rank, grade in enumerate(grades, start=1))


def ndcg(ranked, judged, k=CUTOFF):
    """nDCG@k: the DCG of the first k results over that of the judged records in their best
    order; 0 when nothing is judged."""
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    if not ideal:
        return 0.0
    return dcg([judged.get(key, 0) for key in ranked[:k]]) / ideal


def precision(ranked, judged, k=5):
    """P@k: the share of the first k places (filled or not) holding a record graded RELEVANT or more."""
    return sum(judged.get(key, 0) >= RELEVANT for key in ranked[:k]) / k


def reciprocal_rank(ranked, judged):
    """1 / the rank of the first result graded RELEVANT or more; 0 when there is none."""
    for rank, key in enumerate(ranked, start=1):
        if judged.get(key, 0) >= RELEVANT:
            return 1 / rank
    return 0.0


def recall(ranked, judged, k=CUTOFF):
    """recall@k: the share of the records graded 1 or more that are among the first k results."""
    wanted = {key for key, grade in judged.items() if grade >= 1}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


# Judgments


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    grades: dict  # {"kind/slug": grade}
    provisions: dict = field(default_factory=dict)  # {framework slug: provision code}


def load_judgments(path=JUDGMENTS):
    """The judged queries of ``path``, in the file's order. Raises ValueError on a query whose
    kind or grades are not in the file's scale, or on a query judged twice."""
    queries = []
    for item in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["queries"]:
        query = Query(
            text=str(item["query"]),
            kind=item["kind"],
            grades={str(key): value for key, value in item["grades"].items()},
            provisions={str(slug): str(code) for slug, code in (item.get("provisions") or {}).items()},
        )
        if query.kind not in KINDS:
            raise ValueError(f"{query.text!r}: unknown kind {query.kind!r}")
        if any(grade not in GRADES for grade in query.grades.values()):
            raise ValueError(f"{query.text!r}: grades are 1, 2 or 3")
        if any(other.text == query.text for other in queries):
            raise ValueError(f"{query.text!r} is judged twice")
        queries.append(query)
    return queries


# Backends and their corpora


@dataclass(frozen=True)
class Backend:
    name: str
    label: str
    search_backend: str
    database: str  # "sqlite" or "postgres"

    @property
    def work(self):
        return WORK / self.name


BACKENDS = (
    Backend("whoosh", "Whoosh (portal.search.whoosh) on SQLite", "portal.search.whoosh", "sqlite"),
    Backend("db-sqlite", "modelsearch database backend on SQLite", "modelsearch.backends.database", "sqlite"),
    Backend("db-postgres", "modelsearch database backend on PostgreSQL", "modelsearch.backends.database", "postgres"),
)


def environment(backend):
    """The environment of ``backend``'s subprocesses: the benchmarks' settings (``bench/corpus.py``,
    no sample records), this backend's search backend, database and index folder."""
    env = corpus.environment(backend.work)
    env.update(SEARCH_BACKEND=backend.search_backend, SEARCH_INDEX_PATH=str(backend.work / "search-index"))
    if backend.database == "postgres":
        env["DATABASE_URL"] = POSTGRES_URL
    return env


def _postgres_admin():
    """A connection to the PostgreSQL server's maintenance database, and the benchmark's database name."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(POSTGRES_URL)
    connection = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )
    return connection, config["NAME"]


def unavailable(backend):
    """Why ``backend`` cannot run on this machine, or None."""
    if backend.database != "postgres":
        return None
    try:
        connection, _ = _postgres_admin()
    except Exception as error:  # no driver, no server, refused: all mean the same here
        return f"PostgreSQL is not reachable ({POSTGRES_URL}): {str(error).strip() or type(error).__name__}"
    connection.close()
    return None


def _database_exists(backend):
    if backend.database == "sqlite":
        return (backend.work / "bench.sqlite3").exists()
    connection, name = _postgres_admin()
    with connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _recreate_postgres():
    connection, name = _postgres_admin()
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def corpus_stamp():
    """A hash of the files that ``CORPUS_SOURCES`` match (names and contents) and of the modelsearch version."""
    digest = hashlib.sha256(importlib.metadata.version("modelsearch").encode())
    files = {path for pattern in CORPUS_SOURCES for path in ROOT.glob(pattern) if path.is_file()}
    for file in sorted(files):
        if "__pycache__" not in file.parts:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()


def prepare(backend, stamp, rebuild=False):
    """Build ``backend``'s corpus unless one with ``stamp`` is there. Returns whether it built one."""
    stamp_file = backend.work / "corpus.stamp"
    if not rebuild and stamp_file.exists() and stamp_file.read_text() == stamp and _database_exists(backend):
        return False
    shutil.rmtree(backend.work, ignore_errors=True)
    backend.work.mkdir(parents=True)
    if backend.database == "postgres":
        _recreate_postgres()
    env = environment(backend)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    stamp_file.write_text(stamp)
    return True


# Running the queries


def worker(out):
    """Run in a subprocess with one backend's settings: search for every judged query as an
    anonymous visitor and write what each found (total, first page, messages) to ``out``."""
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser

    from portal.models import RecordPage
    from portal.services.search import search

    records = RecordPage.objects.visible_to(AnonymousUser())
    found = {}
    for query in load_judgments():
        outcome = search(records, query.text, page_size=CUTOFF)
        found[query.text] = {
            "total": outcome.total,
            "top": [f"{record.kind}/{record.slug}" for record in outcome.records],
            "message": outcome.message,
            "spelling": outcome.spelling,
        }
    Path(out).write_text(json.dumps({"records": records.count(), "found": found}, ensure_ascii=False, indent=1))


def run_queries(backend):
    """What every judged query found on ``backend``'s corpus: {"records": n, "found": {query: ...}}."""
    out = backend.work / "found.json"
    out.unlink(missing_ok=True)
    subprocess.run([sys.executable, __file__, "--worker", str(out)], cwd=ROOT, env=environment(backend), check=True)
    return json.loads(out.read_text())


def score(queries, found):
    """The figures of each query, given what each found: [{query, kind, ndcg, p5, rr, recall, total, top, …}]."""
    rows = []
    for query in queries:
        hit = found[query.text]
        ranked = hit["top"][:CUTOFF]
        rows.append(
            {
                "query": query.text,
                "kind": query.kind,
                "ndcg": ndcg(ranked, query.grades),
                "p5": precision(ranked, query.grades),
                "rr": reciprocal_rank(ranked, query.grades),
                "recall": recall(ranked, query.grades),
                "total": hit["total"],
                "top": [[key, query.grades.get(key, 0)] for key in ranked],
                "message": hit["message"],
                "spelling": hit["spelling"],
            }
        )
    return rows


def summarise(rows):
    """Means over the queries, the zero-hit queries and nDCG@10 by kind of query."""
    kinds = [kind for kind in KINDS if any(row["kind"] == kind for row in rows)]
    return {
        "ndcg@10": statistics.fmean(row["ndcg"] for row in rows),
        "p@5": statistics.fmean(row["p5"] for row in rows),
        "mrr": statistics.fmean(row["rr"] for row in rows),
        "recall@10": statistics.fmean(row["recall"] for row in rows),
        "zero_hits": [row["query"] for row in rows if row["total"] == 0],
        "ndcg@10_by_kind": {
            kind: statistics.fmean(row["ndcg"] for row in rows if row["kind"] == kind) for kind in kinds
        },
    }


# Report


def print_report(queries, results, skipped):
    counts = {kind: sum(query.kind == kind for query in queries) for kind in KINDS}
    print(
        f"\nSearch relevance: {len(queries)} judged queries ({JUDGMENTS.relative_to(ROOT)}), "
        f"first {CUTOFF} results of each, as an anonymous visitor; {datetime.date.today():%Y-%m-%d}.\n"
    )
    print(f"{'backend':12} {'records':>7} {'nDCG@10':>8} {'P@5':>6} {'MRR':>6} {'recall@10':>9} {'zero hits':>9}")
    for name, result in results.items():
        s = result["summary"]
        print(
            f"{name:12} {result['records']:7} {s['ndcg@10']:8.3f} {s['p@5']:6.3f} {s['mrr']:6.3f} "
            f"{s['recall@10']:9.3f} {len(s['zero_hits']):9}"
        )
    for name, reason in skipped.items():
        print(f"{name:12} skipped: {reason}")
    if not results:
        return
    print("\nnDCG@10 by kind of query")
    print(f"{'kind':15} {'queries':>7} " + " ".join(f"{name:>11}" for name in results))
    for kind in KINDS:
        if counts[kind]:
            figures = " ".join(f"{result['summary']['ndcg@10_by_kind'][kind]:11.3f}" for result in results.values())
            print(f"{kind:15} {counts[kind]:7} {figures}")
    print("\nQueries with no results")
    for name, result in results.items():
        zero = result["summary"]["zero_hits"]
        print(f"{name} ({len(zero)}): " + ("; ".join(zero) if zero else "none"))


def print_queries(name, rows):
    print(f"\n{name}: each query (nDCG@10, total results, kind, query; then the first five results and their grades)")
    for row in rows:
        note = f"  [{row['message']}]" if row["message"] else ""
        print(f"{row['ndcg']:5.2f} {row['total']:5} {row['kind']:14} {row['query']}{note}")
        top = ", ".join(f"{key.split('/', 1)[1]} ({grade})" for key, grade in row["top"][:5])
        print(f"{'':26}{top or '-'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="also print each query's figures and first results")
    parser.add_argument("--json", metavar="PATH", help="write every figure to PATH")
    parser.add_argument("--only", choices=[backend.name for backend in BACKENDS], help="run one backend")
    parser.add_argument("--rebuild", action="store_true", help="build the corpora again even if they are current")
    parser.add_argument("--worker", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    queries = load_judgments()
    stamp = corpus_stamp()
    results, skipped = {}, {}
    for backend in BACKENDS:
        if args.only and backend.name != args.only:
            continue
        reason = unavailable(backend)
        if reason:
            print(f"{backend.name}: skipped. {reason}", file=sys.stderr, flush=True)
            skipped[backend.name] = reason
            continue
        print(f"{backend.name}: preparing the corpus in {backend.work.relative_to(ROOT)}/", file=sys.stderr, flush=True)
        if prepare(backend, stamp, args.rebuild):
            print(f"{backend.name}: corpus built", file=sys.stderr, flush=True)
        print(f"{backend.name}: running {len(queries)} queries", file=sys.stderr, flush=True)
        ran = run_queries(backend)
        rows = score(queries, ran["found"])
        results[backend.name] = {
            "label": backend.label,
            "records": ran["records"],
            "summary": summarise(rows),
            "queries": rows,
        }
    print_report(queries, results, skipped)
    if args.verbose:
        for name, result in results.items():
            print_queries(name, result["queries"])
    if args.json:
        document = {
            "date": f"{datetime.date.today():%Y-%m-%d}",
            "judgments": str(JUDGMENTS.relative_to(ROOT)),
            "cutoff": CUTOFF,
            "relevant_grade": RELEVANT,
            "backends": results,
            "skipped": skipped,
        }
        Path(args.json).write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
