"""Measure the tracker against its peers on one machine, in one run; write bench/RESULTS.md.

    python bench/run.py                  # the full run (about 15 minutes)
    python bench/run.py --quick          # small sizes: a smoke test that it all works
    python bench/run.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Peers: Datasette serving the same SQLite file (what one would use instead to browse and
export such a table) and `sqlite3 -csv` (the practical ceiling for a CSV export). Load comes
from wrk (Debian's package) when present, else from an async httpx loop. Peers that are not
installed are reported as such, never silently skipped. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402

from app.cli import upgrade_database  # noqa: E402
from bench.generate import HOT_SPOT, generate  # noqa: E402

CONNECTIONS = 16


@dataclass
class Sizes:
    settlements: int
    claims: int
    scaling: list[int]
    seconds: float  # per load test
    label: str
    # Each exporter runs this many times and its fastest run counts (as timeit does): one
    # run on a shared machine can be a third slower for reasons that are not the exporter's.
    export_runs: int


FULL = Sizes(5000, 500_000, [10_000, 100_000, 1_000_000], 10.0, "full", 3)
QUICK = Sizes(300, 5_000, [2_000, 5_000, 10_000], 1.0, "quick", 1)


@dataclass
class Load:
    name: str
    url: str
    rps: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: int = 0
    note: str = ""


@dataclass
class Report:
    sizes: Sizes
    lines: list[str] = field(default_factory=list)

    def add(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kb(pid: int, field_name: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field_name}:\s+(\d+)", status).group(1))


def wait_for(url: str, timeout: float = 120.0) -> float:
    began = time.perf_counter()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                response.read()
                return time.perf_counter() - began
        except OSError:
            if time.perf_counter() - began > timeout:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.2)


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def tracker(url: str, *, page_cache: bool = True) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    env = {
        "KT_DATABASE_URL": url,
        "KT_SECRET_KEY": "bench-only-secret",
        "KT_PAGE_CACHE": "true" if page_cache else "false",
    }
    args = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"]
    with process(args, env) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        yield base, proc


@contextmanager
def datasette(path: Path) -> Iterator[tuple[str, subprocess.Popen] | None]:
    try:
        import datasette as _  # noqa: F401
    except ImportError:
        yield None
        return
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(path),
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "600000",
        "--setting",
        "max_csv_mb",
        "0",
    ]
    with process(args) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/-/versions.json")
        yield base, proc


class RssSampler:
    """The largest resident set of a process while a block runs (sampled every 20 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = memory_kb(pid, "VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, memory_kb(self.pid, "VmRSS"))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, memory_kb(self.pid, "VmRSS"))


def stream_rows(url: str) -> tuple[int, float]:
    began = time.perf_counter()
    lines = 0
    with urllib.request.urlopen(url, timeout=3600) as response:
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
    return lines - 1, time.perf_counter() - began  # the header is not a row


def export_sql() -> str:
    from app.claims import service as claims_service

    stmt = claims_service.export_query()
    return str(
        stmt.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True})
    )


T = TypeVar("T", bound=tuple[Any, ...])


def fastest(runs: int, export: Callable[[], tuple[int, float]]) -> tuple[int, float]:
    """Rows and seconds of the fastest of several runs of one export."""
    return fastest_of([export() for _ in range(runs)])


def fastest_of(results: Sequence[T]) -> T:
    """The run with the fewest seconds, of runs that each gave (rows, seconds, ...)."""
    assert len({result[0] for result in results}) == 1, results  # every run gave every row
    return min(results, key=lambda result: result[1])


def sqlite3_csv(path: Path) -> tuple[int, float, int] | None:
    """Rows, seconds and peak RSS (kB) of `sqlite3 -csv` running our export's query."""
    binary = shutil.which("sqlite3")
    if binary is None:
        return None
    began = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "-csv", "-header", str(path), export_sql()], stdout=subprocess.PIPE
    )
    lines = 0
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 16):
        lines += chunk.count(b"\n")
    _, _, usage = os.wait4(proc.pid, 0)
    return lines - 1, time.perf_counter() - began, usage.ru_maxrss


def load(
    name: str,
    url: str,
    seconds: float,
    headers: dict[str, str] | None = None,
    connections: int = CONNECTIONS,
) -> Load:
    result = Load(name, url)
    headers = headers or {}
    wrk = shutil.which("wrk")
    if wrk:
        script = str(Path(__file__).with_name("wrk_percentiles.lua"))
        out = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                *(f"-H{header}: {value}" for header, value in headers.items()),
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures = dict(re.findall(r"^(\w+) (\d+)$", out, re.M))
        result.rps = int(figures["REQUESTS"]) / (int(figures["DURATION_US"]) / 1e6)
        result.p50, result.p95, result.p99 = (int(figures[p]) / 1000 for p in ("P50", "P95", "P99"))
        result.errors = int(figures["ERRORS"])
        result.note = "wrk"
        if int(figures["REQUESTS"]) == 0:  # slower than the whole window: time one request
            began = time.perf_counter()
            wait_for(url, timeout=300)
            single = (time.perf_counter() - began) * 1000
            result.rps = 1000 / single
            result.p50 = result.p95 = result.p99 = single
            result.note = "no request finished under load: one request, timed alone"
        return result
    return asyncio.run(_httpx_load(result, seconds, headers, connections))


async def _httpx_load(
    result: Load, seconds: float, headers: dict[str, str], connections: int = CONNECTIONS
) -> Load:
    import httpx2 as httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                response = await client.get(result.url, headers=headers)
                await response.aread()
                latencies.append(time.perf_counter() - began)
                errors += response.status_code >= 400

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000

    result.rps = len(latencies) / elapsed
    result.p50, result.p95, result.p99 = pct(50), pct(95), pct(99)
    result.errors = errors
    result.note = "httpx loop (wrk not installed)"
    return result


FULL_RUN_BEGIN = "<!-- full run: begin -->"
FULL_RUN_END = "<!-- full run: end -->"


def write_section(output: Path, section: str, begin: str, end: str) -> None:
    """Put a script's section into the results file: in place of its earlier run (between its
    ``begin`` and ``end`` markers), else at the end, leaving every other section as it is."""
    text = output.read_text(encoding="utf-8") if output.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    output.write_text(text, encoding="utf-8")


def publish_section(section: str, output: Path, begin: str, end: str, *, print_only: bool) -> None:
    """A script's section: printed (its ``--print``), or written into the results file."""
    if print_only:
        print(section)
        return
    write_section(output, section, begin, end)
    print(f"wrote {output}")


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so that peers reading it read everything."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def dataset(work: Path, settlements: int, claims: int) -> Path:
    path = work / f"bench-{settlements}-{claims}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in work.glob(partial.name + "*"):
            leftover.unlink()
        took = generate(f"sqlite:///{partial}", settlements, claims, seed=42)
        checkpoint(partial)
        partial.rename(path)
        for leftover in work.glob(partial.name + "-*"):
            leftover.unlink()
        print(f"generated {path.name} in {took['seconds']:.0f} s", flush=True)
    else:
        upgrade_database(f"sqlite:///{path}")  # a dataset from an older run: today's schema
    return path


PAGES = [
    ("/healthz/live (framework ceiling)", "/healthz/live"),
    ("/healthz (database read and write check)", "/healthz"),
    ("/ dashboard", "/"),
    ("/settlements?q=gor", "/settlements?q=gor"),
    (f"/settlements/{HOT_SPOT} (1,000 claims)", f"/settlements/{HOT_SPOT}"),
    ("/contested", "/contested"),
    ("/export/status.csv", "/export/status.csv"),
]


def bench_pages(report: Report, url: str, label: str, *, page_cache: bool) -> dict[str, Load]:
    results = {}
    with tracker(url, page_cache=page_cache) as (base, _proc):
        first = wait_for(f"{base}/")  # the first reader: the windows, no history derived
        report.add(f"\n{label}: first request to / after start took {first:.2f} s")
        for name, path in PAGES:
            wait_for(base + path)  # warm
            results[name] = load(name, base + path, report.sizes.seconds)
    return results


def pages_table(report: Report, runs: dict[str, dict[str, Load]]) -> None:
    names = list(next(iter(runs.values())))
    report.add(
        "| page | " + " | ".join(f"{run}: req/s · p50 · p95 · p99 (ms)" for run in runs) + " |"
    )
    report.add("|---|" + "---|" * len(runs))
    for name in names:
        cells = []
        for loads in runs.values():
            r = loads.get(name)
            if r is None:
                cells.append("—")
                continue
            cell = f"{fmt(r.rps, 1 if (r.rps or 0) < 10 else 0)} · {fmt(r.p50)} · {fmt(r.p95)} · {fmt(r.p99)}"
            if r.errors:
                cell += f" ({r.errors} errors)"
            if r.note.startswith("no request"):
                cell += f" ({r.note})"
            cells.append(cell)
        report.add(f"| {name} | " + " | ".join(cells) + " |")


def bench_export(
    report: Report, path: Path, url: str, runs: int
) -> dict[str, tuple[float, float | None]]:
    """rows/s (fastest of ``runs``) and peak RSS (MB) of each way to get every claim as CSV."""
    figures: dict[str, tuple[float, float | None]] = {}
    if runs > 1:
        report.add(f"Each exporter ran {runs} times; the fastest run counts, the peak RSS of all.")
        report.add("")
    with tracker(url) as (base, proc):
        before = memory_kb(proc.pid, "VmRSS")
        with RssSampler(proc.pid) as rss:
            rows, seconds = fastest(runs, lambda: stream_rows(f"{base}/export/claims.csv"))
        figures["ours"] = (rows / seconds, rss.peak_kb / 1024)
        report.add(
            f"ours: {rows:,} rows in {seconds:.1f} s; server RSS {before / 1024:.0f} MB before, peak {rss.peak_kb / 1024:.0f} MB during"
        )
    with datasette(path) as peer:
        if peer is None:
            report.add("datasette: not installed (pip install '.[bench]')")
        else:
            base, proc = peer
            before = memory_kb(proc.pid, "VmRSS")
            with RssSampler(proc.pid) as rss:
                rows_d, seconds = fastest(
                    runs,
                    lambda: stream_rows(f"{base}/{path.stem}/claims.csv?_stream=on&_size=max"),
                )
            figures["datasette"] = (rows_d / seconds, rss.peak_kb / 1024)
            report.add(
                f"datasette: {rows_d:,} rows in {seconds:.1f} s; server RSS {before / 1024:.0f} MB before, peak {rss.peak_kb / 1024:.0f} MB during"
            )
    natives = [native for native in (sqlite3_csv(path) for _ in range(runs)) if native]
    if not natives:
        report.add("sqlite3: not installed (Debian package sqlite3)")
    else:
        rows_s, seconds, _ = fastest_of(natives)
        maxrss = max(rss_kb for _, _, rss_kb in natives)
        figures["sqlite3 -csv"] = (rows_s / seconds, maxrss / 1024)
        report.add(
            f"sqlite3 -csv: {rows_s:,} rows in {seconds:.1f} s; peak RSS {maxrss / 1024:.0f} MB"
        )
    return figures


def _timed_status(database: object, statements: list[str]) -> tuple[float, int]:
    """Seconds and SQL statements for the status of every settlement on one date."""
    from app.status import service as status_service

    statements.clear()
    began = time.perf_counter()
    with database.read_session() as session:  # type: ignore[attr-defined]
        status_service.status_table(session, date(2025, 6, 1), 14)
    counted = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    return time.perf_counter() - began, len(counted)


def export_memory(report: Report, work: Path, sizes: Sizes) -> list[tuple[int, float, float]]:
    """Our server's RSS before and at its peak while exporting, as the claims grow."""
    rows = []
    for claims in sizes.scaling:
        path = dataset(work, max(50, min(sizes.settlements, claims // 20)), claims)
        with tracker(f"sqlite:///{path}") as (base, proc):
            before = memory_kb(proc.pid, "VmRSS")
            with RssSampler(proc.pid) as rss:
                stream_rows(f"{base}/export/claims.csv")
            rows.append((claims, before / 1024, rss.peak_kb / 1024))
    return rows


def bench_status(
    report: Report, work: Path, sizes: Sizes
) -> list[tuple[int, float, int, float, int, float, int]]:
    """Status of every settlement on a date: cold (nothing kept yet for the file), warm, after one approval."""
    from sqlalchemy import select

    from app.cache import RevisionCache
    from app.claims.models import Claim
    from app.db import Database
    from app.status import service as status_service

    rows = []
    for claims in sizes.scaling:
        path = dataset(work, max(50, min(sizes.settlements, claims // 20)), claims)
        database = Database(f"sqlite:///{path}")
        statements: list[str] = []
        event.listen(
            database.engine, "before_cursor_execute", lambda *a, s=statements: s.append(a[2])
        )
        status_service._histories = RevisionCache()  # a cold process
        cold, cold_n = _timed_status(database, statements)
        warm, warm_n = _timed_status(database, statements)
        with database.writing() as session:  # one more approved claim, as an approval makes
            template = session.scalars(select(Claim).limit(1)).one()
            session.execute(
                insert(Claim),
                [
                    {
                        "settlement_id": template.settlement_id,
                        "source_id": template.source_id,
                        "status": "contested",
                        "as_of": date(2025, 6, 1),
                        "published_on": date(2025, 6, 1),
                        "review_state": "approved",
                        "reviewed_at": None,
                    }
                ],
            )
        after, after_n = _timed_status(database, statements)
        database.dispose()
        rows.append((claims, cold, cold_n, warm, warm_n, after, after_n))
    return rows


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024
    versions = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    try:
        import datasette.version as dv

        versions.append(f"Datasette {dv.__version__}")
    except ImportError:
        versions.append("Datasette not installed")
    if shutil.which("wrk"):
        versions.append(
            subprocess.run(["wrk", "-v"], capture_output=True, text=True)
            .stdout.split("\n")[0]
            .strip()
            or "wrk"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return [
        f"- Machine: {os.cpu_count()} cores ({cpu}), {mem:,} MB RAM, {platform.system()} {platform.release()}",
        f"- Versions: {', '.join(versions)}; tracker at commit {commit or 'unknown'}",
        # The machine may be shared: what else ran on it says how far the figures can be read.
        "- Load average at the start (1, 5, 15 min): "
        + ", ".join(f"{load:.1f}" for load in os.getloadavg()),
    ]


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short loads")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("KT_BENCH_PG_URL", ""),
        help="a PostgreSQL server database the bench may create a database on",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.work.mkdir(parents=True, exist_ok=True)
    report = Report(sizes)
    started = time.perf_counter()

    main_db = dataset(args.work, sizes.settlements, sizes.claims)
    url = f"sqlite:///{main_db}"
    report.add(FULL_RUN_BEGIN)
    report.add(f"## The {sizes.label} run ({date.today().isoformat()})\n")
    for line in machine():
        report.add(line)
    report.add(
        f"- Dataset: {sizes.settlements:,} settlements, {sizes.claims:,} claims (seed 42, bench/generate.py); "
        f"load: {CONNECTIONS} connections for {sizes.seconds:.0f} s per page, one tracker worker"
    )

    report.add("\n## CSV export of every approved claim\n")
    export = bench_export(report, main_db, url, sizes.export_runs)
    report.add("\n| exporter | rows/s | peak RSS (MB) |\n|---|---|---|")
    for name, (rps, rss) in export.items():
        report.add(f"| {name} | {rps:,.0f} | {fmt(rss, 0)} |")
    ours = export["ours"][0]
    ratios = []
    if "datasette" in export:
        ratios.append(
            f"ours/Datasette = **{ours / export['datasette'][0]:.2f}×** (target ≥ 2×: {verdict(ours >= 2 * export['datasette'][0])})"
        )
    if "sqlite3 -csv" in export:
        ratios.append(
            f"ours/sqlite3 = **{ours / export['sqlite3 -csv'][0]:.2f}×** (target ≥ 0.5×: {verdict(ours >= 0.5 * export['sqlite3 -csv'][0])})"
        )
    report.add("\n" + "; ".join(ratios))
    report.add(
        f"Peak RSS of our server while exporting: {export['ours'][1]:.0f} MB (target < 150 MB: {verdict(export['ours'][1] < 150)}; sampled every 20 ms during the export)."
    )
    report.add(
        "Datasette exports the claims table as stored (ids, no joins); ours and sqlite3 run the same query with both joins."
    )
    report.add("\nOur server's memory while exporting, as the claims grow (the export streams):\n")
    report.add("| claims | RSS before (MB) | peak RSS during (MB) |\n|---|---|---|")
    for claims, before, peak in export_memory(report, args.work, sizes):
        report.add(f"| {claims:,} | {before:.0f} | {peak:.0f} |")

    report.add("\n## Pages under load\n")
    runs = {
        "SQLite": bench_pages(report, url, "SQLite, page cache on", page_cache=True),
        "SQLite, no page cache": bench_pages(
            report, url, "SQLite, page cache off", page_cache=False
        ),
    }
    with datasette(main_db) as peer:
        if peer is not None:
            base, _ = peer
            runs["SQLite"]["Datasette table page"] = load(
                "Datasette table page", f"{base}/{main_db.stem}/claims", sizes.seconds
            )
            runs["SQLite"]["Datasette /-/versions.json"] = load(
                "Datasette ceiling", f"{base}/-/versions.json", sizes.seconds
            )
    if args.pg_url:
        pg_url = prepare_postgres(args.pg_url, sizes)
        runs["PostgreSQL"] = bench_pages(
            report, pg_url, "PostgreSQL, page cache on", page_cache=True
        )
        runs["PostgreSQL, no page cache"] = bench_pages(
            report, pg_url, "PostgreSQL, page cache off", page_cache=False
        )
        from bench.processes import processes_section

        process_lines = processes_section(pg_url, sizes)
    else:
        process_lines = []
        report.add("\nPostgreSQL: not measured in this run (pass --pg-url).")
    report.add("")
    pages_table(report, runs)

    sqlite_pages = runs["SQLite"]
    dash = sqlite_pages["/ dashboard"]
    ceiling = sqlite_pages["/healthz/live (framework ceiling)"]
    hot = sqlite_pages[f"/settlements/{HOT_SPOT} (1,000 claims)"]
    report.add("\nTargets (one worker, SQLite):")
    report.add(
        f"- dashboard p95 {fmt(dash.p95)} ms < 100 ms: {verdict((dash.p95 or 1e9) < 100)}; "
        f"requests/s {fmt(dash.rps, 0)} = {dash.rps / ceiling.rps:.2f}× /healthz/live (target ≥ 0.2×: {verdict(dash.rps >= 0.2 * ceiling.rps)})"
    )
    report.add(
        f"- settlement page with 1,000 claims p95 {fmt(hot.p95)} ms < 50 ms: {verdict((hot.p95 or 1e9) < 50)}"
    )
    uncached = runs["SQLite, no page cache"]
    report.add(
        f"- without the page cache (every request renders): dashboard p95 {fmt(uncached['/ dashboard'].p95)} ms, "
        f"settlement page p95 {fmt(uncached[f'/settlements/{HOT_SPOT} (1,000 claims)'].p95)} ms"
    )
    if args.pg_url:
        worst = max(
            (runs["PostgreSQL"][n].p95 or 0) / max(sqlite_pages[n].p95 or 1e-9, 1e-9)
            for n, _ in PAGES
            if n in runs["PostgreSQL"]
        )
        worst_raw = max(
            (runs["PostgreSQL, no page cache"][n].p95 or 0) / max(uncached[n].p95 or 1e-9, 1e-9)
            for n, _ in PAGES
        )
        report.add(
            f"- PostgreSQL p95 at most {worst:.2f}× SQLite's with the page cache, {worst_raw:.2f}× without "
            f"(target ≤ 1.5×: {verdict(max(worst, worst_raw) <= 1.5)})"
        )

    report.add("\n## Status of every settlement on a date\n")
    report.add(
        "| claims | cold (nothing kept yet): s · SQL statements | cached: s · statements | after one new approved claim: s · statements |"
    )
    report.add("|---|---|---|---|")
    status_rows = bench_status(report, args.work, sizes)
    for claims, cold, cold_n, warm, warm_n, after, after_n in status_rows:
        report.add(
            f"| {claims:,} | {cold:.2f} · {cold_n} | {warm:.4f} · {warm_n} | {after:.3f} · {after_n} |"
        )
    most = max(max(r[2], r[4], r[6]) for r in status_rows)
    report.add(f"\nAt most {most} SQL statements at any size (target ≤ 5: {verdict(most <= 5)}).")
    report.add(f"\nThe whole run took {(time.perf_counter() - started) / 60:.1f} minutes.")
    report.add(FULL_RUN_END)
    # In place of the previous full run: the sections other scripts measured stay as they are.
    write_section(args.output, "\n".join(report.lines), FULL_RUN_BEGIN, FULL_RUN_END)
    if process_lines:
        # In its own section, which bench/processes.py also writes when run alone.
        write_section(args.output, "\n".join(process_lines), process_lines[0], process_lines[-1])
    print(f"\nwrote {args.output}")


def prepare_postgres(server_url: str, sizes: Sizes) -> str:
    """The main dataset in a PostgreSQL database of its own (created once, then reused)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"kt_bench_{sizes.settlements}_{sizes.claims}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    if exists:
        upgrade_database(url)
    else:
        generate(url, sizes.settlements, sizes.claims, seed=42)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    return url


if __name__ == "__main__":
    main()
