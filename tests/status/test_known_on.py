"""Two time axes: what held on a date as known now, and what had been reported by then.

DeepState's map of 8 August 2024 showing Sverdlikovo held by Ukraine was published on the 9th:
as reported on the 8th, nobody had said anything about Sverdlikovo yet.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import date

import pytest

from app import dates
from tests.helpers import correct_guyevo_recapture, text_of


def status_rows(client, query: str) -> dict[str, dict[str, str]]:
    text = client.get(f"/export/status.csv?{query}").text
    return {row["settlement"]: row for row in csv.DictReader(io.StringIO(text))}


def test_as_known_now_the_report_counts_for_the_day_it_is_about(client):
    assert status_rows(client, "as_of=2024-08-08")["sverdlikovo"]["status"] == "ukrainian_control"


def test_as_reported_then_a_claim_counts_from_the_day_it_was_published(client):
    assert status_rows(client, "as_of=2024-08-08&known_on=2024-08-08")["sverdlikovo"]["status"] == (
        "unknown"
    )
    assert status_rows(client, "as_of=2024-08-08&known_on=2024-08-09")["sverdlikovo"]["status"] == (
        "ukrainian_control"
    )


def test_a_knowledge_date_of_today_is_everything_known_now(client):
    today = dates.today().isoformat()
    assert client.get(f"/export/status.csv?as_of=2025-04-08&known_on={today}").text == (
        client.get("/export/status.csv?as_of=2025-04-08").text
    )


def test_the_claims_export_keeps_what_was_published_by_then(client):
    def sverdlikovo_claims(query: str) -> list[dict[str, str]]:
        text = client.get(f"/export/claims.csv?settlement=sverdlikovo&{query}").text
        return list(csv.DictReader(io.StringIO(text)))

    assert sverdlikovo_claims("known_on=2024-08-08") == []
    (deepstate,) = sverdlikovo_claims("known_on=2024-08-09&until=2024-08-08")
    assert (deepstate["source"], deepstate["published_on"]) == ("deepstate", "2024-08-09")


def test_the_api_says_which_view_it_answers(client):
    page = client.get("/api/v1/status?as_of=2024-08-08&known_on=2024-08-08").json()
    assert page["known_on"] == "2024-08-08"
    sverdlikovo = next(item for item in page["items"] if item["settlement"] == "sverdlikovo")
    assert (sverdlikovo["status"], sverdlikovo["reason"]) == ("unknown", "no_claims")
    assert client.get("/api/v1/status?as_of=2024-08-08").json()["known_on"] is None


def test_the_settlement_page_says_it_shows_what_was_reported_then(client):
    body = text_of(client.get("/settlements/sverdlikovo?as_of=2024-08-08&view=reported").text)
    assert "As reported by 8 Aug 2024" in body
    assert "Unknown" in body
    assert "published after 8 Aug 2024 not shown" in body
    body = text_of(client.get("/settlements/sverdlikovo?as_of=2024-08-09&view=reported").text)
    assert "DeepState" in body


def test_links_carry_the_knowledge_date(client):
    html = client.get("/?as_of=2024-08-20&known_on=2024-08-15").text
    assert 'href="/settlements?as_of=2024-08-20&amp;known_on=2024-08-15&amp;lang=en"' in html
    assert "as known on 15 Aug 2024" in text_of(html)


@pytest.mark.parametrize("value", ["2099-01-01", "1999-12-31", "2025-02-30", "yesterday"])
@pytest.mark.parametrize("path", ["/", "/export/status.csv", "/api/v1/status", "/map"])
def test_a_knowledge_date_outside_the_calendar_is_refused_naming_it(client, path, value):
    response = client.get(path, params={"known_on": value})
    assert response.status_code == 422
    assert "known_on" in response.text


def test_the_command_line_exports_as_reported_then(demo_url):
    def export(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "export", "status", *args],
            capture_output=True,
            text=True,
            env={"KT_DATABASE_URL": demo_url, "PATH": "/usr/bin:/bin"},
            check=True,
        )
        return next(line for line in result.stdout.splitlines() if line.startswith("sverdlikovo,"))

    assert ",unknown," in export("--as-of", "2024-08-08", "--known-on", "2024-08-08")
    assert ",ukrainian_control," in export("--as-of", "2024-08-08")


def test_chart_slices_as_reported_then_move_the_knowledge_date_too(client):
    html = client.get("/timeline?as_of=2024-09-01&known_on=2024-09-01").text
    slices = re.findall(r'class="chart__day" href="(/timeline\?[^"]+)"', html)
    links = [s.replace("&amp;", "&") for s in slices if s]
    assert links
    for link in links:
        as_of = re.search(r"as_of=([0-9-]+)", link).group(1)
        assert f"known_on={as_of}" in link, link


def test_the_map_slider_stays_as_reported_then_and_reaches_later_days(client):
    html = client.get("/map?as_of=2024-09-01&known_on=2024-09-01").text
    form = html[html.index('<form class="slider"') : html.index("</form>", html.index('"slider"'))]
    assert 'name="view" value="reported"' in form
    assert 'name="known_on"' not in form
    days = re.search(r'data-days="([^"]+)"', form).group(1).split(",")
    assert max(days) > "2024-09-01"


def test_a_correction_shows_only_once_it_was_published(fresh_client, fresh_db):
    correction_id = correct_guyevo_recapture(fresh_db, published_on=date(2025, 4, 20))
    tag = f"corrected by claim #{correction_id}"
    assert tag not in fresh_client.get("/settlements/guyevo?as_of=2025-04-10&view=reported").text
    assert tag in fresh_client.get("/settlements/guyevo?as_of=2025-04-20&view=reported").text
    assert tag in fresh_client.get("/settlements/guyevo?as_of=2025-04-10").text


@pytest.mark.parametrize(
    ("status", "as_of", "says"),
    [
        ("unknown", date(2025, 3, 1), "this claim says “unknown”"),
        ("contested", date(1990, 5, 1), "outside the calendar the tracker accepts"),
    ],
)
def test_a_claim_the_rule_ignores_says_so_on_its_page(fresh_client, fresh_db, status, as_of, says):
    """Stored before today's checks existed (written here past them): kept, shown, not counted."""
    from sqlalchemy import select

    from app.claims.models import Claim, ReviewState
    from app.settlements.models import Settlement
    from app.sources.models import Source

    with fresh_db.writing() as session:
        claim = Claim(
            settlement=session.scalar(select(Settlement).where(Settlement.slug == "tetkino")),
            source=session.scalar(select(Source).where(Source.slug == "isw")),
            status=status,
            as_of=as_of,
            published_on=as_of,
            review_state=ReviewState.approved,
        )
        session.add(claim)
        session.flush()
        claim_id = claim.id
    body = text_of(fresh_client.get(f"/claims/{claim_id}").text)
    assert "Not counted" in body and says in body
    rows = status_rows(fresh_client, "as_of=2025-04-08")
    assert rows["tetkino"]["status"] == "unknown"  # Tetkino's first claim is of May 2025


def test_area_figures_as_known_on_an_earlier_date_leave_out_later_figures(client):
    """The demo's 58 km² is DeepState's figure of 8 April 2025: not known on 1 March."""
    now = client.get("/", params={"as_of": "2025-04-27"}).text
    then = client.get("/", params={"as_of": "2025-04-27", "known_on": "2025-03-01"}).text
    assert "58 km²" in now
    assert "58 km²" not in then
    assert "8 Apr 2025" not in then.split('id="area-chart-title"')[-1].split("</svg>")[0]
