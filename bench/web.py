"""Benchmark of the web pages (not a test): ``python bench/web.py``.

Uses a SQLite database with the curated dataset plus 10,000 generated records (``bench/corpus.py``,
as for ``bench/api.py``), indexed with the portal's default search backend (Whoosh), kept in
``var/bench-web/`` (``--rebuild`` makes it again). Serves the portal with one gunicorn worker and
measures, one client request at a time for ``--seconds`` each, requests per second and the
95th-percentile latency (once as the portal runs, with its cache, and once with caching off) of
the home page, a framework page, a finding page, a lesson page, an
index page with a facet filter, and a faceted search. Prints a table and writes it into
docs/performance.md between the BENCH-WEB markers.

    python bench/web.py [--seconds 10] [--records 10000] [--rebuild]

Goals on this machine with one worker: p95 under 100 ms for record pages and under 150 ms for
faceted search.
"""

import argparse
import datetime
import re
import sys
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.serving import fetch, measure, serve  # noqa: E402

WORK = ROOT / "var" / "bench-web"
DOC = ROOT / "docs" / "performance.md"
GOALS = {"record": 100, "search": 150}


def environment():
    env = corpus.environment(WORK)
    env.update(SEARCH_BACKEND="portal.search.whoosh", SEARCH_INDEX_PATH=str(WORK / "search-index"))
    return env


CASES = [
    ("home page", "/", "record"),
    ("framework page (NIST AI RMF, 95 provisions)", "/frameworks/nist-ai-rmf-1-0/", "record"),
    ("finding page", "/findings/greshake-2023-indirect-prompt-injection/", "record"),
    ("lesson page", "/lessons/air-canada-chatbot-bereavement-fare-2024/", "record"),
    ("findings index, one facet", "/findings/?topic=privacy-and-security", "search"),
    ("faceted search", "/search/?q=model+safety&sector=finance&kind=finding", "search"),
    # A word found nowhere, new on each request: the same matches, never from the cache.
    ("faceted search, a new query each time", "/search/?q=model+safety+zq{n}&sector=finance&kind=finding", "search"),
    ("search, browse with facets", "/search/?topic=privacy-and-security", "search"),
    # A misspelt word: searched as the closest word of the visitor's records ("jailbreak").
    ("search with a misspelt word", "/search/?q=jailbrake+attacks", "search"),
]


def run(seconds, only="", cache_seconds=None):
    """[(label, path, req/s, p95 ms, goal ms)] of the cases whose label contains ``only``;
    ``cache_seconds`` sets PORTAL_CACHE_SECONDS for the server (0: no caching)."""
    env = environment()
    if cache_seconds is not None:
        env["PORTAL_CACHE_SECONDS"] = str(cache_seconds)
    rows = []
    cases = [case for case in CASES if only in case[0]]
    with serve("portal.wsgi:application", env) as port:
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        for label, path, goal in cases:
            fetch(connection, path.replace("{n}", "first"))  # fails loudly on anything but 200
            rps, p95 = measure(port, path, seconds)
            rows.append((label, path, rps, p95, GOALS[goal]))
            print(f"{label:45} {rps:7.1f} req/s  p95 {p95:6.1f} ms (goal {GOALS[goal]} ms)", flush=True)
    return rows


def table(cached, uncached, seconds, count):
    lines = [
        f"Corpus: the curated dataset plus {count:,} generated records (SQLite, Whoosh search index). "
        f"One gunicorn worker (sync), one client on the same machine, {seconds:g} s per row after a warm-up; "
        f'measured {datetime.date.today():%Y-%m-%d}. "cached": the portal as it runs (PORTAL_CACHE_SECONDS '
        '300, the same request repeated, so its cached parts are reused); "no cache": PORTAL_CACHE_SECONDS=0, '
        "everything computed on every request.",
        "",
        "| page | URL | cached req/s | cached p95 (ms) | no cache req/s | no cache p95 (ms) | goal p95 (ms) "
        "| met (cached / no cache) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for (label, path, rps, p95, goal), (_, _, cold_rps, cold_p95, _) in zip(cached, uncached, strict=True):
        met = f"{'yes' if p95 < goal else 'no'} / {'yes' if cold_p95 < goal else 'no'}"
        lines.append(
            f"| {label} | `{path}` | {rps:.1f} | {p95:.1f} | {cold_rps:.1f} | {cold_p95:.1f} | {goal} | {met} |"
        )
    return "\n".join(lines)


def write_doc(text):
    content = DOC.read_text() if DOC.exists() else "# Performance\n"
    if "<!-- BENCH-WEB -->" not in content:
        content += (
            "\n## Web\n\n`bench/web.py` measures the public pages under one gunicorn worker:\n\n"
            "```sh\n.venv/bin/python bench/web.py            # builds var/bench-web/ once, then measures\n```\n\n"
            "<!-- BENCH-WEB -->\n<!-- /BENCH-WEB -->\n"
        )
    block = f"<!-- BENCH-WEB -->\n{text}\n<!-- /BENCH-WEB -->"
    DOC.write_text(re.sub(r"<!-- BENCH-WEB -->.*?<!-- /BENCH-WEB -->", lambda _m: block, content, flags=re.S))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this text")
    args = parser.parse_args()
    corpus.prepare(args.records, args.rebuild, WORK, environment())
    cached = run(args.seconds, args.only)
    uncached = run(args.seconds, args.only, cache_seconds=0)
    text = table(cached, uncached, args.seconds, args.records)
    print(text)
    if not args.no_write and not args.only:
        write_doc(text)


if __name__ == "__main__":
    main()
