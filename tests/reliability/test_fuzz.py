"""Property tests: the CSV escaper and the importer hold for any input hypothesis can make."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.interchange.csv_safe import csv_field, escape_cell, escape_row, unescape_cell
from app.interchange.importer import ImportRefused, commit_import, plan_import
from tests.helpers import snapshot

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


def is_plain_number(text: str) -> bool:
    return re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text) is not None


@settings(max_examples=2000, deadline=None)
@given(ANY_TEXT)
def test_no_exported_cell_starts_a_formula_and_parsing_gives_the_text_back(text):
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(escape_row([text, "x"]))
    (cell, _) = next(csv.reader(io.StringIO(line.getvalue(), newline="")))
    assert not cell.startswith(FORMULA_START) or is_plain_number(cell)
    assert unescape_cell(cell) == text


@settings(max_examples=2000, deadline=None)
@given(st.lists(ANY_TEXT, min_size=2, max_size=6))  # an export line has 11 cells
def test_the_claims_export_line_writer_agrees_with_the_csv_module(cells):
    """csv_field (the fast path of the claims export) parses back exactly as csv.writer's."""
    line = ",".join(csv_field(c) for c in cells) + "\r\n"
    parsed = next(csv.reader(io.StringIO(line, newline="")))
    assert parsed == [escape_cell(c) for c in cells]
    assert [unescape_cell(p) for p in parsed] == cells


CLAIM_HEADER = b"settlement,status,as_of,published_on,source,source_url,verification,summary\r\n"
CELL = st.one_of(
    st.sampled_from(
        [
            "sudzha",
            "gornal",
            "contested",
            "russian_control",
            "2024-01-05",
            "tass",
            "isw",
            "unverified",
            "geolocated",
            "https://example.org/a",
            "",
            "=1+1",
            "Гуево",
        ]
    ),
    ANY_TEXT,
)


@pytest.fixture(scope="module")
def fuzz_db(databases):
    from app.db import Database

    database = Database(databases.copy("demo"))
    yield database
    database.dispose()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400))
def test_any_bytes_get_a_clear_answer_and_never_a_partial_commit(fuzz_db, data):
    before = snapshot(fuzz_db)
    with fuzz_db.read_session() as session:
        plan = plan_import(session, data)  # never raises
    assert plan.ok or plan.problems
    try:
        with fuzz_db.writing() as session:
            commit_import(session, data, user=None, approve=False)
    except ImportRefused as refused:
        assert refused.plan.problems and all(p.reason for p in refused.plan.problems)
        assert snapshot(fuzz_db) == before
        return
    assert plan.ok  # stored only what a clean plan allowed


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(CELL, min_size=8, max_size=8), min_size=1, max_size=4))
def test_any_claims_file_is_stored_whole_or_not_at_all(fuzz_db, rows):
    body = io.StringIO()
    csv.writer(body, lineterminator="\r\n").writerows(rows)
    data = CLAIM_HEADER + body.getvalue().encode("utf-8")
    from sqlalchemy import func, select

    from app.claims.models import Claim

    with fuzz_db.read_session() as session:
        count = session.scalar(select(func.count()).select_from(Claim))
    try:
        with fuzz_db.writing() as session:
            plan = commit_import(session, data, user=None, approve=False)
    except ImportRefused:
        added = 0
    else:
        added = plan.added
    with fuzz_db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Claim)) == count + added
