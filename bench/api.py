"""Benchmark of the API's record lists (not a test): ``python bench/api.py`` (``make bench-api``).

Builds the corpus once (``bench/corpus.py``: the curated dataset plus 10,000 generated records,
in ``var/bench-api/``), serves the portal with **one gunicorn worker** (``bench/serving.py``) and
measures, one client request at a time, requests per second and 95th-percentile latency of each
record list at page size 20 and 100, a record's detail and the change feed, each against its
ceiling: a bare Django view that answers the same JSON for the same page from the same stored
representations (``bench/api_ceiling.py``). Before timing, it checks that both answer the same
JSON (the same fields with the same values). Each pair is timed in ``--rounds`` rounds, API and
ceiling back to back, and the table shows the median of the rounds.

    python bench/api.py [--seconds 5] [--rounds 3] [--records 10000] [--rebuild] [--no-write]

It prints the table and writes it into docs/performance.md between the BENCH-API markers. The goal
(docs/performance.md): every list at least half the requests per second of its ceiling.
"""

import argparse
import datetime
import json
import re
import statistics
import sys
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import ROOT, environment, prepare  # noqa: E402
from bench.serving import fetch, measure, serve  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
LISTS = ("records", "frameworks", "findings", "lessons")


def cases(connection):
    """(label, API path, ceiling path) for every list at page size 20 and 100, a detail and the feed."""
    found = []
    for name in LISTS:
        for size in (20, 100):
            query = f"{name}/?page_size={size}"
            found.append((f"{name}/ (page size {size})", f"/api/v1/{query}", f"/bench/{query}"))
    first = json.loads(fetch(connection, "/api/v1/records/?page_size=1"))["results"][0]["uuid"]
    found.append(("records/{uuid}/", f"/api/v1/records/{first}/", f"/bench/records/{first}/"))
    found.append(("changes/ (100 entries)", "/api/v1/changes/?page_size=100", "/bench/changes/?page_size=100"))
    return found


def same_answer(label, api, ceiling):
    # The change feed's cursor holds the time of the answer: compare everything else.
    a, b = json.loads(api), json.loads(ceiling)
    if "next_cursor" in a:
        for data in (a, b):
            data.pop("next", None)
            data.pop("next_cursor", None)
    if a != b:
        raise RuntimeError(f"{label}: the ceiling view does not answer the same JSON as the API")


def run(seconds, rounds):
    env = environment()
    with serve("bench.api_ceiling:application", env) as port:
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        rows = []
        for label, api, ceiling in cases(connection):
            same_answer(label, fetch(connection, api), fetch(connection, ceiling))
            api_runs, ceiling_runs = [], []
            for _ in range(rounds):
                api_runs.append(measure(port, api, seconds))
                ceiling_runs.append(measure(port, ceiling, seconds))
            api_rps = statistics.median(r for r, _ in api_runs)
            api_p95 = statistics.median(p for _, p in api_runs)
            top_rps = statistics.median(r for r, _ in ceiling_runs)
            top_p95 = statistics.median(p for _, p in ceiling_runs)
            ratios = [a / c for (a, _), (c, _) in zip(api_runs, ceiling_runs, strict=True)]
            rows.append((label, api_rps, api_p95, top_rps, top_p95, min(ratios), max(ratios)))
            print(
                f"{label:28} API {api_rps:7.1f} req/s p95 {api_p95:6.1f} ms | ceiling {top_rps:7.1f} req/s "
                f"p95 {top_p95:6.1f} ms | ratio {api_rps / top_rps:.2f} (rounds {min(ratios):.2f}–{max(ratios):.2f})",
                flush=True,
            )
    return rows


def table(rows, seconds, rounds, count):
    lines = [
        f"Corpus: the curated dataset plus {count:,} generated records (SQLite, modelsearch database backend), "
        f"every representation stored. One gunicorn worker (sync), one client on the same machine; "
        f"{rounds} rounds of {seconds:g} s per row after a warm-up, API and ceiling back to back; the medians; "
        f"measured {datetime.date.today():%Y-%m-%d}.",
        "",
        "| endpoint | API req/s | API p95 (ms) | ceiling req/s | ceiling p95 (ms) | ratio | ratio by round |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, api_rps, api_p95, top_rps, top_p95, low, high in rows:
        lines.append(
            f"| {label} | {api_rps:.1f} | {api_p95:.1f} | {top_rps:.1f} | {top_p95:.1f} | "
            f"{api_rps / top_rps:.2f} | {low:.2f}–{high:.2f} |"
        )
    return "\n".join(lines)


def write_doc(text):
    content = DOC.read_text()
    block = f"<!-- BENCH-API -->\n{text}\n<!-- /BENCH-API -->"
    DOC.write_text(re.sub(r"<!-- BENCH-API -->.*?<!-- /BENCH-API -->", lambda _m: block, content, flags=re.S))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    prepare(args.records, args.rebuild)
    rows = run(args.seconds, args.rounds)
    text = table(rows, args.seconds, args.rounds, args.records)
    print(text)
    if not args.no_write:
        write_doc(text)


if __name__ == "__main__":
    main()
