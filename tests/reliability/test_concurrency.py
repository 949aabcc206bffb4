"""Many editors at once, reviewers racing, imports colliding: nothing lost, nothing twice."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.claims.models import Claim, ReviewState
from app.db import Database
from tests.helpers import csrf_from, log_in, make_user
from tests.live_server import ROOT

pytestmark = pytest.mark.slow

EDITORS = 16
CLAIMS_EACH = 50


def claim_form(editor: int, n: int, token: str) -> dict[str, str]:
    day = date(2015, 1, 1) + timedelta(days=editor * CLAIMS_EACH + n)
    return {
        "csrf_token": token,
        "settlement": "sudzha",
        "status": "contested",
        "as_of": day.isoformat(),
        "source": "tass",
        "verification": "unverified",
        "summary": f"editor {editor} claim {n}",
    }


def test_sixteen_editors_submitting_fifty_claims_each(fresh_url, serve):
    database = Database(fresh_url)
    for i in range(EDITORS):
        make_user(database, f"editor{i}")
    with database.read_session() as session:
        before = session.scalar(select(func.count()).select_from(Claim))
    server = serve(fresh_url)
    clients = [log_in(server.client(), f"editor{i}") for i in range(EDITORS)]
    tokens = [csrf_from(c, "/claims/new") for c in clients]
    start = threading.Barrier(EDITORS)

    def work(i: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        start.wait()
        for n in range(CLAIMS_EACH):
            response = clients[i].post("/claims/new", data=claim_form(i, n, tokens[i]))
            statuses[response.status_code] += 1
        return statuses

    with ThreadPoolExecutor(EDITORS) as pool:
        results = sum(pool.map(work, range(EDITORS)), Counter())
    sent = EDITORS * CLAIMS_EACH
    print(f"\nsubmissions sent {sent}, answered {dict(results)}")
    assert results == Counter({303: sent})
    with database.read_session() as session:
        stored = session.execute(
            select(Claim.summary, func.count())
            .where(Claim.summary.like("editor %"))
            .group_by(Claim.summary)
        ).all()
        total = session.scalar(select(func.count()).select_from(Claim))
    assert len(stored) == sent and all(count == 1 for _, count in stored)  # each exactly once
    assert total == before + sent
    text = server.log.read_text()
    assert "database is locked" not in text
    assert " 500 " not in text
    database.dispose()


def test_two_reviewers_deciding_at_the_same_instant(fresh_url, serve):
    database = Database(fresh_url)
    make_user(database, "erin")
    make_user(database, "rita", "reviewer")
    make_user(database, "ravi", "reviewer")
    rounds = 12
    server = serve(fresh_url)
    erin = log_in(server.client(), "erin")
    token = csrf_from(erin, "/claims/new")
    ids = []
    for n in range(rounds):
        response = erin.post("/claims/new", data=claim_form(EDITORS, n, token))
        ids.append(int(response.headers["location"].rsplit("/", 1)[1]))
    reviewers = [log_in(server.client(), "rita"), log_in(server.client(), "ravi")]
    tokens = [csrf_from(r, "/review") for r in reviewers]
    outcomes = []
    for claim_id in ids:
        barrier = threading.Barrier(2)

        def decide(k: int, claim_id: int = claim_id, barrier: threading.Barrier = barrier) -> int:
            action = "approve" if k == 0 else "reject"
            barrier.wait()
            response = reviewers[k].post(
                f"/claims/{claim_id}/{action}",
                data={"csrf_token": tokens[k], "version": "1"},
            )
            return response.status_code

        with ThreadPoolExecutor(2) as pool:
            outcomes.append(sorted(pool.map(decide, range(2))))
    assert outcomes == [[303, 409]] * rounds
    with database.read_session() as session:
        states = session.scalars(select(Claim.review_state).where(Claim.id.in_(ids))).all()
        versions = session.scalars(select(Claim.version).where(Claim.id.in_(ids))).all()
    assert ReviewState.pending not in states
    assert set(versions) == {2}  # decided exactly once
    database.dispose()


def test_two_imports_of_the_same_file_at_once_store_it_once(fresh_url, tmp_path):
    from tests.helpers import HEADER, csv_bytes, good_rows

    path = tmp_path / "same.csv"
    path.write_bytes(csv_bytes([HEADER, *good_rows(2000)]))
    env = {"KT_DATABASE_URL": fresh_url}
    import os

    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "import", str(path), "--approve"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [c.communicate(timeout=300) for c in commands]
    assert [c.returncode for c in commands] == [0, 0], outputs
    added = sorted(int(out.split("added ")[1].split()[0]) for out, _ in outputs)
    assert added == [0, 2000]
    database = Database(fresh_url)
    with database.read_session() as session:
        stored = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.summary.like("Row %"))
        )
    assert stored == 2000
    database.dispose()
