"""Reading CSV text the way analysts write it: BOM or not, comma or semicolon."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.interchange.csv_safe import unescape_cell


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int  # 1-based line number of the row in the file (the header is line 1)
    values: dict[str, str]


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark; anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"the file is not UTF-8 text (byte {error.start + 1} cannot be read); "
            "save it as CSV UTF-8 and try again"
        ) from None


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_rows(text: str) -> tuple[list[str], Iterator[CsvRow]]:
    """The header (normalised column names) and the rows, cells unescaped, line-numbered."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], iter(())

    def rows() -> Iterator[CsvRow]:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            values = {
                name: unescape_cell(cells[i]) if i < len(cells) else ""
                for i, name in enumerate(header)
            }
            yield CsvRow(reader.line_num, values)

    return header, rows()


def read_file(path: Path) -> tuple[list[str], list[CsvRow]]:
    header, rows = read_rows(decode(path.read_bytes()))
    return header, list(rows)
