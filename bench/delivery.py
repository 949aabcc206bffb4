"""What HTTP caching and gzip save: bytes on the wire, and 304s against full answers.

Starts the tracker on the benchmark's dataset (bench/run.py makes it: 5,000 settlements,
500,000 claims), then measures
- the size of pages, downloads and static files as sent, plain and gzipped;
- the whole claims export, plain and gzipped: time, size, and the server's peak memory
  (a stream stays a stream when compressed);
- requests per second under load (wrk, else an httpx loop) for the framework's ceiling,
  a page answered in full and the same page answered 304 to a reader who holds its ETag,
  with the page cache on and off (off, every full answer renders; a 304 never does).
Writes its section into bench/RESULTS.md between markers, or prints it.

    .venv/bin/python bench/delivery.py [--quick] [--print]
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import HOT_SPOT  # noqa: E402
from bench.run import FULL, QUICK, Load, RssSampler, dataset, fmt, load, publish_section, tracker  # noqa: E402

BEGIN, END = "<!-- delivery: begin -->", "<!-- delivery: end -->"
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
SIZED = [
    ("/ dashboard", "/"),
    (f"/settlements/{HOT_SPOT}", f"/settlements/{HOT_SPOT}"),
    ("/settlements?q=gor", "/settlements?q=gor"),
    ("/contested", "/contested"),
    ("/export/status.csv", "/export/status.csv"),
    ("/export/status.geojson", "/export/status.geojson"),
    ("/api/v1/claims?limit=1000", "/api/v1/claims?limit=1000"),
]
STATIC = ["css/app.css", "vendor/htmx.min.js", "vendor/leaflet/leaflet.js"]


def fetch(url: str, headers: dict[str, str]) -> tuple[int, Message, bytes, float]:
    """Status, headers, body as sent (never decoded) and seconds of one request."""
    began = time.perf_counter()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            body = response.read()
            status, answer_headers = response.status, response.headers
    except urllib.error.HTTPError as error:  # a 304 arrives as an "error" in urllib
        body, status, answer_headers = error.read(), error.code, error.headers
    return status, answer_headers, body, time.perf_counter() - began


def kb(size: int) -> str:
    return f"{size / 1024:,.1f}"


def sizes_table(base: str, lines: list[str]) -> None:
    lines += [
        "| answer | plain (KB) | gzip (KB) | gzip / plain |",
        "|---|---|---|---|",
    ]
    targets = SIZED + [(f"/static/{path}", f"/static/{path}") for path in STATIC]
    for name, path in targets:
        plain = fetch(base + path, PLAIN)[2]
        _, headers, packed, _ = fetch(base + path, GZIP)
        assert headers.get("Content-Encoding") == "gzip", (path, headers)
        lines.append(
            f"| {name} | {kb(len(plain))} | {kb(len(packed))} | {len(packed) / len(plain):.2f} |"
        )
        print(lines[-1], flush=True)


def export_table(base: str, pid: int, lines: list[str]) -> None:
    lines += [
        "",
        "| whole claims export | time (s) | size (MB) | server's peak RSS (MB) |",
        "|---|---|---|---|",
    ]
    for label, headers in (("plain", PLAIN), ("gzip", GZIP)):
        with RssSampler(pid) as rss:
            _, _, body, seconds = fetch(base + "/export/claims.csv", headers)
        lines.append(
            f"| {label} | {seconds:.1f} | {len(body) / 1e6:,.1f} | {rss.peak_kb / 1024:,.0f} |"
        )
        print(lines[-1], flush=True)


def load_row(result: Load) -> str:
    return (
        f"| {result.name} | {fmt(result.rps, 0)} | {fmt(result.p50)} | {fmt(result.p95)} | "
        f"{fmt(result.p99)} |" + (f" {result.errors} errors" if result.errors else "")
    )


def load_table(base: str, seconds: float, lines: list[str], label: str) -> None:
    for name, path in SIZED[:2]:
        etag = fetch(base + path, GZIP)[1]["ETag"]
        assert fetch(base + path, {**GZIP, "If-None-Match": etag})[0] == 304
        for kind, headers in (
            ("200, gzip", GZIP),
            ("304 (If-None-Match)", {**GZIP, "If-None-Match": etag}),
        ):
            result = load(f"{label}: {name}, {kind}", base + path, seconds, headers)
            lines.append(load_row(result))
            print(lines[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--seconds", type=float, default=None, help="per load test")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    seconds = args.seconds or sizes.seconds
    args.work.mkdir(parents=True, exist_ok=True)
    path = dataset(args.work, sizes.settlements, sizes.claims)
    url = f"sqlite:///{path}"
    lines = [
        BEGIN,
        "## HTTP caching and compression\n",
        f"{sizes.settlements:,} settlements, {sizes.claims:,} claims, SQLite, one worker, "
        f"{date.today().isoformat()}. Sizes as sent, plain (`Accept-Encoding: identity`) and "
        "gzipped (level 6); static files at their plain addresses (the hashed ones are the "
        "same bytes).\n",
    ]
    with tracker(url, page_cache=True) as (base, proc):
        fetch(base + "/", PLAIN)  # the first reader derives the region's history
        sizes_table(base, lines)
        export_table(base, proc.pid, lines)
        lines += [
            "",
            f"Under load: {seconds:.0f} s per row, 16 connections, gzip accepted.\n",
            "| answer | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
            "|---|---|---|---|---|",
        ]
        ceiling = load("/healthz/live (framework ceiling)", base + "/healthz/live", seconds)
        lines.append(load_row(ceiling))
        load_table(base, seconds, lines, "page cache on")
    with tracker(url, page_cache=False) as (base, _proc):
        fetch(base + "/", PLAIN)
        load_table(base, seconds, lines, "page cache off")
    lines.append(
        "\nA 304 does one thing: it reads the content revision (one tiny query, in a worker "
        "thread) and answers; it never renders, so without the page cache it is as cheap as "
        "with it, where a full answer renders every time. With the page cache a full answer "
        "is a copy from memory, so both are near the framework's ceiling; the 304 saves the "
        "bytes. The export's peak memory is the same plain and gzipped: compression keeps "
        "the stream a stream (a sync flush per chunk of 1,000 rows)."
    )
    lines.append(END)
    section = "\n".join(lines)
    publish_section(section, args.output, BEGIN, END, print_only=args.print)


if __name__ == "__main__":
    main()
