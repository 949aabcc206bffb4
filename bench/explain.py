"""Print the SQLite query plans of the hot queries, as bench/README.md quotes them.

python bench/explain.py bench/work/bench-5000-500000.db
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import sqlite

from app.claims import service as claims_service
from app.claims.models import Claim, ReviewState
from app.status import service as status_service
from app.status.models import DerivedMark, StatusChange

DAY = date(2025, 6, 1)


def queries() -> dict[str, Select]:
    return {
        "status derivation facts (status_service.facts_query)": status_service.facts_query(),
        "claims export (claims_service.export_query)": claims_service.export_query(),
        "dashboard's latest claims (claims_service.latest_approved)": select(Claim)
        .where(Claim.review_state == ReviewState.approved, Claim.as_of <= DAY)
        .order_by(Claim.as_of.desc(), Claim.id.desc())
        .limit(6),
        "one settlement's claims (claims_service.claims_of_settlement)": select(Claim)
        .where(
            Claim.settlement_id == 1, Claim.review_state == ReviewState.approved, Claim.as_of <= DAY
        )
        .order_by(Claim.as_of.desc(), Claim.published_on.desc(), Claim.id.desc())
        .limit(100),
        "settlements derived again since a cache was built (freshness.settlements_derived_since)": (
            select(DerivedMark.settlement_id).where(DerivedMark.revision > 10)
        ),
        "since when, every settlement (status_service.PersistedChanges.since_by_settlement)": (
            select(StatusChange.settlement_id, func.max(StatusChange.day))
            .where(StatusChange.day <= DAY)
            .group_by(StatusChange.settlement_id)
        ),
        "corrections of listed claims (claims_service.superseded_ids)": select(
            Claim.supersedes_id, Claim.id, Claim.review_state
        ).where(Claim.supersedes_id.in_([1, 2, 3])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="a SQLite file made by bench/generate.py")
    path = parser.parse_args().database
    connection = sqlite3.connect(path)
    for name, stmt in queries().items():
        sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        print(f"### {name}\n\n```")
        for row in connection.execute("EXPLAIN QUERY PLAN " + sql):
            print(row[3])
        print("```\n")


if __name__ == "__main__":
    main()
