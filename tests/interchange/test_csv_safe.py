"""The one CSV escaper: no cell a spreadsheet would run, and every text comes back unchanged."""

from __future__ import annotations

import csv
import io

import pytest

from app.interchange.csv_safe import escape_cell, unescape_cell


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
