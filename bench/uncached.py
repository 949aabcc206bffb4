"""Uncached renders: what every request costs when nothing rendered is kept (an editor's view).

Starts the tracker on the benchmark's dataset with the page cache off, one worker, several
times (``--runs``), and in each run:

1. asks ``/`` once (in-process derived data warm), then dashboards "as reported then" for
   (as_of, known_on) pairs no request asked for before: wall and server CPU seconds of each
   (the first such request of a process is timed on its own); then submits one claim (a
   write: pending, so no status changes; taken out again at the end of the run) and asks
   the same dashboards again: each is the first request for its pair after the write;
2. loads each uncached page with wrk (16 connections) after one warm request: requests per
   second, p50 and p95, and the server's CPU milliseconds per request (its CPU time over the
   load divided by the requests answered: on a shared machine this says more than req/s).

Prints the median of the runs per figure, and writes its section into bench/RESULTS.md
between markers unless ``--print``.

    .venv/bin/python bench/uncached.py [--runs 3] [--seconds 8] [--print]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cold_start import UNCACHED, cpu_seconds, met, timed_cpu  # noqa: E402
from bench.run import FULL, dataset, load, tracker, write_section  # noqa: E402

BEGIN, END = "<!-- uncached: begin -->", "<!-- uncached: end -->"
# The uncached pages and their targets (the CSV export aside: it is no page).
PAGES = [page for page in UNCACHED if not page[1].startswith("/export/")]
# The first "as reported then" request of a process.
FIRST_REPORTED = ("2025-01-10", "2025-01-10")
# For comparison, no target: what a page costs before any list (the method page: the date
# control, the header, the words), and the settlement page of the settlement with the fewest
# claims (its page less the 1,000 claims).
FLOOR_PAGE = ("/about/method (no list)", "/about/method")


PAIRS = [
    ("2024-10-27", "2024-10-27"),
    ("2025-05-15", "2025-05-15"),
    ("2025-06-01", "2025-05-20"),
    ("2025-09-01", "2025-08-01"),
]


def dashboard_query(as_of: str, known_on: str) -> str:
    return f"/?as_of={as_of}&known_on={known_on}"


def submit_a_claim(url: str) -> int:
    """One write, as an editor's submission makes it (its own process's session); the id."""
    from sqlalchemy import select

    from app import models as _all_models  # noqa: F401  (the freshness events)
    from app.claims import service as claims_service
    from app.claims.schemas import ClaimIn
    from app.db import Database
    from app.settlements.models import Settlement
    from app.sources.models import Source

    database = Database(url)
    with database.writing() as session:
        settlement = session.scalars(select(Settlement).order_by(Settlement.id)).first()
        source = session.scalars(select(Source).order_by(Source.id)).first()
        assert settlement is not None and source is not None
        data = ClaimIn(
            settlement=settlement.slug,
            status="contested",
            as_of=date(2025, 3, 1),
            source=source.slug,
            source_url="https://example.org/bench-write",
            summary="A write by bench/uncached.py.",
        )
        claim = claims_service.add(session, data, settlement=settlement, source=source)
        session.flush()
        claim_id = claim.id
    database.dispose()
    return claim_id


def take_out(url: str, claim_id: int) -> None:
    """The bench's claim deleted again: the benchmark's file stays as generated."""
    from app import models as _all_models  # noqa: F401  (the freshness events)
    from app.claims.models import Claim
    from app.db import Database

    database = Database(url)
    with database.writing() as session:
        claim = session.get(Claim, claim_id)
        if claim is not None:
            session.delete(claim)
    database.dispose()


def quietest_settlement(url: str) -> tuple[str, str]:
    """The settlement page of the settlement with the fewest approved claims: (name, path)."""
    from sqlalchemy import func, select

    from app.claims.models import Claim
    from app.db import Database
    from app.domain import ReviewState
    from app.settlements.models import Settlement

    database = Database(url)
    with database.read_session() as session:
        slug, count = session.execute(
            select(Settlement.slug, func.count(Claim.id))
            .join(Claim, Claim.settlement_id == Settlement.id)
            .where(Claim.review_state == ReviewState.approved)
            .group_by(Settlement.id)
            .order_by(func.count(Claim.id), Settlement.id)
            .limit(1)
        ).one()
    database.dispose()
    return f"/settlements/{slug} ({count} claims)", f"/settlements/{slug}"


def compared_pages(url: str) -> list[tuple[str, str]]:
    return [FLOOR_PAGE, quietest_settlement(url)]


def one_run(url: str, seconds: float) -> dict[str, tuple[float, ...]]:
    figures: dict[str, tuple[float, ...]] = {}
    with tracker(url, page_cache=False) as (base, proc):
        timed_cpu(base + "/", proc.pid)

        def time_reported_pairs(suffix: str) -> None:
            for label, (as_of, known_on) in reported_pairs():
                figures[label + suffix] = timed_cpu(
                    base + dashboard_query(as_of, known_on), proc.pid
                )

        time_reported_pairs("")
        written = submit_a_claim(url)
        try:
            time_reported_pairs(" after a write")
        finally:
            take_out(url, written)
        pages = [(name, page) for name, page, _target in PAGES] + compared_pages(url)
        for name, page in pages:
            with urllib.request.urlopen(base + page, timeout=600) as response:
                response.read()
            before = cpu_seconds(proc.pid)
            result = load(name, base + page, seconds)
            cpu = cpu_seconds(proc.pid) - before
            requests = (result.rps or 0) * seconds
            figures[page] = (
                result.rps or 0.0,
                result.p50 or 0.0,
                result.p95 or 0.0,
                1000 * cpu / requests if requests else 0.0,
            )
            print(f"  {name}: {figures[page]}", flush=True)
    return figures


def reported_pairs() -> list[tuple[str, tuple[str, str]]]:
    return [("first reported", FIRST_REPORTED)] + [(f"pair {a} {k}", (a, k)) for a, k in PAIRS]


def median_of(runs: list[dict[str, tuple[float, ...]]], key: str) -> tuple[float, ...]:
    return tuple(statistics.median(run[key][i] for run in runs) for i in range(len(runs[0][key])))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--label", default="", help="what code this is (printed)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    path = dataset(args.work, FULL.settlements, FULL.claims)
    url = f"sqlite:///{path}"
    loads = [load_average()]
    runs = []
    for i in range(args.runs):
        print(f"run {i + 1} of {args.runs} (load average {load_average()})", flush=True)
        runs.append(one_run(url, args.seconds))
        loads.append(load_average())
    lines = [
        BEGIN,
        "## Uncached renders, measured\n",
        f"{FULL.settlements:,} settlements, {FULL.claims:,} claims, SQLite, page cache off, one "
        f"worker, {date.today().isoformat()}{', ' + args.label if args.label else ''}. Median "
        f"of {args.runs} runs (a fresh server each); wrk with 16 connections for "
        f"{args.seconds:.0f} s per page. Load average (1, 5, 15 min) at each run's start and "
        f"at the end: {'; '.join(loads)}. `bench/uncached.py`.\n",
        "| uncached page | req/s | p50 ms | p95 ms | server CPU ms per request | target |",
        "|---|---|---|---|---|---|",
    ]
    for name, page, target in PAGES:
        rps, p50, p95, cpu = median_of(runs, page)
        lines.append(
            f"| {name} | {rps:,.0f} | {p50:.1f} | {p95:.1f} | {cpu:.1f} | "
            f">= {target:.0f} req/s: {met(rps >= target)}; p95 < 150 ms: {met(p95 < 150)} |"
        )
    for name, page in compared_pages(url):
        rps, p50, p95, cpu = median_of(runs, page)
        lines.append(
            f"| {name}, for comparison | {rps:,.0f} | {p50:.1f} | {p95:.1f} | {cpu:.1f} | — |"
        )
    lines += [
        "\nFirst request for each (as_of, known_on) pair, then the first for each pair after a "
        "write; the first row's first request is the process's first as reported then.\n",
        "| as_of | known_on | first request: wall s · server CPU s | first after a write: "
        "wall s · server CPU s | target < 0.3 s (wall · CPU, both requests) |",
        "|---|---|---|---|---|",
    ]
    for label, (as_of, known_on) in reported_pairs():
        wall, cpu = median_of(runs, label)
        wall_after, cpu_after = median_of(runs, label + " after a write")
        lines.append(
            f"| {as_of} | {known_on} | {wall:.3f} · {cpu:.2f} | "
            f"{wall_after:.3f} · {cpu_after:.2f} | "
            f"{met(max(wall, wall_after) < 0.3)} · {met(max(cpu, cpu_after) < 0.3)} |"
        )
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if not args.print:
        write_section(args.output, section, BEGIN, END)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
