"""How fast a large claims CSV imports, and with how much memory: ours against sqlite-utils.

Makes the file from the benchmark's generator (5,000 settlements; claims enough that about
1,000,000 of them are approved) with ``kursk-tracker export claims``, then imports it with
``kursk-tracker import FILE --approve`` into a copy of that database without its claims, and
``sqlite-utils insert`` of the same file into a new SQLite file (a plain table: what an
analyst would otherwise do). Wall time and peak resident memory of each command (the
kernel's count for the process, from wait4). Writes its section into bench/RESULTS.md
between markers, or prints it.

    .venv/bin/python bench/imports.py [--quick] [--print] [--sqlite-utils PATH]

sqlite-utils is not a dependency of the project: install it anywhere (a scratch venv) and
name it with --sqlite-utils, or have it on PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import dataset, write_section  # noqa: E402

BEGIN, END = "<!-- import: begin -->", "<!-- import: end -->"
SETTLEMENTS = 5000
CLAIMS = 1_053_000  # about 95 % approved: an export of about 1,000,000 rows
QUICK_CLAIMS = 20_000


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and exit status of one command.

    Through GNU time: the rusage of a child forked from this (large) process would count
    the parent's pages it held until exec.
    """
    with tempfile.TemporaryDirectory() as scratch:
        report, errors = Path(scratch) / "time", Path(scratch) / "stderr"
        timed = ["/usr/bin/time", "-f", "%e %M", "-o", str(report), *args]
        with errors.open("wb") as err:  # a pipe left unread could fill and block it
            status = subprocess.run(
                timed, env=env, stdout=subprocess.DEVNULL, stderr=err
            ).returncode
        if status:
            print(errors.read_text()[-2000:], file=sys.stderr)
        seconds, peak_kb = report.read_text().split()[-2:]
    return float(seconds), int(peak_kb) / 1024, status


def without_claims(source: Path, target: Path) -> None:
    """A copy of the benchmark database with its settlements and sources, and no claims."""
    for leftover in target.parent.glob(target.name + "*"):
        leftover.unlink()
    with sqlite3.connect(source) as db, sqlite3.connect(target) as copy:
        db.backup(copy)
    with sqlite3.connect(target) as copy:
        copy.execute("DELETE FROM claims")
        copy.execute("DELETE FROM import_batches")
    with sqlite3.connect(target) as copy:
        copy.execute("VACUUM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--sqlite-utils", default=shutil.which("sqlite-utils"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    settlements, claims = (300, QUICK_CLAIMS) if args.quick else (SETTLEMENTS, CLAIMS)
    source = dataset(args.work, settlements, claims)
    cli = str(ROOT / ".venv" / "bin" / "kursk-tracker")
    env = {**os.environ, "KT_DATABASE_URL": f"sqlite:///{source}"}
    csv_file = args.work / f"claims-{settlements}-{claims}.csv"
    if not csv_file.exists():
        subprocess.run([cli, "export", "claims", "-o", str(csv_file)], env=env, check=True)
    with csv_file.open("rb") as f:
        rows = sum(1 for _ in f) - 1  # no multi-line cells in the generated summaries
    size_mb = csv_file.stat().st_size / 1e6

    load_before = os.getloadavg()[1]
    ours_db = args.work / "import-ours.db"
    without_claims(source, ours_db)
    env["KT_DATABASE_URL"] = f"sqlite:///{ours_db}"
    dry = measured([cli, "import", str(csv_file), "--dry-run"], env)
    without_claims(source, ours_db)
    ours = measured([cli, "import", str(csv_file), "--approve"], env)
    stored = sqlite3.connect(ours_db).execute("SELECT count(*) FROM claims").fetchone()[0]

    peer = None
    if args.sqlite_utils:
        peer_db = args.work / "import-sqlite-utils.db"
        for leftover in args.work.glob(peer_db.name + "*"):
            leftover.unlink()
        peer = measured(
            [args.sqlite_utils, "insert", str(peer_db), "claims", str(csv_file), "--csv"], env
        )

    lines = [
        BEGIN,
        "## Importing a large claims CSV\n",
        f"{rows:,} rows ({size_mb:,.0f} MB), exported from the benchmark's {claims:,} claims about "
        f"{settlements:,} settlements, {date.today().isoformat()}, SQLite. Ours: "
        "`kursk-tracker import FILE --approve` into the same database without its claims (every "
        "row checked, repeats looked for in the file and in the database, stored in one "
        "transaction); `--dry-run` checks only. sqlite-utils: `sqlite-utils insert DB claims "
        "FILE --csv` into a new file (no checks, a plain table). Peak memory is the resident "
        "set of the command's process.\n",
        "| command | rows | seconds | rows/s | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for name, result in (
        ("kursk-tracker import --approve", ours),
        ("kursk-tracker import --dry-run", dry),
        ("sqlite-utils insert --csv", peer),
    ):
        if result is None:
            lines.append(f"| {name} | — | not run (sqlite-utils not found) | — | — |")
            continue
        seconds, peak, status = result
        failed = "" if status == 0 else f" (exit status {status})"
        lines.append(
            f"| {name}{failed} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} | {peak:.0f} |"
        )
    load = (load_before + os.getloadavg()[1]) / 2
    lines.append(
        f"\nMachine load while measuring: about {load:.0f} runnable processes on "
        f"{os.cpu_count()} cores (5-minute load average): on a shared machine the seconds are "
        "longer than on a quiet one, the comparison holds as the commands ran in turn."
    )
    lines.append(
        f"\nStored: {stored:,} claims; the other {rows - stored:,} rows repeat an earlier row "
        "(same settlement, source, date and status: the generator draws them at random) and "
        "were skipped."
    )
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if args.print:
        return
    write_section(args.output, section, BEGIN, END)


if __name__ == "__main__":
    main()
