"""Readers never learn who is on the team: no username and no import file name, anywhere."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.claims.models import Claim
from tests.helpers import confirm, decide, log_in, make_user, settled, submit, upload

EDITOR = "erin.editor@example.org"
REVIEWER = "rita.review@example.org"
IMPORT_FILE = "secret-sources-erin@example.org.csv"


@pytest.fixture
def team(fresh_app, fresh_db) -> tuple[TestClient, TestClient]:
    make_user(fresh_db, EDITOR, "editor")
    make_user(fresh_db, REVIEWER, "reviewer")
    return log_in(TestClient(fresh_app), EDITOR), log_in(TestClient(fresh_app), REVIEWER)


def public_urls(claim_ids: list[int], source_slug: str) -> list[str]:
    urls = [
        "/",
        "/map",
        "/timeline",
        "/contested",
        "/sources",
        f"/sources/{source_slug}",
        "/settlements",
        "/settlements/sudzha",
        "/settlements/sudzha?as_of=2025-03-25",
        "/settlements/sudzha/feed.atom",
        "/feed.atom",
        "/about/method",
        "/api/v1/settlements/sudzha?as_of=2025-03-25",
        "/api/v1/claims?limit=1000",
        "/api/v1/sources",
        "/api/v1/status",
        "/export/claims.csv",
        "/export/settlements.csv",
        "/export/status.csv",
        "/export/status.geojson",
    ]
    return urls + [f"/claims/{i}" for i in claim_ids]


def test_no_username_or_file_name_in_any_anonymous_response(team, anonymous, fresh_db):
    editor, reviewer = team
    response = submit(
        editor,
        settlement="sudzha",
        status="ukrainian_control",
        as_of="2025-03-20",
        published_on="2025-03-20",
        source="reuters",
        summary="Typed on the form.",
    )
    typed_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert decide(reviewer, typed_id, "approve").status_code == 303

    data = (
        b"settlement,status,as_of,source,summary\r\n"
        b"gornal,contested,2025-03-21,reuters,Imported from a file.\r\n"
    )
    location = upload(editor, data, name=IMPORT_FILE).headers["location"]
    settled(editor, location)
    assert confirm(editor, location).status_code == 303
    settled(editor, location)
    with fresh_db.read_session() as session:
        imported_id = session.scalar(
            select(Claim.id).where(Claim.summary == "Imported from a file.")
        )
    assert decide(reviewer, imported_id, "approve").status_code == 303

    for url in public_urls([typed_id, imported_id], "reuters"):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8")
        for secret in (EDITOR, REVIEWER, "example.org", IMPORT_FILE, "secret-sources"):
            assert secret not in body, f"{secret} on {url}"

    page = anonymous.get(f"/claims/{imported_id}").text
    assert "by an editor" in page and "Imported on " in page
    assert "; approved by a reviewer on " in page
    assert "imported from a file" in page
    # The team still sees names and the file.
    team_page = reviewer.get(f"/claims/{imported_id}").text
    assert EDITOR in team_page and REVIEWER in team_page and IMPORT_FILE in team_page
