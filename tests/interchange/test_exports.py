"""CSV downloads: exact headers, streamed, formula-safe, filtered."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.helpers import CONTESTED_ON_2025_04_08, add_claim

CLAIMS_HEADER = (
    "claim_id,settlement,settlement_name,status,as_of,published_on,"
    "source,source_side,source_url,verification,summary,supersedes"
)
SETTLEMENTS_HEADER = "slug,name,name_uk,name_ru,aliases,district,region,lat,lon,location_precision"
STATUS_HEADER = (
    "settlement,name,district,lat,lon,status,since,confidence,latest_claim_as_of,"
    "location_precision,reason,days_since_latest_claim,stale"
)


PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("/export/claims.csv", CLAIMS_HEADER),
        ("/export/settlements.csv", SETTLEMENTS_HEADER),
        ("/export/status.csv", STATUS_HEADER),
    ],
)
def test_exact_header_utf8_crlf_attachment(client, path, header):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    text = response.content.decode("utf-8")
    assert text.split("\r\n", 1)[0] == header
    assert text.endswith("\r\n")


def test_claims_export_has_every_approved_demo_claim(client):
    rows = rows_of(client.get("/export/claims.csv"))
    assert len(rows) == 169
    guyevo = [r for r in rows if r["settlement"] == "guyevo"]
    assert [r["as_of"] for r in guyevo] == [
        "2024-08-10",
        "2024-08-11",
        "2025-02-02",
        "2025-04-03",
        "2025-04-06",
        "2025-04-08",
    ]
    assert guyevo[0]["source_side"] == "neutral"
    assert guyevo[5]["verification"] == "geolocated"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"settlement": "gornal"}, 11),
        ({"source": "deepstate"}, 16),
        ({"since": "2025-04-20"}, 10),
        ({"until": "2024-08-31"}, 43),
        ({"since": "2025-04-26", "until": "2025-04-26", "settlement": "gornal"}, 4),
        ({"settlement": "atlantis"}, 0),
    ],
)
def test_claims_export_filters(client, params, expected):
    assert len(rows_of(client.get("/export/claims.csv", params=params))) == expected


@pytest.mark.parametrize("param", ["since", "until"])
def test_bad_filter_dates_are_refused_naming_the_field(client, param):
    response = client.get("/export/claims.csv", params={param: "2025-13-01"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == param


def test_status_export_on_a_date(client):
    rows = {r["settlement"]: r for r in rows_of(client.get("/export/status.csv?as_of=2025-04-08"))}
    assert rows["guyevo"]["status"] == "russian_control"
    assert rows["guyevo"]["confidence"] == "medium"
    assert rows["guyevo"]["since"] == "2025-04-08"  # the first claim of its recapture
    assert rows["guyevo"]["latest_claim_as_of"] == "2025-04-08"
    assert rows["gornal"]["status"] == "contested"
    assert rows["makhnovka"]["lat"] == ""
    # Tetkino's first claim is of May 2025: nothing is known of it on this date.
    assert rows["tetkino"] == {
        **rows["tetkino"],
        "status": "unknown",
        "since": "",
        "confidence": "",
    }
    assert client.get("/export/status.csv?as_of=2025-02-30").status_code == 422


def test_status_export_filename_carries_the_date(client):
    disposition = client.get("/export/status.csv?as_of=2025-04-08").headers["content-disposition"]
    assert disposition == 'attachment; filename="status-2025-04-08.csv"'


def test_settlements_export_joins_aliases(client):
    rows = {r["slug"]: r for r in rows_of(client.get("/export/settlements.csv"))}
    assert rows["guyevo"]["aliases"] == "Guevo|Huieve|Huievo|Gujewo"
    assert rows["guyevo"]["name_ru"] == "Гуево"
    assert rows["sudzha"]["lat"] == "51.1914"


def test_formula_cells_are_escaped_in_the_claims_export(fresh_client, fresh_db):
    add_claim(
        fresh_db,
        settlement="sudzha",
        source="tass",
        status="contested",
        as_of=date(2025, 3, 1),
        summary='=HYPERLINK("http://evil.example","click")',
    )
    rows = rows_of(fresh_client.get("/export/claims.csv?settlement=sudzha"))
    (evil,) = [r for r in rows if "HYPERLINK" in r["summary"]]
    assert evil["summary"] == '\'=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"side": "neutral"}, 31),
        ({"side": "ukraine"}, 27),
        ({"status": "contested"}, 89),
        ({"verification": "geolocated"}, 12),
        ({"district": "Korenevsky"}, 18),
        ({"side": "russia", "status": "russian_control", "since": "2025-04-01"}, 5),
    ],
)
def test_claims_export_more_filters(client, params, expected):
    rows = rows_of(client.get("/export/claims.csv", params=params))
    assert len(rows) == expected
    for key in ("status", "verification"):
        if key in params:
            assert {r[key] for r in rows} == {params[key]}
    if "side" in params:
        assert {r["source_side"] for r in rows} == {params["side"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"side": "martians"}, "side"),
        ({"status": "liberated"}, "status"),
        ({"verification": "maybe"}, "verification"),
        ({"as_of": "yesterday"}, "as_of"),
    ],
)
def test_claims_export_refuses_bad_filters_naming_them(client, params, field):
    response = client.get("/export/claims.csv", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            # Contested even when the reports are old (stale): silence does not end a fight.
            {"as_of": "2025-04-08", "status": "contested"},
            set(CONTESTED_ON_2025_04_08),
        ),
        (
            {"as_of": "2025-04-08", "district": "Korenevsky"},
            {
                "korenevo",
                "snagost",
                "krasnooktyabrskoye",
                "gordeyevka",
                "apanasovka",
                "lyubimovka",
                "olgovka",
            },
        ),
        ({"as_of": "2025-04-08", "q": "локня"}, {"malaya-loknya", "kazachya-loknya"}),
    ],
)
def test_status_exports_filter(client, params, expected):
    rows = rows_of(client.get("/export/status.csv", params=params))
    assert {r["settlement"] for r in rows} == expected
    geo = client.get("/export/status.geojson", params=params).json()
    placed = {f["properties"]["settlement"] for f in geo["features"]}
    assert placed | set() <= expected
    assert len(placed) + geo["skipped"] == len(expected)


def test_status_export_refuses_bad_status(client):
    response = client.get("/export/status.csv?status=liberated")
    assert response.status_code == 422


def test_formula_cells_escaped_in_every_csv(fresh_client, fresh_db):
    """A settlement whose names start with formula characters, and a claim about it."""
    from app.interchange.importer import commit_import

    settlements = (
        b"slug,name,name_uk,name_ru,aliases,district,region,lat,lon\r\n"
        b"evil,=cmd|' /C calc'!A0,+1,-2,@SUM(A1),=district,Kursk,51.0,35.0\r\n"
    )
    claims = b"settlement,status,as_of,source,summary\r\nevil,contested,2025-01-01,tass,@run\r\n"
    with fresh_db.writing() as session:
        commit_import(session, settlements, user=None, approve=True)
    with fresh_db.writing() as session:
        commit_import(session, claims, user=None, approve=True)

    def cells(path: str) -> list[str]:
        rows = rows_of(fresh_client.get(path))
        return [v for r in rows for v in r.values() if v]

    for path in (
        "/export/claims.csv",
        "/export/settlements.csv",
        "/export/status.csv?as_of=2025-02-01",
    ):
        values = cells(path)
        assert values, path
        formulas = [v for v in values if v[0] in "=+-@\t\r" and not PLAIN_NUMBER.fullmatch(v)]
        assert not formulas, path
    settlements_rows = {r["slug"]: r for r in rows_of(fresh_client.get("/export/settlements.csv"))}
    assert settlements_rows["evil"]["name"] == "'=cmd|' /C calc'!A0"
    assert settlements_rows["evil"]["name_uk"] == "+1"  # a plain number stays a number
    assert settlements_rows["evil"]["district"] == "'=district"


def test_claims_export_streams_200000_claims_in_flat_memory(empty_db):
    """Peak memory growth while streaming a large export stays under 50 MB (tracemalloc)."""
    import gc
    import time
    import tracemalloc
    from datetime import date, timedelta

    from sqlalchemy import insert

    from app.claims.models import Claim
    from app.interchange import exports
    from app.settlements.models import Settlement
    from app.sources.models import Source
    from tests.helpers import make_settings

    n_claims, n_settlements = 200_000, 2_000
    with empty_db.writing() as session:
        session.add(Source(slug="src", name="Source", kind="osint", side="neutral"))
        session.execute(
            insert(Settlement),
            [
                {"slug": f"s-{i}", "name": f"Settlement {i}", "search_key": f"settlement {i}"}
                for i in range(n_settlements)
            ],
        )
    with empty_db.writing() as session:
        source_id = session.scalar(select(Source.id))
        first = session.scalar(select(Settlement.id).order_by(Settlement.id))
        start = date(2024, 1, 1)
        batch = []
        for i in range(n_claims):
            batch.append(
                {
                    "settlement_id": first + i % n_settlements,
                    "source_id": source_id,
                    "status": "contested",
                    "as_of": start + timedelta(days=i % 700),
                    "published_on": start + timedelta(days=i % 700),
                    "summary": f"Claim {i}, with a sentence of ordinary length for a summary.",
                    "review_state": "approved",
                }
            )
            if len(batch) == 20_000:
                session.execute(insert(Claim), batch)
                batch = []
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    rows = 0
    size = 0
    began = time.perf_counter()
    for chunk in exports.claims_csv(empty_db, make_settings(empty_db.url)):
        size += len(chunk)
        rows += chunk.count(b"\r\n")
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    growth_mb = (peak - baseline) / 1024 / 1024
    print(f"\n200,000 claims: {size / 1e6:.1f} MB in {elapsed:.1f} s, peak +{growth_mb:.1f} MB")
    assert rows == n_claims + 1
    assert growth_mb < 50
