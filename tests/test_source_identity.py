"""Sources proposed with a claim: a slug of their own, no silent merge, hidden until approved."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.accounts.models import AuditEvent
from app.claims.models import Claim
from app.sources.models import Source
from app.text import name_key, slugify
from tests.helpers import claim_id_of, decide, error_beside, snapshot, submit


def propose(client, name: str, side: str = "russia", **changes):
    return submit(
        client,
        source="__new__",
        new_source_name=name,
        new_source_kind="other",
        new_source_side=side,
        **changes,
    )


def source_of(database, claim_id: int) -> Source:
    with database.read_session() as session:
        source = session.get(Claim, claim_id).source
        session.expunge(source)
        return source


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Генштаб ЗСУ", "genshtab-zsu"),  # Ukrainian
        ("Міноборони України", "minoboroni-ukraini"),  # Ukrainian і, ї
        ("Рыбарь", "rybar"),  # Russian ы, ь
        ("Їжак Єгор Ґава", "izhak-iegor-gava"),
        ("Военкор  Котенок", "voenkor-kotenok"),
        ("Ñoño News", "nono-news"),
        ("!!!", ""),
    ],
)
def test_slugs_are_transliterated(name, slug):
    assert slugify(name) == slug


def test_names_compare_without_case_accents_or_extra_spaces():
    assert name_key("  Рыбарь   Telegram ") == name_key("рыбарь telegram")
    assert name_key("Plëkhovo") == name_key("plekhovo")


def test_two_cyrillic_sources_get_two_slugs(editor, fresh_db):
    first = source_of(fresh_db, claim_id_of(propose(editor, "Старше Эдды", as_of="2025-01-02")))
    second = source_of(fresh_db, claim_id_of(propose(editor, "Два майора", as_of="2025-01-03")))
    assert (first.slug, second.slug) == ("starshe-eddy", "dva-mayora")
    assert first.id != second.id


def test_a_taken_slug_gets_a_suffix(editor, fresh_db):
    # Three names that transliterate alike but are different names: three sources.
    ids = [
        source_of(fresh_db, claim_id_of(propose(editor, name, as_of=f"2025-01-0{i + 2}"))).slug
        for i, name in enumerate(["Старше Эдды", "Starshe Eddy'", "Starshe Eddy!"])
    ]
    assert ids == ["starshe-eddy", "starshe-eddy-2", "starshe-eddy-3"]


def test_a_slug_taken_by_a_seeded_source_gets_a_suffix(editor, fresh_db):
    # The demo data holds "Rybar (Telegram channel)" as rybar; "Рыбарь" is another name.
    assert source_of(fresh_db, claim_id_of(propose(editor, "Рыбарь"))).slug == "rybar-2"


def test_same_name_same_side_is_that_source_and_says_so(editor, fresh_db):
    first_id = claim_id_of(propose(editor, "Старше Эдды", as_of="2025-01-02"))
    response = propose(editor, "  старше  эдды ", as_of="2025-01-03")
    second_id = claim_id_of(response)
    assert "filed_under_existing_source=1" in response.headers["location"]
    assert source_of(fresh_db, first_id).id == source_of(fresh_db, second_id).id
    page = editor.get(response.headers["location"]).text
    assert "is the source already recorded as “Старше Эдды” (starshe-eddy)" in page
    with fresh_db.read_session() as session:
        found = session.scalar(select(Source).where(Source.name.like("%тарше%")))
        assert found.slug == "starshe-eddy"
        creations = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "source.create")
        ).all()
        assert len(creations) == 1


def test_an_existing_name_of_another_side_is_refused(editor, fresh_db):
    # "TASS" is a Russian source of the demo data; a Ukrainian "tass" is not silently merged.
    before = snapshot(fresh_db)
    response = propose(editor, "tass", side="ukraine")
    assert response.status_code == 422
    assert "already recorded as a russia source (tass)" in error_beside(
        response.text, "new_source_name"
    )
    assert snapshot(fresh_db) == before


def test_the_seeded_name_of_the_same_side_is_that_source(editor, fresh_db):
    response = propose(editor, "TASS", side="russia")
    assert source_of(fresh_db, claim_id_of(response)).slug == "tass"


def test_a_bidi_override_in_a_source_name_is_refused(editor, fresh_db):
    before = snapshot(fresh_db)
    response = propose(editor, "Reuters\u202e")
    assert response.status_code == 422
    assert "bidirectional" in error_beside(response.text, "new_source_name")
    assert snapshot(fresh_db) == before


# --- hidden until a claim is approved -------------------------------------------------------


def public_views(client, slug: str) -> dict[str, str]:
    return {
        "sources page": client.get("/sources").text,
        "api list": client.get("/api/v1/sources").text,
        "feed": client.get("/feed.atom").text,
        "claims export": client.get("/export/claims.csv").text,
        "dashboard": client.get("/").text,
    }


def test_a_proposed_source_is_hidden_until_its_claim_is_approved(
    editor, reviewer, anonymous, fresh_db
):
    claim_id = claim_id_of(propose(editor, "Военкор Котенок", as_of="2025-01-02"))
    slug = source_of(fresh_db, claim_id).slug
    assert not source_of(fresh_db, claim_id).public
    for where, body in public_views(anonymous, slug).items():
        assert "Котенок" not in body and slug not in body, where
    assert anonymous.get(f"/sources/{slug}").status_code == 404
    assert anonymous.get(f"/api/v1/sources/{slug}").status_code == 404
    assert anonymous.get(f"/export/claims.csv?source={slug}").status_code == 422
    # The team sees it, marked as waiting.
    assert "readers will see this source" in editor.get(f"/sources/{slug}").text
    assert "Военкор Котенок" in editor.get("/claims/new").text

    assert decide(reviewer, claim_id, "approve").status_code == 303
    assert source_of(fresh_db, claim_id).public
    assert anonymous.get(f"/sources/{slug}").status_code == 200
    assert anonymous.get(f"/api/v1/sources/{slug}").json()["name"] == "Военкор Котенок"
    assert "Военкор Котенок" in anonymous.get("/sources").text
    assert slug in anonymous.get(f"/export/claims.csv?source={slug}").text
    with fresh_db.read_session() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "source.publish"))


def test_a_rejected_first_claim_keeps_the_source_hidden(editor, reviewer, anonymous, fresh_db):
    claim_id = claim_id_of(propose(editor, "Военкор Котенок", as_of="2025-01-02"))
    slug = source_of(fresh_db, claim_id).slug
    assert decide(reviewer, claim_id, "reject").status_code == 303
    assert not source_of(fresh_db, claim_id).public
    assert anonymous.get(f"/sources/{slug}").status_code == 404
    assert "Котенок" not in anonymous.get("/api/v1/sources").text


def test_a_source_an_admin_proposes_is_public_at_once(fresh_app, fresh_db, anonymous):
    from fastapi.testclient import TestClient

    from tests.helpers import log_in, make_user

    make_user(fresh_db, "ada", "admin")
    admin = log_in(TestClient(fresh_app), "ada")
    claim_id = claim_id_of(propose(admin, "Штаб обороны", as_of="2025-01-02"))
    assert source_of(fresh_db, claim_id).public
    assert anonymous.get(f"/sources/{source_of(fresh_db, claim_id).slug}").status_code == 200


def test_the_migration_hides_proposed_sources_without_an_approved_claim(databases):
    """Upgrading from 0004: seeded and approved sources public, pending proposals hidden."""
    from alembic import command

    from app.cli import alembic_config
    from app.db import Database

    url = databases.copy("demo")
    database = Database(url)
    try:
        command.downgrade(alembic_config(url), "0005")
        with database.engine.begin() as connection:
            for slug, state in (("proposed-pending", "pending"), ("proposed-ok", "approved")):
                source_id = connection.execute(
                    text(
                        "INSERT INTO sources (slug, name, kind, side, reliability, homepage, "
                        "created_at) VALUES (:slug, :slug, 'other', 'russia', 'F', '', "
                        "CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"slug": slug},
                ).scalar_one()
                connection.execute(
                    text(
                        "INSERT INTO audit_events (at, action, entity_type, entity_id) "
                        "VALUES (CURRENT_TIMESTAMP, 'source.create', 'source', :id)"
                    ),
                    {"id": str(source_id)},
                )
                connection.execute(
                    text(
                        "INSERT INTO claims (settlement_id, source_id, status, as_of, "
                        "published_on, source_url, summary, verification, review_state, "
                        "review_note, created_at, version) SELECT id, :source, 'contested', "
                        "'2025-01-02', '2025-01-02', '', '', 'unverified', :state, '', "
                        "CURRENT_TIMESTAMP, 1 FROM settlements WHERE slug = 'sudzha'"
                    ),
                    {"source": source_id, "state": state},
                )
        command.upgrade(alembic_config(url), "head")
        with database.read_session() as session:
            public = dict(session.execute(select(Source.slug, Source.public)).all())
        assert public.pop("proposed-pending") is False
        assert public.pop("proposed-ok") is True
        assert all(public.values())  # every seeded source
    finally:
        database.dispose()
