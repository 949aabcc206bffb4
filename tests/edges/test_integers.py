"""Every integer a person supplies goes through one parser: ASCII digits, within the database's
range, else 422 naming the parameter; nothing reaches a query, nothing is stored."""

from __future__ import annotations

import base64

import pytest

from app.validation import INT32_MAX, parse_bounded_int
from tests.helpers import csrf_from, decide, snapshot, ukrainian_sudzha

# Accepted by str.isdigit(), int(), or pydantic's int, and none of them a plain number.
NOT_PLAIN_DIGITS = ["١٢", "²", "５", "+5", "-1", "5_0", "5.0", " 5", "0x10", "1e3", ""]
TOO_LARGE = [str(INT32_MAX + 1), "99999999999999999999", "9" * 400]


def test_the_parser():
    assert parse_bounded_int("1") == 1
    assert parse_bounded_int(str(INT32_MAX)) == INT32_MAX
    assert parse_bounded_int("007") == 7
    for value in NOT_PLAIN_DIGITS:
        with pytest.raises(ValueError, match="digits 0-9"):
            parse_bounded_int(value)
    for value in [*TOO_LARGE, "0"]:
        with pytest.raises(ValueError, match=f"from 1 to {INT32_MAX}"):
            parse_bounded_int(value)


QUERY_INTEGERS = [
    ("/contested", "page"),
    ("/settlements/sudzha", "page"),
    ("/api/v1/claims", "limit"),
]


@pytest.mark.parametrize("value", ["١٢", "²", "5.0", "5_0", *TOO_LARGE])
@pytest.mark.parametrize(("path", "name"), QUERY_INTEGERS)
def test_query_integers(client, path, name, value):
    response = client.get(path, params={name: value})
    assert response.status_code == 422, response.text[:300]
    assert name in response.text


@pytest.mark.parametrize("value", ["١٢", "²", *TOO_LARGE])
def test_claim_ids_in_paths(client, value):
    for path in (f"/claims/{value}", f"/claims/{value}/correct"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (422, 303), (path, response.status_code)  # 303: log in
    assert client.get("/claims/99999999999999999999").status_code == 422


@pytest.mark.parametrize("claim_id", ["١٢", str(INT32_MAX + 1), "99999999999999999999"])
def test_api_cursor_with_a_claim_id_out_of_range(client, claim_id):
    cursor = base64.urlsafe_b64encode(f"2025-01-01,{claim_id}".encode()).decode().rstrip("=")
    response = client.get("/api/v1/claims", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "cursor"


@pytest.mark.parametrize("value", ["١٢", "²", "5.0", *TOO_LARGE])
def test_audit_before(reviewer, value):
    response = reviewer.get("/audit", params={"before": value})
    assert response.status_code == 422
    assert "before" in response.text


@pytest.mark.parametrize("value", ["²", "١٢", "-1", "1.0", *TOO_LARGE])
def test_review_version_malformed_is_422_and_changes_nothing(editor, reviewer, fresh_db, value):
    claim_id = ukrainian_sudzha(editor)
    before = snapshot(fresh_db)
    response = decide(reviewer, claim_id, "approve", version=value)
    assert response.status_code == 422, response.text[:300]
    assert "version" in response.text
    assert snapshot(fresh_db) == before


def test_review_version_stale_is_409(editor, reviewer, fresh_db):
    claim_id = ukrainian_sudzha(editor)
    before = snapshot(fresh_db)
    assert decide(reviewer, claim_id, "approve", version=str(INT32_MAX)).status_code == 409
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("value", ["²", "١٢", str(INT32_MAX + 1), "99999999999999999999"])
def test_supersedes_is_refused_beside_the_field(editor, fresh_db, value):
    before = snapshot(fresh_db)
    response = editor.post(
        "/claims/new",
        data={
            "settlement": "sudzha",
            "status": "contested",
            "as_of": "2025-03-01",
            "source": "isw",
            "verification": "unverified",
            "supersedes": value,
            "csrf_token": csrf_from(editor, "/claims/new"),
        },
    )
    assert response.status_code == 422
    assert "must be a claim number" in response.text
    assert snapshot(fresh_db) == before
