"""A deterministic synthetic front line, written through the project's own models.

    python bench/generate.py --database-url sqlite:///bench/work/bench.db \\
        --settlements 5000 --claims 500000 --seed 42

Each settlement gets a "true" history (a few changes of control over two years); sources of
all three sides report on it, mostly truthfully, sometimes contradicting each other (the
conflicts the rule turns into "contested"), with a realistic mix of verification levels and
review states. One settlement, `hot-spot`, gets exactly 1,000 claims (the settlement page
benchmark). The same seed gives the same database.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import upgrade_database
from app.db import Database
from app.models import Claim, Settlement, Source
from app.settlements.service import search_key

START = date(2024, 1, 1)
DAYS = 730
DISTRICTS = [
    "Sudzhansky",
    "Korenevsky",
    "Glushkovsky",
    "Bolshesoldatsky",
    "Belovsky",
    "Lgovsky",
    "Rylsky",
    "Khomutovsky",
]
SYLLABLES = [
    "su",
    "dzha",
    "gor",
    "nal",
    "ole",
    "shnya",
    "ma",
    "lo",
    "knya",
    "ple",
    "kho",
    "vo",
    "ko",
    "re",
    "ne",
    "dar",
    "yi",
    "no",
    "kur",
    "li",
    "ov",
    "ka",
    "po",
    "gre",
    "bki",
]
CYRILLIC = {
    "su": "су",
    "dzha": "джа",
    "gor": "гор",
    "nal": "наль",
    "ole": "оле",
    "shnya": "шня",
    "ma": "ма",
    "lo": "ло",
    "knya": "кня",
    "ple": "пле",
    "kho": "хо",
    "vo": "во",
    "ko": "ко",
    "re": "ре",
    "ne": "не",
    "dar": "дар",
    "yi": "ьи",
    "no": "но",
    "kur": "кур",
    "li": "ли",
    "ov": "ов",
    "ka": "ка",
    "po": "по",
    "gre": "гре",
    "bki": "бки",
}
STATUSES = ["russian_control", "ukrainian_control", "contested"]
HOT_SPOT = "hot-spot"
HOT_SPOT_CLAIMS = 1000


def sources() -> list[dict]:
    kinds = {
        "russia": ["military", "state_media", "other", "government"],
        "ukraine": ["military", "osint", "government", "independent_media"],
        "neutral": ["osint", "independent_media", "other"],
    }
    rows = []
    for side in ("russia", "ukraine", "neutral"):
        for i in range(10):
            rows.append(
                {
                    "slug": f"{side}-source-{i}",
                    "name": f"{side.capitalize()} source {i}",
                    "kind": kinds[side][i % len(kinds[side])],
                    "side": side,
                    "reliability": "F",
                    "homepage": "",
                }
            )
    return rows


def settlements(rng: random.Random, count: int) -> list[dict]:
    rows, seen = [], set()
    for i in range(count):
        parts = [rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))]
        name = "".join(parts).capitalize()
        slug = f"{name.lower()}-{i}"
        if i == 0:
            name, slug = "Hot Spot", HOT_SPOT
        seen.add(slug)
        precision = rng.choices(["exact", "approximate", "unknown"], [6, 3, 1])[0]
        lat = lon = None
        if precision != "unknown":
            lat = round(51.0 + rng.random() * 0.6, 4)
            lon = round(34.6 + rng.random() * 1.2, 4)
        row = {
            "slug": slug,
            "name": name if i else "Hot Spot",
            "name_uk": "",
            "name_ru": "".join(CYRILLIC[p] for p in parts).capitalize(),
            "aliases": "|".join([name + "e", name.replace("o", "a")]),
            "district": DISTRICTS[i % len(DISTRICTS)],
            "region": "Kursk",
            "lat": lat,
            "lon": lon,
            "location_precision": precision,
        }
        holder = Settlement(**{k: v for k, v in row.items() if k != "location_precision"})
        row["search_key"] = search_key(holder)
        rows.append(row)
    return rows


def true_history(rng: random.Random) -> list[tuple[int, str]]:
    """(day, status) changes of control over the two years."""
    status = rng.choice(["russian_control", "russian_control", "ukrainian_control"])
    changes = [(0, status)]
    for _ in range(rng.randint(0, 3)):
        day = rng.randint(30, DAYS - 1)
        status = rng.choice([s for s in STATUSES if s != status])
        changes.append((day, status))
    return sorted(changes)


def status_on(history: list[tuple[int, str]], day: int) -> str:
    current = history[0][1]
    for change_day, status in history:
        if change_day <= day:
            current = status
    return current


def claims(
    rng: random.Random,
    settlement_ids: list[int],
    source_rows: list[dict],
    source_ids: dict[str, int],
    total: int,
) -> Iterator[dict[str, Any]]:
    by_side = {
        side: [source_ids[s["slug"]] for s in source_rows if s["side"] == side]
        for side in ("russia", "ukraine", "neutral")
    }
    hot, rest = settlement_ids[0], settlement_ids[1:]
    weights = [1.0 / (1 + (i % 97)) for i in range(len(rest))]
    remaining = total - HOT_SPOT_CLAIMS
    histories: dict[int, list[tuple[int, str]]] = {}
    targets = [hot] * HOT_SPOT_CLAIMS + rng.choices(rest, weights, k=remaining)
    for settlement_id in targets:
        history = histories.setdefault(settlement_id, true_history(rng))
        day = rng.randrange(DAYS)
        truth = status_on(history, day)
        side = rng.choices(["russia", "ukraine", "neutral"], [5, 4, 1])[0]
        # Mostly the truth; sometimes a side claims what suits it (the conflicts).
        if rng.random() < 0.15:
            status = {"russia": "russian_control", "ukraine": "contested", "neutral": "contested"}[
                side
            ]
        else:
            status = truth
        verification = rng.choices(
            ["unverified", "geolocated", "confirmed", "refuted"], [70, 20, 8, 2]
        )[0]
        review = rng.choices(["approved", "pending", "rejected"], [95, 4, 1])[0]
        as_of = START + timedelta(days=day)
        reviewed = datetime.combine(as_of, datetime.min.time()) + timedelta(hours=rng.randrange(72))
        yield {
            "settlement_id": settlement_id,
            "source_id": rng.choice(by_side[side]),
            "status": status,
            "as_of": as_of,
            "published_on": as_of + timedelta(days=rng.choice([0, 0, 0, 1, 2, 3])),
            "source_url": f"https://example.org/report/{rng.randrange(10**9)}",
            "verification": verification,
            "summary": f"{side.capitalize()} source reports {status.replace('_', ' ')}.",
            "review_state": review,
            "reviewed_at": None if review == "pending" else reviewed,
            "version": 1,
        }


def generate(url: str, n_settlements: int, n_claims: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    began = time.perf_counter()
    upgrade_database(url)
    database = Database(url)
    try:
        with database.writing() as session:
            if session.scalar(select(Settlement.id).limit(1)) is not None:
                raise SystemExit(f"{url} already holds data: use a new file or database")
            source_rows = sources()
            session.execute(insert(Source), source_rows)
            session.execute(insert(Settlement), settlements(rng, n_settlements))
        with database.writing() as session:
            source_ids = dict(session.execute(select(Source.slug, Source.id)).all())
            ids = list(session.scalars(select(Settlement.id).order_by(Settlement.id)))
            batch = []
            for row in claims(rng, ids, source_rows, source_ids, n_claims):
                batch.append(row)
                if len(batch) == 20_000:
                    session.execute(insert(Claim), batch)
                    batch = []
            if batch:
                session.execute(insert(Claim), batch)
    finally:
        database.dispose()
    return {"seconds": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--settlements", type=int, default=5000)
    parser.add_argument("--claims", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.claims < HOT_SPOT_CLAIMS:
        parser.error(f"--claims must be at least {HOT_SPOT_CLAIMS}")
    took = generate(args.database_url, args.settlements, args.claims, args.seed)
    print(
        f"generated {args.settlements} settlements, {args.claims} claims in {took['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
