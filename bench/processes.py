"""Pages under load from one tracker process, then from two on the same PostgreSQL database.

Two `kursk-tracker serve` processes (one worker each, as two app servers behind a proxy)
share one database; each keeps its own caches, keyed on the content revision stored there.
The same total load (16 connections) goes to one process, then half to each of two at once;
requests per second are added up, latencies are the worse of the two. bench/run.py runs this
with `--pg-url`; on its own it writes its section into bench/RESULTS.md between markers:

    .venv/bin/python bench/processes.py --pg-url URL [--quick]

where URL names a PostgreSQL server, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from contextlib import ExitStack
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import HOT_SPOT  # noqa: E402
from bench.run import (  # noqa: E402
    CONNECTIONS,
    FULL,
    QUICK,
    Load,
    Sizes,
    fmt,
    load,
    prepare_postgres,
    publish_section,
    tracker,
    wait_for,
)

BEGIN, END = "<!-- processes: begin -->", "<!-- processes: end -->"
PAGES = [
    ("/healthz (a database read and a write check)", "/healthz", True),
    ("/ dashboard", "/", True),
    (f"/settlements/{HOT_SPOT} (1,000 claims)", f"/settlements/{HOT_SPOT}", True),
    ("/ dashboard, no page cache", "/", False),
]


def _at_once(bases: list[str], name: str, path: str, seconds: float) -> Load:
    """Load every server at once, CONNECTIONS split between them; the sum of their req/s."""
    each = CONNECTIONS // len(bases)
    results: list[Load] = []

    def load_one(base: str) -> None:
        results.append(load(name, base + path, seconds, connections=each))

    threads = [threading.Thread(target=load_one, args=(base,)) for base in bases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Load(name, path)
    total.rps = sum(r.rps or 0 for r in results)
    total.p50 = max(r.p50 or 0 for r in results)
    total.p95 = max(r.p95 or 0 for r in results)
    total.p99 = max(r.p99 or 0 for r in results)
    total.errors = sum(r.errors for r in results)
    return total


def measure(pg_url: str, seconds: float) -> dict[str, dict[int, Load]]:
    figures: dict[str, dict[int, Load]] = {name: {} for name, _, _ in PAGES}
    for page_cache in (True, False):
        pages = [(name, path) for name, path, cached in PAGES if cached == page_cache]
        for count in (1, 2):
            with ExitStack() as stack:
                bases = [
                    stack.enter_context(tracker(pg_url, page_cache=page_cache))[0]
                    for _ in range(count)
                ]
                for base in bases:
                    wait_for(f"{base}/", timeout=600)  # each process derives its own history
                for name, path in pages:
                    for base in bases:
                        wait_for(base + path, timeout=600)  # warm
                    figures[name][count] = _at_once(bases, name, path, seconds)
                    print(name, count, fmt(figures[name][count].rps, 0), flush=True)
    return figures


def processes_section(pg_url: str, sizes: Sizes) -> list[str]:
    load_before = os.getloadavg()[0]
    figures = measure(pg_url, sizes.seconds)
    load_after = os.getloadavg()[0]
    lines = [
        BEGIN,
        "## One process or two on one PostgreSQL database\n",
        f"{sizes.settlements:,} settlements, {sizes.claims:,} claims on PostgreSQL, "
        f"{date.today().isoformat()}, {os.cpu_count()} cores shared by the servers, PostgreSQL "
        f"and the load generator. {CONNECTIONS} connections for {sizes.seconds:.0f} s per page: "
        f"all to one tracker process, or {CONNECTIONS // 2} to each of two processes (one "
        "worker each) at once, their requests per second added up and the worse latencies "
        f"shown. The machine's load average was {load_before:.1f} before and "
        f"{load_after:.1f} after: on a shared machine, compare the two columns of one run, "
        "not runs with each other.\n",
        "| page | one process: req/s · p50 · p95 · p99 (ms) "
        "| two processes: req/s · p50 · p95 · p99 (ms) | two / one |",
        "|---|---|---|---|",
    ]
    for name, by_count in figures.items():
        cells = []
        for count in (1, 2):
            r = by_count[count]
            cell = f"{fmt(r.rps, 0)} · {fmt(r.p50)} · {fmt(r.p95)} · {fmt(r.p99)}"
            cells.append(cell + (f" ({r.errors} errors)" if r.errors else ""))
        ratio = (by_count[2].rps or 0) / max(by_count[1].rps or 1e-9, 1e-9)
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {ratio:.2f}× |")
    lines.append(END)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short loads")
    parser.add_argument("--pg-url", default=os.environ.get("KT_BENCH_PG_URL", ""), required=False)
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    if not args.pg_url:
        parser.error("--pg-url (or KT_BENCH_PG_URL) names the PostgreSQL server to use")
    sizes = QUICK if args.quick else FULL
    section = "\n".join(processes_section(prepare_postgres(args.pg_url, sizes), sizes))
    publish_section(section, args.output, BEGIN, END, print_only=args.print)


if __name__ == "__main__":
    main()
