"""Keyset paging: every list reaches each row exactly once, counts right, old links, bad cursors."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.claims import service as claims_service
from app.claims.models import Claim, ControlStatus, ReviewState
from app.claims.schemas import ClaimIn
from app.filters import ClaimFilters, FilterError, StatusFilters
from app.paging import CursorError, Order, decode_cursor, encode_cursor, page_of_query, page_of_rows
from app.settlements import service as settlements_service
from app.sources import service as sources_service

# Enough claims about one settlement, by one source, for two pages and a bit.
MANY = 230
NEXT_LINK = re.compile(r'<a rel="next" class="pager__next" href="([^"]+)"')
COUNT = re.compile(r'<span class="pager__count">([^<]*)</span>')


@pytest.fixture
def many_claims(fresh_db) -> list[int]:
    """MANY approved claims about Guyevo by TASS, several on each day (ties broken by id)."""
    ids = []
    with fresh_db.writing() as session:
        settlement = settlements_service.get_by_slug(session, "guyevo")
        source = sources_service.get_by_slug(session, "tass")
        for i in range(MANY):
            claim = claims_service.add(
                session,
                ClaimIn(
                    settlement="guyevo",
                    source="tass",
                    status=ControlStatus.russian_control,
                    as_of=date(2024, 9, 1) + timedelta(days=i // 3),
                ),
                settlement=settlement,
                source=source,
                approve=True,
            )
            ids.append(claim.id)
    return ids


def walk(client, path: str) -> tuple[list[int], list[str], list[str]]:
    """Follow a list's "next" links from ``path``: the claim ids seen, the counts, the URLs."""
    seen: list[int] = []
    counts: list[str] = []
    urls = [path]
    while True:
        response = client.get(urls[-1].replace("&amp;", "&"))
        assert response.status_code == 200, response.text
        body = response.text
        seen += [int(i) for i in re.findall(r'<li id="claim-(\d+)"', body)]
        counts += COUNT.findall(body)
        found = NEXT_LINK.search(body)
        if not found:
            return seen, counts, urls
        urls.append(found.group(1).split("#")[0])
        assert len(urls) < 50


@pytest.mark.parametrize("list_path", ["/settlements/guyevo", "/sources/tass"])
def test_paging_through_claims_reaches_every_row_once(
    fresh_client, fresh_db, many_claims, list_path
):
    seen, counts, urls = walk(fresh_client, list_path)
    with fresh_db.read_session() as session:
        stmt = select(Claim.id).where(Claim.review_state == ReviewState.approved)
        column = Claim.settlement_id if "settlements" in list_path else Claim.source_id
        owner = (
            settlements_service.get_by_slug(session, "guyevo")
            if "settlements" in list_path
            else sources_service.get_by_slug(session, "tass")
        )
        expected = set(session.scalars(stmt.where(column == owner.id)))
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert set(many_claims) <= set(seen)
    # Pages of 100, then the rest; the count says where each page sits.
    total = len(expected)
    assert counts[0] == f"1–100 of {total:,} claims"
    assert counts[1] == f"101–200 of {total:,} claims"
    assert all("after=" in url for url in urls[1:])
    # The cursor is the same for the same row: the links are stable.
    assert walk(fresh_client, list_path)[2] == urls


def test_old_page_links_answer_the_same_rows(fresh_client, many_claims):
    by_cursor = fresh_client.get(
        NEXT_LINK.search(fresh_client.get("/settlements/guyevo").text)
        .group(1)
        .replace("&amp;", "&")
    ).text
    by_number = fresh_client.get("/settlements/guyevo?page=2").text
    ids = re.compile(r'<li id="claim-(\d+)"')
    assert ids.findall(by_number) == ids.findall(by_cursor)
    assert len(ids.findall(by_number)) == 100
    assert 'rel="first"' in by_number


def test_the_htmx_more_fragment_is_the_list_block(fresh_client, many_claims):
    first = fresh_client.get("/settlements/guyevo").text
    next_url = NEXT_LINK.search(first).group(1).split("#")[0].replace("&amp;", "&")
    response = fresh_client.get(
        next_url, headers={"HX-Request": "true", "HX-Target": "settlement-claims"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "<h1" not in response.text
    assert response.text.lstrip().startswith("<ol")
    assert 'id="settlement-claims"' in response.text
    assert 'id="settlement-claims-pager"' in response.text
    # Appended under the first page, it counts from the first row.
    assert "1–200 of" in COUNT.search(response.text).group(1)
    # Without HTMX the same link is a whole page.
    assert "<html" in fresh_client.get(next_url).text


BAD_CURSORS = ["!!!", "not-a-cursor", base64.urlsafe_b64encode(b"x,y,z").decode(), "A" * 3000]


@pytest.mark.parametrize(
    "path",
    ["/settlements", "/timeline", "/contested", "/sources/tass", "/settlements/guyevo"],
)
@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_bad_cursor_is_a_422_naming_the_parameter(client, path, cursor):
    response = client.get(path, params={"after": cursor})
    assert response.status_code == 422
    assert "after" in response.text


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_bad_api_cursor_is_a_422_naming_it(client, cursor):
    response = client.get("/api/v1/claims", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "cursor"


def test_an_api_cursor_of_the_old_form_still_works(client):
    old = base64.urlsafe_b64encode(b"2025-03-01,1").decode().rstrip("=")
    response = client.get("/api/v1/claims", params={"cursor": old, "limit": 5})
    assert response.status_code == 200
    assert all(item["as_of"] >= "2025-03-01" for item in response.json()["items"])


def test_api_pages_reach_every_claim_once(client):
    seen = []
    url = "/api/v1/claims?limit=17&district=Sudzhansky"
    while url:
        body = client.get(url).json()
        seen += [item["claim_id"] for item in body["items"]]
        url = body["next"]
    everything = client.get("/api/v1/claims?limit=1000&district=Sudzhansky").json()["items"]
    assert seen == [item["claim_id"] for item in everything]
    assert len(seen) == len(set(seen)) > 17


# --- the helpers on their own, over real rows -----------------------------------------------


def test_query_pages_walk_every_row_once_with_ties(demo_db):
    order = (Order(Claim.as_of, date, descending=True), Order(Claim.id, int, descending=True))
    with demo_db.read_session() as session:
        stmt = select(Claim).where(Claim.review_state == ReviewState.approved)
        expected = [
            c.id for c in session.scalars(stmt.order_by(Claim.as_of.desc(), Claim.id.desc()))
        ]
        seen, after, starts = [], None, []
        while True:
            page = page_of_query(
                session,
                stmt,
                order,
                lambda c: (c.as_of, c.id),
                after=after,
                size=7,
                total=len(expected),
            )
            starts.append(page.start)
            seen += [c.id for c in page.items]
            if page.next_after is None:
                break
            after = page.next_after
    assert seen == expected
    assert starts == list(range(0, len(expected), 7))


def test_status_rows_paged_with_filters(client, demo_db):
    """The directory's filters and its paging together: every matching row once, in order."""
    from app.config import Settings
    from app.status import service as status_service

    settings: Settings = client.app.state.settings
    filters = StatusFilters.parse(as_of="2025-04-08", district="sudzhansky", status="contested")
    with demo_db.read_session() as session:
        filters = filters.checked(session)
        assert filters.district == "Sudzhansky"
        rows = status_service.status_table_for(
            session, settings, filters.as_of, **filters.table_filters()
        )
    key = lambda r: (r.settlement.name, r.settlement.id)  # noqa: E731
    seen, after = [], None
    while True:
        page = page_of_rows(rows, key, (str, int), after=after, size=2)
        seen += [r.settlement.id for r in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [r.settlement.id for r in sorted(rows, key=key)]
    assert all(r.derived.status is ControlStatus.contested for r in rows)


def test_a_cursor_survives_a_removed_row():
    rows = [(f"name {i}", i) for i in range(10)]
    page = page_of_rows(rows, lambda r: r, (str, int), size=4)
    # The last row of the first page disappears: the next page still starts after it.
    rest = [r for r in rows if r != page.items[-1]]
    following = page_of_rows(rest, lambda r: r, (str, int), after=page.next_after, size=4)
    assert following.items[0] == rows[4]
    assert following.start == 3


def test_cursors_round_trip_any_text():
    key = ("Гуево, 'x' %2C", -738000, 12)
    assert decode_cursor(encode_cursor(key), (str, int, int)) == key
    with pytest.raises(CursorError):
        decode_cursor(encode_cursor(key), (date, int))


def test_claim_filters_parse_and_name_the_bad_parameter():
    parsed = ClaimFilters.parse(
        settlement=" guyevo ", side="russia", until="2025-05-01", as_of="2025-04-08"
    )
    assert parsed.settlement == "guyevo"
    assert parsed.until == date(2025, 4, 8)  # the date shown bounds until
    for field, value in [("side", "martian"), ("since", "2025-13-01"), ("verification", "x")]:
        with pytest.raises(FilterError) as caught:
            ClaimFilters.parse(**{field: value})
        assert caught.value.field == field
    with pytest.raises(FilterError) as caught:
        StatusFilters.parse(stale="2")
    assert caught.value.field == "stale"
