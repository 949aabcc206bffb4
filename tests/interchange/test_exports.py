"""CSV downloads: exact headers, streamed, formula-safe, filtered."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from app.claims import service as claims_service
from app.claims.schemas import ClaimIn
from app.settlements import service as settlements_service
from app.sources import service as sources_service

CLAIMS_HEADER = (
    "claim_id,settlement,settlement_name,status,as_of,published_on,"
    "source,source_side,source_url,verification,summary"
)
SETTLEMENTS_HEADER = "slug,name,name_uk,name_ru,aliases,district,region,lat,lon"
STATUS_HEADER = "settlement,name,district,lat,lon,status,since,confidence,latest_claim_as_of"


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
    assert len(rows) == 35
    guyevo = [r for r in rows if r["settlement"] == "guyevo"]
    assert [r["as_of"] for r in guyevo] == ["2024-08-10", "2024-08-11", "2025-04-02", "2025-04-08"]
    assert guyevo[0]["source_side"] == "neutral"
    assert guyevo[3]["verification"] == "geolocated"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"settlement": "gornal"}, 7),
        ({"source": "deepstate"}, 5),
        ({"since": "2025-04-20"}, 6),
        ({"until": "2024-08-31"}, 5),
        ({"since": "2025-04-26", "until": "2025-04-26", "settlement": "gornal"}, 2),
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
    assert rows["guyevo"]["since"] == "2025-04-02"
    assert rows["guyevo"]["latest_claim_as_of"] == "2025-04-08"
    assert rows["gornal"]["status"] == "contested"
    assert rows["martynovka"]["lat"] == ""
    assert rows["staraya-sorochina"] == {
        **rows["staraya-sorochina"],
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
    assert rows["guyevo"]["aliases"] == "Guevo|Huieve|Gujewo"
    assert rows["guyevo"]["name_ru"] == "Гуево"
    assert rows["sudzha"]["lat"] == "51.1914"


def test_formula_cells_are_escaped_in_the_claims_export(fresh_client, fresh_db):
    with fresh_db.writing() as session:
        claims_service.add(
            session,
            ClaimIn(
                settlement="sudzha",
                status="contested",
                as_of=date(2025, 3, 1),
                source="tass",
                summary='=HYPERLINK("http://evil.example","click")',
            ),
            settlement=settlements_service.get_by_slug(session, "sudzha"),
            source=sources_service.get_by_slug(session, "tass"),
            approve=True,
        )
    rows = rows_of(fresh_client.get("/export/claims.csv?settlement=sudzha"))
    (evil,) = [r for r in rows if "HYPERLINK" in r["summary"]]
    assert evil["summary"] == '\'=HYPERLINK("http://evil.example","click")'
