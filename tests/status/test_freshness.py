"""app/freshness.py's invariants: every write is seen by everything derived from claims.

Each test warms the caches (pages, the region's history), writes in a way the tracker's old
incremental rebuild did not see (a source's side, a claim edited in place, a settlement
renamed, a bulk delete), and checks that pages, the persisted status changes and the cached
history all equal what deriving from scratch gives.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.claims import service as claims_service
from app.claims.models import Claim, ReviewState
from app.domain import ControlStatus, Side
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status import service as status_service
from app.status.models import PublicationDay, StatusChange
from tests.helpers import (
    WINDOW,
    add_claim,
    assert_persisted_changes_match_history,
    history_from_scratch,
    make_user,
)

DAYS = [date(2024, 8, 20), date(2025, 3, 13), date(2025, 4, 8), date(2025, 4, 27)]


def status_csv(client, day: date) -> dict[str, dict[str, str]]:
    text = client.get(f"/export/status.csv?as_of={day.isoformat()}").text
    return {row["settlement"]: row for row in csv.DictReader(io.StringIO(text))}


def warm(client, database) -> dict[date, dict[str, dict[str, str]]]:
    """Render what readers see, and build the region's history as known now."""
    shown = {day: status_csv(client, day) for day in DAYS}
    for day in DAYS:
        assert client.get(f"/?as_of={day.isoformat()}").status_code == 200
    with database.read_session() as session:
        status_service.region_history(session, WINDOW)
        status_service.publication_days(session)
    return shown


def assert_publication_days_match_the_claims(database) -> None:
    """The persisted publication days are, row for row, what the approved claims say now
    (each settlement's days, each with the longest delay of that day's claims), and so are
    the date bar's steps as reported then and how late a claim came."""
    with database.read_session() as session:
        approved = session.execute(
            select(Claim.settlement_id, Claim.published_on, Claim.as_of).where(
                Claim.review_state == ReviewState.approved
            )
        ).all()
        expected: dict[tuple[int, date], int] = {}
        for settlement_id, published, day in approved:
            key = (settlement_id, published)
            expected[key] = max(expected.get(key, 0), (published - day).days)
        stored = session.execute(
            select(PublicationDay.settlement_id, PublicationDay.day, PublicationDay.delay)
        ).all()
        assert {(s, d): delay for s, d, delay in stored} == expected
        assert status_service.publication_days(session) == tuple(sorted({d for _s, d in expected}))
        assert status_service.publication_delay(session) == max(expected.values(), default=0)


def assert_everything_fresh(client, database) -> None:
    assert_persisted_changes_match_history(database, DAYS)
    assert_publication_days_match_the_claims(database)
    expected = history_from_scratch(database, None)
    with database.read_session() as session:
        cached = status_service.region_history(session, WINDOW)
        slugs = dict(session.execute(select(Settlement.slug, Settlement.id)).all())
    assert [(e.day, e.settlement_id, e.after) for e in cached.events] == [
        (e.day, e.settlement_id, e.after) for e in expected.events
    ]
    for day in DAYS:
        shown = status_csv(client, day)
        for slug, row in shown.items():
            derived, _since = expected.on(slugs[slug], day)
            assert row["status"] == derived.status.value, (slug, day)


def test_a_source_changing_side_changes_the_statuses_it_decided(fresh_client, fresh_db):
    before = warm(fresh_client, fresh_db)
    with fresh_db.writing() as session:
        ria = session.scalars(select(Source).where(Source.side == Side.russia)).all()
        for source in ria:
            source.side = Side.ukraine  # every Russian source now counts as Ukrainian
    assert_everything_fresh(fresh_client, fresh_db)
    after = {day: status_csv(fresh_client, day) for day in DAYS}
    assert after != before  # Russia's and Ukraine's words no longer conflict


def test_a_claim_edited_in_place_is_derived_again(fresh_client, fresh_db):
    """Claims change by insert or review in the tracker; an edit in place is seen anyway."""
    warm(fresh_client, fresh_db)
    with fresh_db.writing() as session:
        sudzha = session.scalar(select(Settlement).where(Settlement.slug == "sudzha"))
        claims = session.scalars(
            select(Claim).where(Claim.settlement_id == sudzha.id, Claim.as_of <= DAYS[0])
        ).all()
        for claim in claims:
            claim.status = ControlStatus.russian_control
            claim.published_on = DAYS[0]  # reported later than it was
    assert_everything_fresh(fresh_client, fresh_db)
    assert status_csv(fresh_client, DAYS[0])["sudzha"]["status"] == "russian_control"


def test_a_renamed_settlement_shows_its_new_name(fresh_client, fresh_db):
    warm(fresh_client, fresh_db)
    with fresh_db.writing() as session:
        guyevo = session.scalar(select(Settlement).where(Settlement.slug == "guyevo"))
        guyevo.name = "Guyevo (renamed)"
    page = fresh_client.get("/settlements?q=guyevo")
    assert "Guyevo (renamed)" in page.text
    assert "Guyevo (renamed)" in fresh_client.get("/export/status.csv").text
    assert_everything_fresh(fresh_client, fresh_db)


def test_a_bulk_delete_of_claims_derives_everything_again(fresh_client, fresh_db):
    warm(fresh_client, fresh_db)
    with fresh_db.writing() as session:
        session.execute(delete(Claim).where(Claim.as_of > date(2025, 3, 1)))
    assert_everything_fresh(fresh_client, fresh_db)


def test_a_rolled_back_write_leaves_the_status_changes_as_they_were(fresh_db):
    with fresh_db.read_session() as session:
        stored = session.scalar(select(func.count()).select_from(StatusChange))
    with pytest.raises(RuntimeError), fresh_db.writing() as session:
        session.execute(delete(Claim))
        raise RuntimeError("changed my mind")
    with fresh_db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(StatusChange)) == stored
    assert stored
    assert_publication_days_match_the_claims(fresh_db)


def test_a_late_claim_counts_once_a_reviewer_approves_it(fresh_client, fresh_db):
    """A claim published on a day no other was, long after its date: pending, it changes
    nothing; once a reviewer approves it, the date bar as reported then steps to that day and
    the search for late claims reaches back that far."""
    warm(fresh_client, fresh_db)
    late = date(2025, 5, 30)
    with fresh_db.read_session() as session:
        assert late not in status_service.publication_days(session)
        delay_before = status_service.publication_delay(session)
        source = session.scalars(select(Source.slug).order_by(Source.id)).first()
    editor = make_user(fresh_db, "erin")
    reviewer = make_user(fresh_db, "rita", "reviewer")
    claim_id = add_claim(
        fresh_db,
        settlement="sudzha",
        source=source,
        status="contested",
        as_of=date(2025, 1, 2),
        published_on=late,
        approve=False,
        submitted_by_id=editor,
    )
    assert_everything_fresh(fresh_client, fresh_db)
    with fresh_db.read_session() as session:
        assert late not in status_service.publication_days(session)
    with fresh_db.writing() as session:
        claims_service.decide(
            session, claim_id, reviewer=session.get(User, reviewer), approve=True, version=None
        )
    assert_everything_fresh(fresh_client, fresh_db)
    with fresh_db.read_session() as session:
        assert late in status_service.publication_days(session)
        assert status_service.publication_delay(session) == max(delay_before, 148)


def test_reader_pages_show_claims_and_sources_as_of_the_latest_write(fresh_client, fresh_db):
    """The plain claim records, counts, contested rows, date bar steps and latest claims that
    uncached pages keep per revision: a write is on the next page, with or without the page
    cache (an editor's request renders, a reader's is keyed on the revision)."""
    pages = ["/", "/contested", "/settlements/sudzha", "/settlements/guyevo"]
    before = {page: fresh_client.get(page).text for page in pages}
    with fresh_db.read_session() as session:
        summaries = "\n".join(session.scalars(select(Claim.summary)))
        # Names that only a source's own mention can put on a page (none is in a summary).
        names = [n for n in session.scalars(select(Source.name)) if n not in summaries]
    shown = {page: [n for n in names if n in text] for page, text in before.items()}
    assert all(shown.values()), shown  # each page names some source
    with fresh_db.writing() as session:
        for source in session.scalars(select(Source)):
            source.name = f"{source.name} (renamed)"
        sudzha = session.scalar(select(Settlement).where(Settlement.slug == "sudzha"))
        newest = session.scalars(
            select(Claim)
            .where(Claim.settlement_id == sudzha.id)
            .order_by(Claim.as_of.desc(), Claim.id.desc())
        ).first()
        newest.summary = "Edited in place after the page was kept."
    for page in pages:
        text = fresh_client.get(page).text
        for name in shown[page]:
            assert f"{name} (renamed)" in text, (page, name)
    assert (
        "Edited in place after the page was kept." in fresh_client.get("/settlements/sudzha").text
    )

    # A new approved claim: the dashboard's latest claims and its date bar's steps.
    today = date.today()
    add_claim(
        fresh_db,
        settlement="guyevo",
        source="reuters",
        status="ukrainian_control",
        as_of=today,
        summary="The newest word on Guyevo.",
    )
    assert "The newest word on Guyevo." in fresh_client.get("/").text
    assert "The newest word on Guyevo." in fresh_client.get("/settlements/guyevo").text
    assert_everything_fresh(fresh_client, fresh_db)
