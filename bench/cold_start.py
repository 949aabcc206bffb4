"""Cold start and uncached renders: what a fresh server and a signed-in editor wait for.

Starts the tracker on the benchmark's dataset (made by bench/run.py; its database must be
migrated: the status changes it keeps are filled by migration 0007) with the page cache off,
one worker, and measures:

1. from the port opening (``/healthz`` answers) to the first ``/`` answered;
2. dashboards for (as_of, known_on) pairs no request asked for before (uncached);
3. uncached renders under load (wrk, 16 connections): dashboard, the settlement page with
   1,000 claims, the contested page and the status CSV;
4. the status of every settlement on a date, cold, in a fresh process: wall and CPU time.

Writes its section into bench/RESULTS.md between markers, or prints it.

    .venv/bin/python bench/cold_start.py [--quick] [--print]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import HOT_SPOT, START  # noqa: E402
from bench.run import FULL, QUICK, dataset, load, publish_section, tracker  # noqa: E402

BEGIN, END = "<!-- cold_start: begin -->", "<!-- cold_start: end -->"
UNCACHED = [
    ("/ dashboard", "/", 150.0),
    (f"/settlements/{HOT_SPOT} (1,000 claims)", f"/settlements/{HOT_SPOT}", 200.0),
    ("/contested", "/contested", 150.0),
    ("/export/status.csv", "/export/status.csv", 50.0),
]
STATUS_OF_ALL = """
import sys, time
from datetime import date
from app.db import Database
from app import models as _all_models  # noqa: F401  (every mapped class, the freshness events)
from app.status import service
database = Database(sys.argv[1])
with database.read_session() as session:
    wall, cpu = time.perf_counter(), time.process_time()
    rows = service.status_table(session, date.fromisoformat(sys.argv[2]), 14)
    print(len(rows), time.perf_counter() - wall, time.process_time() - cpu)
"""


def timed(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        response.read()
    return time.perf_counter() - began


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far (Linux /proc)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def timed_cpu(url: str, pid: int) -> tuple[float, float]:
    """Wall seconds of one request, and the server's CPU seconds spent on it."""
    before = cpu_seconds(pid)
    wall = timed(url)
    return wall, cpu_seconds(pid) - before


def met(ok: bool) -> str:
    return "met" if ok else "not met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    seconds = 2.0 if args.quick else 10.0
    path = dataset(args.work, sizes.settlements, sizes.claims)
    url = f"sqlite:///{path}"
    lines = [
        BEGIN,
        "## Cold start and uncached renders\n",
        f"{sizes.settlements:,} settlements, {sizes.claims:,} claims, SQLite, page cache off, "
        f"one worker, {date.today().isoformat()}. The machine is shared (load average often "
        "above 10 on 2 cores): wall times vary severalfold between runs; CPU times are given "
        "where they say more.\n",
    ]
    pairs = [(START + timedelta(days=d), k) for d, k in ((100, None), (400, None), (650, None))] + [
        (START + timedelta(days=d), START + timedelta(days=d)) for d in (300, 500)
    ]
    with tracker(url, page_cache=False) as (base, proc):
        first, first_cpu = timed_cpu(base + "/", proc.pid)
        lines.append(
            f"- Port open (`/healthz` answers) to the first `/` answered: **{first:.2f} s** "
            f"wall, {first_cpu:.2f} s of server CPU (target < 1 s: {met(first < 1)} on the "
            f"wall clock, {met(first_cpu < 1)} in CPU; before: 8.2-8.8 s, ~8 s of CPU, plus a "
            "warm-up thread)."
        )
        lines.append(
            "\n| as_of | known_on | dashboard, first request: wall s · server CPU s "
            "| target < 0.3 s (wall · CPU) |"
        )
        lines.append("|---|---|---|---|")
        for as_of, known_on in pairs:
            query = f"?as_of={as_of.isoformat()}"
            if known_on is not None:
                query += f"&known_on={known_on.isoformat()}"
            took, cpu = timed_cpu(base + "/" + query, proc.pid)
            label = known_on.isoformat() if known_on else "now"
            lines.append(
                f"| {as_of.isoformat()} | {label} | {took:.3f} · {cpu:.2f} | "
                f"{met(took < 0.3)} · {met(cpu < 0.3)} |"
            )
            print(lines[-1], flush=True)
        lines.append("\n| uncached page | req/s | p50 ms | p95 ms | target req/s | p95 < 150 ms |")
        lines.append("|---|---|---|---|---|---|")
        for name, page, target in UNCACHED:
            timed(base + page)  # the first render of the day builds what later ones reuse
            result = load(name, base + page, seconds)
            lines.append(
                f"| {name} | {result.rps:,.0f} | {result.p50:.1f} | {result.p95:.1f} | "
                f">= {target:.0f}: {met(result.rps >= target)} | "
                f"{met(result.p95 < 150) if page != '/export/status.csv' else '—'} |"
            )
            print(lines[-1], flush=True)
    day = (START + timedelta(days=600)).isoformat()
    out = subprocess.run(
        [sys.executable, "-c", STATUS_OF_ALL, url, day],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    lines.append(
        f"\nStatus of every settlement on {day}, cold (a fresh process, {sizes.claims:,} claims): "
        f"{float(out[1]):.2f} s wall, {float(out[2]):.2f} s CPU, {out[0]} settlements."
    )
    lines.append(END)
    section = "\n".join(lines)
    publish_section(section, args.output, BEGIN, END, print_only=args.print)


if __name__ == "__main__":
    main()
