"""Filters name things the same way everywhere; settlements lie inside their region."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.interchange.importer import plan_import
from app.settlements.regions import Bounds, bounds_for


@pytest.mark.parametrize(
    "url",
    [
        "/export/claims.csv?settlement=Guyevo",
        "/api/v1/claims?settlement=GUYEVO",
        "/export/claims.csv?source=Russia-MOD",
        "/api/v1/claims?source=RUSSIA-MOD&settlement=Guyevo",
    ],
)
def test_slugs_in_filters_are_case_insensitive(client, url):
    lower = client.get(url.lower())
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == lower.content
    assert "guyevo" in response.text or "russia-mod" in response.text


def test_paths_take_slugs_in_any_case(client):
    assert client.get("/settlements/Guyevo").status_code == 200
    assert client.get("/api/v1/settlements/GUYEVO").json()["settlement"]["slug"] == "guyevo"
    assert client.get("/sources/Russia-MOD").status_code == 200
    assert client.get("/api/v1/sources/RUSSIA-mod").status_code == 200


def test_districts_match_whatever_their_case(client):
    district = client.get("/api/v1/settlements").json()[0]["district"]
    wanted = client.get(f"/export/status.csv?district={district}").text
    assert client.get(f"/export/status.csv?district={district.upper()}").text == wanted


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/export/claims.csv?settlement=atlantis", "settlement"),
        ("/export/claims.csv?source=rumour-mill", "source"),
        ("/export/claims.csv?district=Narnia", "district"),
        ("/export/status.csv?district=Narnia", "district"),
        ("/export/status.geojson?district=Narnia", "district"),
        ("/api/v1/claims?settlement=atlantis", "settlement"),
        ("/api/v1/claims?source=rumour-mill", "source"),
        ("/api/v1/status?district=Narnia", "district"),
        ("/api/v1/settlements?district=Narnia", "district"),
        ("/api/v1/claims?settlement=%D0%93%D1%83%D0%B5%D0%B2%D0%BE", "settlement"),  # Гуево
    ],
)
def test_unknown_references_in_filters_are_a_422_naming_the_parameter(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 422, url
    assert response.json()["detail"][0]["field"] == parameter


@pytest.mark.parametrize("page", ["/settlements", "/timeline", "/contested"])
def test_pages_refuse_an_unknown_district(client, page):
    response = client.get(f"{page}?district=Narnia", headers={"accept": "text/html"})
    assert response.status_code == 422
    assert "district" in response.text and "Narnia" in response.text


def test_the_cli_export_refuses_an_unknown_settlement(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app
    from app.config import get_settings

    monkeypatch.setenv("KT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["seed"]).exit_code == 0
        result = runner.invoke(app, ["export", "claims", "--settlement", "atlantis"])
        assert result.exit_code == 2
        assert "--settlement: there is no settlement" in result.output
        result = runner.invoke(app, ["export", "claims", "--settlement", "Guyevo"])
        assert result.exit_code == 0 and "guyevo" in result.output
    finally:
        get_settings.cache_clear()


# --- coordinates ----------------------------------------------------------------------------

SETTLEMENTS_HEADER = "slug,name,region,lat,lon\r\n"


@pytest.mark.parametrize(
    ("row", "columns"),
    [
        ("swapped,Swapped,Kursk,35.2,51.1", {"lat", "lon"}),  # lat and lon swapped
        ("africa,Africa,Kursk,-1.29,36.82", {"lat"}),  # Nairobi
        ("america,America,kursk,51.2,-35.1", {"lon"}),  # a sign dropped
        ("edge,Edge,Kursk,52.6,35.0", {"lat"}),
    ],
)
def test_a_settlement_outside_its_region_is_refused(reference_db, row, columns):
    with reference_db.read_session() as session:
        plan = plan_import(session, (SETTLEMENTS_HEADER + row + "\r\n").encode())
    assert {p.column for p in plan.problems} == columns
    assert all("outside the" in p.reason for p in plan.problems)


def test_a_settlement_inside_its_region_or_of_another_region_is_kept(reference_db):
    data = (
        SETTLEMENTS_HEADER + "inside,Inside,Kursk,51.2,35.1\r\n"
        "elsewhere,Elsewhere,Belgorod,50.6,36.6\r\n"
    ).encode()
    with reference_db.read_session() as session:
        plan = plan_import(session, data)
    assert plan.ok and plan.added == 2


def test_the_boxes_are_a_setting(reference_db, monkeypatch):
    monkeypatch.setenv(
        "KT_REGION_BOUNDS", '{"Kursk": [50, 53, 34, 39], "Belgorod": [50, 51.5, 35, 39]}'
    )
    bounds = Settings().region_bounds
    assert bounds_for("belgorod", bounds) == Bounds(50, 51.5, 35, 39)
    data = (SETTLEMENTS_HEADER + "north,North,Belgorod,52.6,36.6\r\n").encode()
    with reference_db.read_session() as session:
        assert plan_import(session, data).ok  # no box by default
        refused = plan_import(session, data, region_bounds=bounds)
    assert [p.column for p in refused.problems] == ["lat"]


def test_the_web_import_uses_the_configured_boxes(fresh_db, editor):
    from tests.helpers import settled, snapshot, upload

    before = snapshot(fresh_db)
    data = (SETTLEMENTS_HEADER + "swapped,Swapped,Kursk,35.2,51.1\r\n").encode()
    location = upload(editor, data, name="settlements.csv").headers["location"]
    html = settled(editor, location)
    assert "outside the Kursk region" in html
    assert snapshot(fresh_db)["settlements"] == before["settlements"]
