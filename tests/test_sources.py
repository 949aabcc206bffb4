"""Sources: their claims, their track record, and a reliability grade reviewers keep."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import AuditEvent
from app.claims.models import ControlStatus, Verification
from app.sources.models import Source
from app.sources.track_record import Confirmations, JudgedClaim, Outcome, judge
from app.status.derive import Derived, Reason
from tests.helpers import csrf_from, snapshot, text_of


def test_source_page_shows_the_track_record(client):
    body = text_of(client.get("/sources/russia-mod").text)
    assert "Track record" in body
    assert "55 borne out 30 days later" in body
    assert "11 contradicted 30 days later" in body  # e.g. Oleshnya, 19 Apr 2025
    assert "Of 67 approved claims" in body


def test_sources_list_has_every_source_with_side_and_grade(client):
    html = client.get("/sources").text
    assert html.count("<tr>") == 31  # header row and 30 sources
    assert "Institute for the Study of War" in html
    assert 'class="grade grade--F"' in html
    # The Admiralty letter with its meaning: a bare "F" reads as "fail".
    assert 'grade--F">F</span> not yet judged' in html


def test_unknown_source_is_404(client):
    assert client.get("/sources/rumour-mill").status_code == 404


def test_unknown_source_is_said_in_the_pages_language(client):
    response = client.get("/sources/rumour-mill?lang=uk")
    assert response.status_code == 404
    assert "Джерела «rumour-mill» тут немає." in response.text


def test_a_source_page_as_known_on_an_earlier_date(client, demo_db):
    """Its claims are those published by the knowledge date, and its download is that view."""
    import html as html_module
    import re

    from app.claims.models import Claim

    page = client.get("/sources/russia-mod?as_of=2025-04-08&known_on=2024-09-01").text
    shown = {int(n) for n in re.findall(r'href="/claims/(\d+)', page)}
    assert shown
    with demo_db.read_session() as session:
        published = dict(
            session.execute(select(Claim.id, Claim.published_on).where(Claim.id.in_(shown))).all()
        )
    assert max(published.values()) <= date(2024, 9, 1)
    assert "Claims up to 8 Apr 2025 (66)" not in text_of(page)
    link = re.search(r'<a href="(/export/claims.csv[^"]*)"', page)[1]
    link = html_module.unescape(link)
    assert "source=russia-mod" in link
    assert "as_of=2025-04-08" in link and "known_on=2024-09-01" in link
    exported = client.get(link).text.splitlines()
    assert 1 < len(exported) <= len(shown) + 1


def test_reviewer_sets_a_grade_and_it_is_audited(reviewer, fresh_db):
    token = csrf_from(reviewer, "/sources/reuters")
    response = reviewer.post(
        "/sources/reuters/reliability",
        data={"reliability": "B", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with fresh_db.read_session() as session:
        assert (
            session.scalar(select(Source.reliability).where(Source.slug == "reuters")).value == "B"
        )
        event = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event.action == "source.reliability"
        assert event.before == {"reliability": "F"} and event.after == {"reliability": "B"}


def test_editors_cannot_grade_and_bad_grades_are_refused(editor, reviewer, fresh_db):
    before = snapshot(fresh_db)
    token = csrf_from(editor, "/sources/reuters")
    assert (
        editor.post(
            "/sources/reuters/reliability", data={"reliability": "A", "csrf_token": token}
        ).status_code
        == 403
    )
    token = csrf_from(reviewer, "/sources/reuters")
    for grade in ("G", "", "AA", "'; --"):
        response = reviewer.post(
            "/sources/reuters/reliability", data={"reliability": grade, "csrf_token": token}
        )
        assert response.status_code == 422
    assert snapshot(fresh_db) == before


def _claim(**changes) -> JudgedClaim:
    values = dict(
        id=1,
        settlement_id=1,
        source_id=1,
        status=ControlStatus.russian_control,
        as_of=date(2025, 3, 1),
        verification=Verification.unverified,
    )
    values.update(changes)
    return JudgedClaim(**values)


def _status(status: ControlStatus):
    return lambda _settlement, _day: Derived(status=status, reason=Reason.latest)


class TestJudge:
    TODAY = date(2025, 6, 1)

    def test_own_verification_decides(self):
        assert (
            judge(
                _claim(verification=Verification.confirmed),
                [],
                _status(ControlStatus.unknown),
                self.TODAY,
            )
            == Outcome.confirmed
        )
        assert (
            judge(
                _claim(verification=Verification.refuted),
                [],
                _status(ControlStatus.unknown),
                self.TODAY,
            )
            == Outcome.refuted
        )

    def test_a_later_confirmed_claim_of_another_source(self):
        agree = _claim(
            id=2, source_id=2, as_of=date(2025, 3, 20), verification=Verification.confirmed
        )
        disagree = _claim(
            id=3,
            source_id=2,
            as_of=date(2025, 3, 25),
            status=ControlStatus.contested,
            verification=Verification.confirmed,
        )
        assert (
            judge(_claim(), Confirmations([agree]), _status(ControlStatus.unknown), self.TODAY)
            == Outcome.confirmed
        )
        assert (
            judge(
                _claim(),
                Confirmations([agree, disagree]),
                _status(ControlStatus.unknown),
                self.TODAY,
            )
            == Outcome.refuted
        )

    def test_confirmations_too_late_or_of_the_same_source_do_not_count(self):
        late = _claim(
            id=2,
            source_id=2,
            as_of=date(2025, 4, 15),
            verification=Verification.confirmed,
            status=ControlStatus.contested,
        )
        own = _claim(
            id=3,
            source_id=1,
            as_of=date(2025, 3, 5),
            verification=Verification.confirmed,
            status=ControlStatus.contested,
        )
        assert (
            judge(
                _claim(),
                Confirmations([late, own]),
                _status(ControlStatus.russian_control),
                self.TODAY,
            )
            == Outcome.borne_out
        )

    def test_derived_status_thirty_days_later(self):
        assert (
            judge(_claim(), Confirmations([]), _status(ControlStatus.contested), self.TODAY)
            == Outcome.contradicted
        )

    def test_too_recent(self):
        assert (
            judge(
                _claim(as_of=date(2025, 5, 20)),
                Confirmations([]),
                _status(ControlStatus.contested),
                self.TODAY,
            )
            == Outcome.too_recent
        )
