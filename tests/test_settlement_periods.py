"""A settlement's timeline list: its periods newest first, in pages, like every other list."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise

import pytest

from app.claims import service as claims_service
from app.claims.models import ControlStatus
from app.claims.schemas import ClaimIn
from app.settlements import service as settlements_service
from app.sources import service as sources_service
from app.status.service import PERIODS_PAGE

# Claims whose status flips each time: one period per claim.
FLIPS = 60
PERIODS_LIST = re.compile(r'<ol class="intervals" id="settlement-periods">(.*?)</ol>', re.S)
PERIOD = re.compile(r"<span>([^<]+) – ([^<]+)</span>")
PERIODS_NEXT = re.compile(r'<a rel="next" class="pager__next" href="([^"]*periods=[^"]+)"')
PERIODS_COUNT = re.compile(
    r'id="settlement-periods-pager"[^>]*>\s*<span class="pager__count">([^<]*)</span>'
)


@pytest.fixture
def flipping(fresh_db) -> None:
    """FLIPS claims about Oleshnya, ten days apart, saying Russian and Ukrainian control in
    turn (from 2023 on: before the demo data's own claims about it)."""
    with fresh_db.writing() as session:
        settlement = settlements_service.get_by_slug(session, "oleshnya")
        source = sources_service.get_by_slug(session, "isw")
        for i in range(FLIPS):
            status = ControlStatus.russian_control if i % 2 else ControlStatus.ukrainian_control
            claims_service.add(
                session,
                ClaimIn(
                    settlement="oleshnya",
                    source="isw",
                    status=status,
                    as_of=date(2023, 1, 1) + timedelta(days=10 * i),
                ),
                settlement=settlement,
                source=source,
                approve=True,
            )


def periods_of(html: str) -> list[tuple[str, str]]:
    return PERIOD.findall(PERIODS_LIST.search(html).group(1))


def test_the_timeline_lists_its_newest_periods_first_and_pages_the_rest(fresh_client, flipping):
    first = fresh_client.get("/settlements/oleshnya").text
    shown = periods_of(first)
    assert len(shown) == PERIODS_PAGE
    # Newest first: the current period ends "now".
    assert shown[0][1].startswith("now")
    total = int(PERIODS_COUNT.search(first).group(1).split(" of ")[1].split()[0])
    assert total > FLIPS
    assert PERIODS_COUNT.search(first).group(1) == f"1–{PERIODS_PAGE} of {total} periods"
    # The strip above still draws every period, and says how many there are.
    assert f"{total} periods (listed below)" in first

    seen = list(shown)
    page = first
    while found := PERIODS_NEXT.search(page):
        page = fresh_client.get(found.group(1).split("#")[0].replace("&amp;", "&")).text
        seen += periods_of(page)
        assert len(seen) <= total
    assert len(seen) == len(set(seen)) == total
    # Each period starts where the one after it (older) ended.
    assert all(newer[0] == older[1] for newer, older in pairwise(seen))


def test_more_periods_come_as_the_list_block_for_htmx(fresh_client, flipping):
    first = fresh_client.get("/settlements/oleshnya").text
    next_url = PERIODS_NEXT.search(first).group(1).split("#")[0].replace("&amp;", "&")
    fragment = fresh_client.get(
        next_url, headers={"HX-Request": "true", "HX-Target": "settlement-periods"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<h1" not in fragment.text
    assert len(periods_of(fragment.text)) == PERIODS_PAGE
    assert 'id="settlement-periods-pager"' in fragment.text
    # The claims below keep their own pages: the periods' cursor is not theirs.
    assert "after=" not in next_url


def test_a_short_timeline_has_no_pager(client):
    page = client.get("/settlements/guyevo").text
    assert periods_of(page)
    assert 'id="settlement-periods-pager"' not in page


@pytest.mark.parametrize("cursor", ["!!!", "LTczOTQzMA,x", "A" * 3000, "MjAyNS0wMS0wMQ"])
def test_a_bad_periods_cursor_is_a_422_naming_it(client, cursor):
    response = client.get("/settlements/guyevo", params={"periods": cursor})
    assert response.status_code == 422
    assert "periods" in response.text


def test_the_periods_read_in_the_readers_language(fresh_client, flipping):
    page = fresh_client.get("/settlements/oleshnya?lang=uk").text
    assert "періодів" in PERIODS_COUNT.search(page).group(1)
    assert "(список нижче)" in page


def test_without_javascript_each_list_keeps_where_the_other_stands(
    fresh_client, flipping, fresh_db
):
    # Enough claims about Oleshnya for a second page of claims too: 60 more, one a day in
    # 2022, all saying the same (one more period).
    with fresh_db.writing() as session:
        settlement = settlements_service.get_by_slug(session, "oleshnya")
        source = sources_service.get_by_slug(session, "isw")
        for i in range(60):
            claims_service.add(
                session,
                ClaimIn(
                    settlement="oleshnya",
                    source="isw",
                    status=ControlStatus.russian_control,
                    as_of=date(2022, 1, 1) + timedelta(days=i),
                ),
                settlement=settlement,
                source=source,
                approve=True,
            )
    first = fresh_client.get("/settlements/oleshnya").text
    periods_next = PERIODS_NEXT.search(first).group(1).split("#")[0].replace("&amp;", "&")
    second_periods = fresh_client.get(periods_next).text
    claims_next = re.search(
        r'id="settlement-claims-pager".*?<a rel="next" class="pager__next" href="([^"]+)"',
        second_periods,
        re.S,
    )
    assert claims_next is not None
    claims_url = claims_next.group(1).split("#")[0].replace("&amp;", "&")
    # The claims' next page keeps the periods where they were, and the other way round.
    assert "periods=" in claims_url and "after=" in claims_url
    both = fresh_client.get(claims_url).text
    assert periods_of(both) == periods_of(second_periods)
    periods_again = PERIODS_NEXT.search(both).group(1).replace("&amp;", "&")
    assert "after=" in periods_again
