"""CSV import: checked row by row, all or nothing, duplicates skipped, and a lossless round trip."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEvent
from app.claims.models import Claim, ReviewState
from app.interchange import exports
from app.interchange.importer import ImportRefused, commit_import, plan_import
from app.settlements.models import Settlement
from tests.helpers import HEADER, csv_bytes, good_rows, make_settings, snapshot


def claim_count(database) -> int:
    with database.read_session() as session:
        return session.scalar(select(func.count()).select_from(Claim))


def export_rows(database) -> list[dict[str, str]]:
    data = b"".join(exports.claims_csv(database, make_settings(database.url)))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_round_trip_export_import_export_is_identical(demo_db, reference_db):
    exported = b"".join(exports.claims_csv(demo_db, make_settings(demo_db.url)))
    with reference_db.writing() as session:
        plan = commit_import(session, exported, user=None, approve=True)
    assert plan.added == 169 and not plan.skipped
    before = export_rows(demo_db)
    after = export_rows(reference_db)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "claim_id"} for r in rows]  # noqa: E731
    assert strip(after) == strip(before)


def test_one_bad_row_among_a_thousand_stores_nothing_and_names_the_line(fresh_db):
    rows = good_rows(1000)
    rows[636] = "sudzha,contested,2024-02-30,,tass,,unverified,bad date"
    data = csv_bytes([HEADER, *rows])
    before = claim_count(fresh_db)
    with pytest.raises(ImportRefused) as refused, fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=False)
    problems = refused.value.plan.problems
    assert [(p.line, p.column) for p in problems] == [(638, "as_of")]  # header is line 1
    assert "not a real calendar date" in problems[0].reason
    assert claim_count(fresh_db) == before


def test_every_bad_row_is_reported(fresh_db):
    data = csv_bytes(
        [
            HEADER,
            "atlantis,contested,2025-01-01,,tass,,unverified,",
            "sudzha,liberated,2025-01-01,,tass,,unverified,",
            "sudzha,contested,2025-01-01,,tass,javascript:alert(1),unverified,",
            "sudzha,contested,2025-01-01,,rumours,,unverified,",
            "sudzha,contested,2025-01-02,,tass,https://\u202egro.elpmaxe/,unverified,",
            "sudzha,contested,2025-01-05,2025-01-01,tass,,unverified,",
            "sudzha,contested,2025-01-01,,tass,,unverified," + "x" * 2001,
        ]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [
        (2, "settlement"),
        (3, "status"),
        (4, "source_url"),
        (5, "source"),
        (6, "source_url"),
        (7, "published_on"),
        (8, "summary"),
    ]


@pytest.mark.parametrize(("bom", "sep"), [(True, ","), (False, ";"), (True, ";")])
def test_bom_and_semicolon_files_import(fresh_db, bom, sep):
    data = csv_bytes([HEADER, *good_rows(3)], bom=bom, sep=sep)
    with fresh_db.writing() as session:
        plan = commit_import(session, data, user=None, approve=False)
    assert plan.added == 3 and plan.ok


def test_columns_in_any_order_extra_ones_warned(fresh_db):
    data = csv_bytes(
        [
            "notes,source,as_of,status,settlement",
            "my own note,tass,2023-05-01,contested,sudzha",
        ]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert plan.ok and plan.added == 1
    assert plan.warnings == ["column ignored: notes"]


def test_duplicates_of_stored_claims_and_of_earlier_rows_are_skipped_and_counted(fresh_db):
    data = csv_bytes(
        [
            HEADER,
            "gornal,contested,2025-04-08,,tass,,unverified,already in the demo data",
            "sudzha,contested,2023-01-01,,tass,,unverified,new",
            "sudzha,contested,2023-01-01,,tass,,geolocated,same key again",
        ]
    )
    with fresh_db.writing() as session:
        plan = commit_import(session, data, user=None, approve=False)
    assert plan.added == 1
    assert [(s.line, s.reason[:20]) for s in plan.skipped] == [
        (2, "already recorded as "),
        (4, "repeats line 3 of th"),
    ]
    with fresh_db.writing() as session:
        again = commit_import(session, data, user=None, approve=False)
    assert len(again.add) == 0 and len(again.skipped) == 3


def test_pending_unless_approved(fresh_db):
    with fresh_db.writing() as session:
        commit_import(session, csv_bytes([HEADER, *good_rows(2)]), user=None, approve=False)
    with fresh_db.writing() as session:
        commit_import(
            session,
            csv_bytes([HEADER, "sudzha,contested,2022-06-01,,tass,,unverified,x"]),
            user=None,
            approve=True,
        )
    with fresh_db.read_session() as session:
        states = session.execute(
            select(Claim.review_state, func.count())
            .where(Claim.as_of < date(2024, 1, 1))
            .group_by(Claim.review_state)
        ).all()
    assert dict(states) == {ReviewState.pending: 2, ReviewState.approved: 1}


def test_source_side_must_match_the_source(fresh_db):
    data = csv_bytes(
        ["settlement,status,as_of,source,source_side", "sudzha,contested,2023-01-01,tass,ukraine"]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(2, "source_side")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "header"),
        (b"\xff\xfe\x00b\x00a\x00d", "not UTF-8"),
        ("naïve".encode("latin-1"), "not UTF-8"),
        (b"settlement,status\nsudzha,contested\n", "required column missing: as_of, source"),
        (b"a,b,c\n1,2,3\n", "header"),
        (b"settlement,status,as_of,source,status\nx,y,z,w,v\n", "column named twice"),
        (b"settlement,status,as_of,source\nsudzha,contested,2023-01-01,tass\x00\n", "NUL"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(fresh_db, data, message):
    before = snapshot(fresh_db)
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert not plan.ok
    assert message in plan.problems[0].reason
    with pytest.raises(ImportRefused), fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    assert snapshot(fresh_db) == before


def test_formula_cells_come_back_unchanged(fresh_db):
    data = csv_bytes(
        [
            HEADER,
            'sudzha,contested,2023-01-01,,tass,,unverified,\'=HYPERLINK("http://x")',
            "sudzha,contested,2023-01-02,,tass,,unverified,'-5 km from the border",
        ]
    )
    with fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    with fresh_db.read_session() as session:
        stored = sorted(
            session.scalars(select(Claim.summary).where(Claim.as_of < date(2024, 1, 1)))
        )
    assert stored == ["-5 km from the border", '=HYPERLINK("http://x")']
    written = {r["summary"] for r in export_rows(fresh_db)}
    assert '\'=HYPERLINK("http://x")' in written and "'-5 km from the border" in written


@pytest.mark.parametrize(
    ("row", "column", "spelling", "owner"),
    [
        # A new slug that is another settlement's alias: claims naming "Gujewo" would go there.
        ("gujewo,Fake Place,,,,Korenevsky,Kursk,51.6,35.6", "slug", "gujewo", "Guyevo (guyevo)"),
        # An alias that is another settlement's name: "Гуево" would name no settlement.
        ("sudzha,Sudzha,Суджа,Суджа,Гуево,Sudzhansky,Kursk,,", "aliases", "Гуево", "Guyevo"),
        ("guyevo,Guyevo,,,Суджа,Sudzhansky,Kursk,,", "aliases", "Суджа", "Sudzha (sudzha)"),
        ("new-place,New Place,,,gornal,Sudzhansky,Kursk,,", "aliases", "gornal", "Gornal"),
        # A new settlement's names too: "Gujewo" and "Суджа" would name none.
        ("fake-place,Gujewo,,,,Korenevsky,Kursk,,", "name", "Gujewo", "Guyevo (guyevo)"),
        ("fake-place,Fake Place,Суджа,,,Korenevsky,Kursk,,", "name_uk", "Суджа", "Sudzha"),
    ],
)
def test_a_spelling_of_another_settlement_is_refused(fresh_db, row, column, spelling, owner):
    data = csv_bytes(["slug,name,name_uk,name_ru,aliases,district,region,lat,lon", row])
    before = snapshot(fresh_db)
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(2, column)]
    assert f"“{spelling}” is already a spelling of {owner}" in plan.problems[0].reason
    with pytest.raises(ImportRefused), fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    assert snapshot(fresh_db) == before


def test_settlements_of_the_same_name_share_their_spellings(fresh_db, empty_db):
    """Twin villages (two Nikolayevkas) may both be spelled Mykolaivka, as they always could;
    and what the tracker exports imports again into an empty one."""
    data = csv_bytes(
        [
            "slug,name,name_uk,name_ru,aliases,district,region,lat,lon",
            "nikolayevka-1,Nikolayevka,Миколаївка,Николаевка,Mykolaivka,Korenevsky,Kursk,,",
            "nikolayevka-2,Nikolayevka,Миколаївка,Николаевка,Mykolaivka,Sudzhansky,Kursk,,",
        ]
    )
    with fresh_db.writing() as session:
        plan = commit_import(session, data, user=None, approve=True)
    assert plan.ok and plan.added == 2, plan.problems
    exported = b"".join(exports.settlements_csv(fresh_db, make_settings(fresh_db.url)))
    with empty_db.writing() as session:
        again = commit_import(session, exported, user=None, approve=True)
    assert again.ok, again.problems


def test_two_rows_of_a_file_cannot_share_a_spelling(fresh_db):
    data = csv_bytes(
        [
            "slug,name,name_uk,name_ru,aliases,district,region,lat,lon",
            "first-new,First New,,,Newtown,Korenevsky,Kursk,,",
            "second-new,Second New,,,Newtown,Korenevsky,Kursk,,",
        ]
    )
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(3, "aliases")]


def test_settlements_import_adds_new_ones_and_aliases(fresh_db):
    data = csv_bytes(
        [
            "slug,name,name_uk,name_ru,aliases,district,region,lat,lon",
            "kremyanoye,Kremyanoye,Кремʼяне,Кремяное,Kremianoe,Korenevsky,Kursk,51.39,34.99",
            "guyevo,Guyevo,,,Guievo|Huieve,Sudzhansky,Kursk,,",
        ]
    )
    with fresh_db.writing() as session:
        plan = commit_import(session, data, user=None, approve=False)
    assert (plan.added, len(plan.update)) == (1, 1)
    with fresh_db.read_session() as session:
        guyevo = session.scalar(select(Settlement).where(Settlement.slug == "guyevo"))
        assert guyevo.alias_list == ["Guevo", "Huieve", "Huievo", "Gujewo", "Guievo"]
        assert "guievo" in guyevo.search_key
        new = session.scalar(select(Settlement).where(Settlement.slug == "kremyanoye"))
        assert new.location_precision.value == "exact"
        # Each settlement's change audited with its values before and after.
        events = {
            e.entity_id: e
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "settlement.import")
            )
        }
    assert events["kremyanoye"].after["name"] == "Kremyanoye"
    assert events["guyevo"].before == {"aliases": "Guevo|Huieve|Huievo|Gujewo"}
    assert events["guyevo"].after == {"aliases": "Guevo|Huieve|Huievo|Gujewo|Guievo"}
    # And the log says them in words, in the reader's language.
    from app import i18n
    from app.accounts.audit_words import describe

    with fresh_db.read_session() as session, i18n.speaking("uk"):
        lines = describe(session, list(events.values()))
    sentence = lines[events["kremyanoye"].id].sentence
    assert sentence == "Система імпортував(-ла) населений пункт Kremyanoye з файлу."


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("new-place,\u0301,,,,Korenevsky,Kursk,,", "name"),
        ("new-place,New Place,\u0301,,,Korenevsky,Kursk,,", "name_uk"),
        ("new-place,New Place,,,…|\u200d,Korenevsky,Kursk,,", "aliases"),
        ("new-place,\u3164,,,,Korenevsky,Kursk,,", "name"),  # a Hangul filler
    ],
)
def test_a_name_that_shows_as_nothing_is_refused(fresh_db, row, column):
    """A lone accent or punctuation is no name: it shows as a blank."""
    data = csv_bytes(["slug,name,name_uk,name_ru,aliases,district,region,lat,lon", row])
    with fresh_db.read_session() as session:
        plan = plan_import(session, data)
    assert [(p.line, p.column) for p in plan.problems] == [(2, column)]
