"""Editors submit claims; every bad field is refused beside the field, and nothing is stored."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.claims.models import Claim, ReviewState
from tests.helpers import (
    GOOD_CLAIM,
    TOMORROW,
    claim_id_of,
    csrf_from,
    day_text,
    error_beside,
    snapshot,
    submit,
)


def test_submit_stores_a_pending_claim_and_redirects_to_it(editor, fresh_db):
    response = submit(editor)
    assert response.status_code == 303
    claim_id = claim_id_of(response)
    with fresh_db.read_session() as session:
        claim = session.get(Claim, claim_id)
        assert claim.review_state == ReviewState.pending
        assert claim.submitted_by.username == "erin"
        assert claim.published_on == date(2025, 3, 2)
    page = editor.get(f"/claims/{claim_id}").text
    assert "Waiting for review" in page
    assert "claim.submit" in page  # its own audit trail


def test_settlement_may_be_given_by_name_in_any_spelling(editor, fresh_db):
    assert submit(editor, settlement="Гуево", as_of="2025-01-05").status_code == 303
    assert submit(editor, settlement="Malaya Loknya", as_of="2025-01-05").status_code == 303


def test_published_on_defaults_to_as_of(editor, fresh_db):
    response = submit(editor, published_on="")
    with fresh_db.read_session() as session:
        claim = session.get(Claim, claim_id_of(response))
        assert claim.published_on == claim.as_of


# The day after the latest date anywhere on Earth: in the future for every editor.


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("as_of", "2025-02-30", "not a real calendar date"),
        ("as_of", "30/01/2025", "YYYY-MM-DD"),
        ("as_of", "", "Give the date as YYYY-MM-DD, between 1 January 2000 and today"),
        ("as_of", TOMORROW, "is out of range: give the date as YYYY-MM-DD, between 1 January"),
        ("published_on", "2025-02-27", "give a date on or after 2025-03-01"),
        ("published_on", TOMORROW, "between 1 January 2000 and today"),
        ("status", "liberated", "under Russian control, under Ukrainian control, or contested"),
        ("status", "", "Choose a status: under Russian control"),
        ("status", "unknown", "Choose a status: under Russian control"),
        ("verification", "probably", "Choose how it was verified: unverified, geolocated"),
        ("source_url", "javascript:alert(document.cookie)", "http:// or https://"),
        ("source_url", "data:text/html;base64,PHNjcmlwdD4=", "http:// or https://"),
        ("source_url", "JaVaScRiPt:alert(1)", "http:// or https://"),
        ("source_url", "ftp://example.org/file", "http:// or https://"),
        ("source_url", "https://", "must name a host"),
        ("source_url", "https://example.org/" + "a" * 2000, "at most 2000"),
        ("source_url", "https://exa mple.org", "spaces"),
        # Characters that make an address read as another, shown as a link.
        ("source_url", "https://\u202egro.elpmaxe/", "spaces or control characters"),
        ("source_url", "https://example.org/\u2066x", "spaces or control characters"),
        ("source_url", "https://example.org/a\u0085b", "spaces or control characters"),
        ("source_url", "https://example.org/a\u00a0b", "spaces or control characters"),
        ("source_url", "https://example.org/a\u3000b", "spaces or control characters"),
        ("source_url", "https://example.org/a\u2028b", "spaces or control characters"),
        ("source_url", "https://exam\u200bple.org/", "spaces or control characters"),
        ("source_url", "https://example.org/\ufeffa", "spaces or control characters"),
        ("summary", "x" * 2001, "at most 2,000 characters"),
        ("summary", "bell \x07 inside", "control characters"),
        ("settlement", "atlantis", "no settlement called"),
        ("settlement", "", "Give the settlement: its name in any spelling"),
        ("source", "", "Choose the source"),
        ("source", "rumour-mill", "no source called"),
    ],
)
def test_bad_field_is_refused_beside_the_field_and_nothing_changes(
    editor, fresh_db, field, value, message
):
    before = snapshot(fresh_db)
    value = day_text(value)
    response = submit(editor, **{field: value})
    assert response.status_code == 422
    assert message in error_beside(response.text, field)
    assert 'aria-invalid="true"' in response.text
    # The user's input is kept (what HTML escaping leaves of it).
    if field == "summary" and "\x00" not in value:
        assert value[:100] in response.text
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize("field", ["summary", "settlement", "source_url", "as_of"])
def test_nul_characters_are_refused_before_anything_else(editor, fresh_db, field):
    before = snapshot(fresh_db)
    response = submit(editor, **{field: "x\x00y"})
    assert response.status_code == 422
    assert f"{field} must not contain NUL characters" in response.text
    assert snapshot(fresh_db) == before


def test_several_bad_fields_are_all_reported(editor, fresh_db):
    response = submit(editor, as_of="nope", status="?", source_url="javascript:x")
    assert response.status_code == 422
    for field in ("as_of", "status", "source_url"):
        assert error_beside(response.text, field)
    assert "3 fields need attention" in response.text


def test_duplicate_is_refused_with_a_link_to_the_existing_claim(editor, fresh_db):
    # The demo data has TASS saying Gornal was contested on 2025-04-08 (claim from the seed).
    before = snapshot(fresh_db)
    response = submit(
        editor,
        settlement="gornal",
        source="tass",
        as_of="2025-04-08",
        published_on="",
        status="contested",
    )
    assert response.status_code == 409
    with fresh_db.read_session() as session:
        existing = session.scalar(
            select(Claim.id)
            .where(
                Claim.as_of == date(2025, 4, 8),
                Claim.summary.like("A military source quoted by TASS names Gornal%"),
            )
            .order_by(Claim.id)
        )
    assert f'href="/claims/{existing}"' in response.text
    assert snapshot(fresh_db) == before


def test_new_source_can_be_added_with_the_claim(editor, fresh_db):
    response = submit(
        editor,
        source="__new__",
        new_source_name="Starshe Eddy (Telegram channel)",  # not a source of the demo data
        new_source_kind="other",
        new_source_side="russia",
    )
    assert response.status_code == 303
    assert "filed_under_existing_source" not in response.headers["location"]
    with fresh_db.read_session() as session:
        claim = session.get(Claim, claim_id_of(response))
        assert claim.source.slug == "starshe-eddy-telegram-channel"
        assert claim.source.side.value == "russia"


def test_new_source_needs_a_name_and_a_side(editor, fresh_db):
    before = snapshot(fresh_db)
    response = submit(editor, source="__new__", new_source_name="", new_source_side="")
    assert response.status_code == 422
    assert error_beside(response.text, "new_source_name")
    assert error_beside(response.text, "new_source_side")
    assert snapshot(fresh_db) == before


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script>",
        '"><img src=x onerror=alert(1)>',
        "Бої тривають у Суджі",
        "تقارير عن قتال في سودجا",  # Arabic, right to left
        "\u200fשלום\u200e and back",  # right-to-left marks are fine (overrides are refused)
        "Fighting 🔥 near the monastery",
    ],
)
def test_summary_text_is_stored_as_typed_and_rendered_inert(editor, fresh_db, text):
    response = submit(editor, summary=text)
    assert response.status_code == 303
    page = editor.get(response.headers["location"]).text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    with fresh_db.read_session() as session:
        stored = session.scalar(select(Claim.summary).order_by(Claim.id.desc()).limit(1))
    assert stored == text


def test_inline_check_reports_only_touched_fields(editor):
    token = csrf_from(editor, "/claims/new")
    response = editor.post(
        "/claims/check",
        data={"as_of": "2025-02-30", "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "claim-form", "HX-Trigger-Name": "as_of"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'data-hx-swap-oob="true"' in response.text
    assert "not a real calendar date" in error_beside(response.text, "as_of")
    assert error_beside(response.text, "status") == ""  # untouched: not scolded
    assert error_beside(response.text, "settlement") == ""


def test_inline_check_knows_unknown_settlements(editor):
    token = csrf_from(editor, "/claims/new")
    response = editor.post(
        "/claims/check",
        data={**GOOD_CLAIM, "settlement": "atlantis", "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "claim-form", "HX-Trigger-Name": "settlement"},
    )
    assert "no settlement called" in error_beside(response.text, "settlement")


def test_settlement_type_ahead(editor):
    response = editor.get(
        "/claims/new",
        params={"settlement": "горн"},
        headers={
            "HX-Request": "true",
            "HX-Target": "settlement-options",
            "HX-Trigger-Name": "settlement",
        },
    )
    assert response.text.lstrip().startswith('<datalist id="settlement-options">')
    assert 'value="gornal"' in response.text
    assert 'value="sudzha"' not in response.text


@pytest.mark.parametrize("target", [None, "claim-form", "page", "junk"])
def test_the_type_ahead_headers_with_another_target_get_the_whole_form(editor, target):
    headers = {"HX-Request": "true", "HX-Trigger-Name": "settlement"}
    if target:
        headers["HX-Target"] = target
    response = editor.get("/claims/new", params={"settlement": "gu"}, headers=headers)
    assert response.status_code == 200
    assert 'id="claim-form"' in response.text and 'value="gu"' in response.text


def test_a_stored_unsafe_url_is_never_rendered_as_a_link(editor, fresh_db):
    # Defence in depth: even if a bad URL got into the database, pages do not link it.
    with fresh_db.writing() as session:
        claim = session.scalar(select(Claim).where(Claim.source_url != "").limit(1))
        claim.source_url = "javascript:alert(1)"
        claim_id, slug = claim.id, claim.settlement.slug
    assert 'href="javascript:' not in editor.get(f"/claims/{claim_id}").text
    assert 'href="javascript:' not in editor.get(f"/settlements/{slug}").text


def test_an_address_in_another_script_is_a_fine_source_url(editor, fresh_db):
    response = submit(editor, source_url="https://uk.wikipedia.org/wiki/Суджа")
    assert response.status_code == 303
