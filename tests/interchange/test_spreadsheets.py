"""The Excel variant of every CSV export, and download names that carry their filters."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.config import get_settings
from app.dates import today
from tests.helpers import add_claim

CSV_EXPORTS = [
    "/export/claims.csv",
    "/export/claims.csv?settlement=guyevo",
    "/export/settlements.csv",
    "/export/status.csv?as_of=2025-04-08",
]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def excel_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xff\xfe"), "UTF-16LE byte-order mark first"
    text = content[2:].decode("utf-16-le")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))


@pytest.mark.parametrize("path", CSV_EXPORTS)
def test_excel_variant_holds_the_same_cells_in_utf16_with_tabs(client, path):
    plain = client.get(path)
    joiner = "&" if "?" in path else "?"
    excel = client.get(f"{path}{joiner}format=excel")
    assert excel.status_code == 200
    assert excel.headers["content-type"] == "text/csv; charset=utf-16"
    assert re.fullmatch(
        r'attachment; filename="[a-z0-9-]+-excel\.csv"', excel.headers["content-disposition"]
    )
    assert excel_rows(excel.content) == csv_rows(plain.content)
    assert excel.content[2:].decode("utf-16-le").endswith("\r\n")
    # The default stays plain UTF-8 with commas; format=csv says the same.
    assert plain.headers["content-type"] == "text/csv; charset=utf-8"
    assert client.get(f"{path}{joiner}format=csv").content == plain.content


def test_excel_variant_keeps_cyrillic_and_escapes_formulas(fresh_client, fresh_db):
    add_claim(
        fresh_db,
        settlement="sudzha",
        source="tass",
        status="contested",
        as_of=date(2025, 3, 1),
        summary='=HYPERLINK("http://evil.example")\tЗаявление\r\nвторой ряд',
    )
    rows = excel_rows(fresh_client.get("/export/claims.csv?format=excel").content)
    (evil,) = [r for r in rows if "HYPERLINK" in r[10]]
    # Stored with its line end normalised (one text policy), written out as it was stored.
    assert evil[10] == '\'=HYPERLINK("http://evil.example")\tЗаявление\nвторой ряд'
    settlements = excel_rows(fresh_client.get("/export/settlements.csv?format=excel").content)
    guyevo = {r[0]: r for r in settlements}["guyevo"]
    assert guyevo[3] == "Гуево"  # name_ru


@pytest.mark.parametrize(
    "path", ["/export/claims.csv", "/export/settlements.csv", "/export/status.csv"]
)
@pytest.mark.parametrize("value", ["xlsx", "EXCEL", "excel;", "0"])
def test_unknown_format_is_refused_naming_the_parameter(client, path, value):
    response = client.get(path, params={"format": value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "format"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/export/claims.csv?as_of=2025-04-08&settlement=guyevo&side=ukraine",
            "claims-2025-04-08-settlement-guyevo-side-ukraine.csv",
        ),
        (
            "/export/claims.csv?until=2025-04-08&since=2025-01-01&status=contested&format=excel",
            "claims-2025-04-08-status-contested-since-2025-01-01-excel.csv",
        ),
        ("/export/claims.csv?district=Sudzhansky", f"claims-{today()}-district-sudzhansky.csv"),
        (
            "/export/status.csv?as_of=2025-04-08&status=contested&district=Sudzhansky",
            "status-2025-04-08-district-sudzhansky-status-contested.csv",
        ),
        (
            "/export/status.geojson?as_of=2025-04-08&q=Sudzha",
            "status-2025-04-08-q-sudzha.geojson",
        ),
        ("/export/status.csv?as_of=2025-04-08", "status-2025-04-08.csv"),
        ("/export/settlements.csv", f"settlements-{today()}.csv"),
    ],
)
def test_download_names_carry_the_filters(client, path, expected):
    disposition = client.get(path).headers["content-disposition"]
    assert disposition == f'attachment; filename="{expected}"'


@pytest.mark.parametrize(
    "params",
    [
        {"q": "локня"},
        {"q": 'x"; filename="evil.exe'},
        {"q": "../../etc/passwd"},
        {"q": "Ω" * 150},
        {"q": "a b " * 50},
        {"q": "Суджанский\r\nSet-Cookie: x=1"},
    ],
)
def test_download_names_are_safe_ascii_and_short(client, params):
    response = client.get("/export/status.csv", params={"as_of": "2025-04-08", **params})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    name = re.fullmatch(r'attachment; filename="([a-z0-9-]+\.csv)"', disposition)
    assert name, disposition
    assert len(name.group(1)) <= 124
    assert name.group(1).startswith("status-2025-04-08-")


def test_two_searches_in_cyrillic_get_different_names(client):
    def name(q: str) -> str:
        return client.get("/export/status.csv", params={"q": q}).headers["content-disposition"]

    assert name("локня") != name("суджа")


@pytest.mark.parametrize(
    ("page", "csv_link"),
    [
        ("/settlements?as_of=2025-04-08", "/export/status.csv?"),
        ("/timeline?as_of=2025-04-08", "/export/claims.csv?"),
        ("/contested?as_of=2025-04-08", "/export/status.csv?"),
        ("/sources", "/export/claims.csv"),
        ("/map?as_of=2025-04-08", "/export/status.csv"),
        ("/sources/russia-mod", "/export/claims.csv?source=russia-mod"),
    ],
)
def test_for_excel_links_sit_beside_the_download_links(client, page, csv_link):
    html = client.get(page).text
    links = re.findall(r'<a href="([^"]+)"[^>]*>for Excel</a>', html)
    assert links, page
    for link in links:
        href = link.replace("&amp;", "&")
        assert href.startswith(csv_link) and href.endswith("format=excel")
        response = client.get(href)
        assert response.status_code == 200 and response.content.startswith(b"\xff\xfe")


def test_command_line_export_for_excel(tmp_path, monkeypatch):
    monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        runner.invoke(cli_app, ["db", "upgrade"], catch_exceptions=False)
        runner.invoke(cli_app, ["seed"], catch_exceptions=False)
        target = tmp_path / "claims.csv"
        result = runner.invoke(
            cli_app, ["export", "claims", "--format", "excel", "-o", str(target)]
        )
        assert result.exit_code == 0
        rows = excel_rows(target.read_bytes())
        assert rows[0][0] == "claim_id" and len(rows) == 1 + 169  # the header and every claim
        bad = runner.invoke(cli_app, ["export", "claims", "--format", "xlsx"])
        assert bad.exit_code == 2 and "--format" in bad.output
    finally:
        get_settings.cache_clear()
