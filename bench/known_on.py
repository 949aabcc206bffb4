"""How much a knowledge date costs: pages and the status export for several ``known_on``.

Starts the tracker on the benchmark's dataset (bench/run.py makes it: 5,000 settlements,
500,000 claims) with the page cache off, and times, for each knowledge date, the first
request (cold: the region's history as known on that date is derived) and the next one
(warm). Writes its section into bench/RESULTS.md between markers, or prints it.

    .venv/bin/python bench/known_on.py [--quick] [--print]
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import HOT_SPOT, START  # noqa: E402
from bench.run import FULL, QUICK, dataset, publish_section, tracker  # noqa: E402

BEGIN, END = "<!-- known_on: begin -->", "<!-- known_on: end -->"
PAGES = [
    ("dashboard", "/"),
    ("status.csv", "/export/status.csv"),
    (f"settlement page ({HOT_SPOT})", f"/settlements/{HOT_SPOT}"),
]


def timed(url: str) -> tuple[float, int]:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        size = len(response.read())
    return time.perf_counter() - began, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.work.mkdir(parents=True, exist_ok=True)
    path = dataset(args.work, sizes.settlements, sizes.claims)
    # Knowledge dates across the data (it spans two years from START), then the default.
    knowledge = [None] + [START + timedelta(days=d) for d in (180, 400, 700)]
    lines = [
        BEGIN,
        "## Knowledge date (`known_on`)\n",
        f"{sizes.settlements:,} settlements, {sizes.claims:,} claims, SQLite, page cache off, one "
        f"worker, {date.today().isoformat()}. The server started just before (cold). No history "
        "is derived: the first request of all reads each settlement's window and the persisted "
        "changes; the first request for a knowledge date reads the windows as known then, cuts "
        "the persisted changes at that date and derives again only the settlements that date "
        "saw otherwise (claims published later, corrections published later); kept afterwards, "
        "eight knowledge dates at a time, per content revision. `as_of` is the knowledge date "
        '("as reported then").\n',
        "| known_on | page | first request (s) | next request (s) | size (KB) |",
        "|---|---|---|---|---|",
    ]
    with tracker(f"sqlite:///{path}", page_cache=False) as (base, _proc):
        for known_on in knowledge:
            for name, page in PAGES:
                query = "?as_of=" + (known_on or date.today()).isoformat()
                if known_on is not None:
                    query += f"&known_on={known_on.isoformat()}"
                first, size = timed(base + page + query)
                second, _ = timed(base + page + query)
                label = known_on.isoformat() if known_on else "default (now)"
                lines.append(
                    f"| {label} | {name} | {first:.2f} | {second:.3f} | {size / 1024:,.0f} |"
                )
                print(lines[-1], flush=True)
    lines.append(
        "\nEach first request pays for the windows of every settlement (and, for a knowledge "
        "date, the settlements it saw otherwise); the default's first is also the process's "
        "first page. A next request finds the status table kept for the revision."
    )
    lines.append(END)
    section = "\n".join(lines)
    publish_section(section, args.output, BEGIN, END, print_only=args.print)


if __name__ == "__main__":
    main()
