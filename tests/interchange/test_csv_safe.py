"""The one CSV escaper: no cell a spreadsheet would run, and every text comes back unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.interchange import exports
from app.interchange.csv_io import read_rows
from app.interchange.csv_safe import (
    _PLAIN_NUMBER,
    csv_field,
    escape_cell,
    escape_row,
    unescape_cell,
)
from app.interchange.exports import for_excel
from app.interchange.formats import csv_lines
from app.interchange.importer import commit_import
from tests.helpers import make_settings


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tleading tab", "'\tleading tab"),
        ("\rcarriage return", "'\rcarriage return"),
        ("'quoted already", "''quoted already"),
    ],
)
def test_formula_looking_cells_get_a_leading_quote(value, written):
    assert escape_cell(value) == written


@pytest.mark.parametrize("value", ["-12.5", "+3", "-0.0001", "1e-5", "-7E+3", "51.1914"])
def test_plain_numbers_stay_as_they_are(value):
    assert escape_cell(value) == value


@pytest.mark.parametrize(
    "value", ["Guyevo", "Гуево", "سوجا", "a=b", "", "Ministry says: -retaken-", "100%"]
)
def test_ordinary_text_is_untouched(value):
    assert escape_cell(value) == value


def test_none_is_empty():
    assert escape_cell(None) == ""


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "'a", "''b", "'=c", "plain", "-12.5", "", "Гуево"],
)
def test_round_trip_through_a_real_csv_file(value):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([escape_cell(value)])
    (cell,) = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert not cell.startswith(("=", "+", "@", "\t", "\r")) or cell == value
    assert unescape_cell(cell) == value or (cell == value and not value.startswith("'"))


# --- property tests: any text comes back through our own writers and reader ---------------

# Any text but NUL (refused everywhere, as a file holding it is not text) and lone surrogates
# (which no UTF-8 or UTF-16 file can hold).
ANY_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
)


def _through_export_and_import(cells: list[str], *, excel: bool) -> list[str]:
    """Cells written as an export writes them (both writers), read as the import reads them."""
    header = ["a", *(f"c{i}" for i in range(len(cells)))]
    first = ",".join(csv_field(c) for c in ["fixed", *cells]) + "\r\n"  # the claims fast path
    chunks: list[bytes] = [
        b"".join(csv_lines(header, [escape_row(["fixed", *cells])])),  # every other export
        first.encode("utf-8"),
    ]
    if excel:
        text = b"".join(for_excel(chunks))[2:].decode("utf-16-le")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
        return [unescape_cell(c) for r in rows[1:] for c in r[1:]]
    _header, rows = read_rows(b"".join(chunks).decode("utf-8"))
    return [v for row in rows for k, v in row.values.items() if k != "a"]


@settings(max_examples=500, deadline=None)
@given(st.lists(ANY_TEXT, min_size=1, max_size=4))
def test_any_text_round_trips_through_the_export_writers_and_the_import_reader(cells):
    assert _through_export_and_import(cells, excel=False) == cells * 2


@settings(max_examples=500, deadline=None)
@given(st.lists(ANY_TEXT, min_size=1, max_size=4))
def test_any_text_round_trips_through_the_excel_variant(cells):
    assert _through_export_and_import(cells, excel=True) == cells * 2


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_no_excel_cell_starts_a_formula(text):
    chunk = b"".join(csv_lines(["a", "b"], [escape_row([text, "x"])]))
    rows = list(
        csv.reader(
            io.StringIO(b"".join(for_excel([chunk]))[2:].decode("utf-16-le"), newline=""),
            delimiter="\t",
        )
    )
    cell = rows[1][0]
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _PLAIN_NUMBER.fullmatch(cell)


@pytest.mark.parametrize("summary", ["'Sever' says so", "''twice", "'", "'=1+1", "-5 km", "=A1"])
def test_a_persons_own_leading_quote_survives_an_import_and_an_export(fresh_db, summary):
    row = f"sudzha,contested,2023-05-01,tass,{csv_field(summary)}"
    data = f"settlement,status,as_of,source,summary\r\n{row}\r\n".encode()
    with fresh_db.writing() as session:
        commit_import(session, data, user=None, approve=True)
    exported = b"".join(exports.claims_csv(fresh_db, make_settings(fresh_db.url)))
    _header, rows = read_rows(exported.decode("utf-8"))
    (row,) = [r for r in rows if r.values["as_of"] == "2023-05-01"]
    assert row.values["summary"] == summary
