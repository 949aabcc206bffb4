"""Reading CSV text the way analysts write it: BOM or not, comma or semicolon.

The reader is strict about quotes: a quote left open would otherwise swallow the rest of the
file into one cell and the import would "succeed" with one absurd row. Every fault in the
file's shape is raised as :class:`CsvFormatError` naming the line a person has to look at.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.interchange.csv_safe import unescape_cell

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int  # 1-based line of the file on which the row starts (the header is line 1)
    values: dict[str, str]


class CsvFormatError(ValueError):
    """The file is not well-formed CSV (or not UTF-8) at ``line``."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark; anything else is refused, naming the line."""
    if data.startswith(UTF16_BOMS):
        raise CsvFormatError(
            1,
            "the file is UTF-16 text, not UTF-8 (as Excel's “Unicode text” saves it); "
            "save it as “CSV UTF-8” and try again",
        )
    body = data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body.count(b"\n", 0, error.start) + 1
        raise CsvFormatError(
            line,
            f"the file is not UTF-8 text (byte {error.start + 1} of the file cannot be read); "
            "save it as “CSV UTF-8” and try again",
        ) from None


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


class _LineTap:
    """The file's lines handed to the csv reader, keeping those of the record being read."""

    def __init__(self, text: str) -> None:
        # Split as the csv module expects (at \n, \r or \r\n only), endings kept.
        self._lines = iter(io.StringIO(text, newline=""))
        self.record: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record.append(line)
        return line


def _last_quote_opened(lines: list[str], first_line: int, delimiter: str) -> int:
    """The line on which the last quoted cell of a record opened (as the csv reader reads it)."""
    opened_on = first_line
    in_quotes = False
    at_cell_start = True
    for offset, line in enumerate(lines):
        i = 0
        while i < len(line):
            char = line[i]
            if in_quotes:
                if char == '"':
                    if line[i + 1 : i + 2] == '"':
                        i += 1  # a doubled quote is a quote inside the cell
                    else:
                        in_quotes = False
            elif char == '"' and at_cell_start:
                in_quotes = True
                opened_on = first_line + offset
            at_cell_start = not in_quotes and char in (delimiter, "\r", "\n")
            i += 1
    return opened_on


def _format_error(
    error: csv.Error, tap: _LineTap, first_line: int, last_line: int, delimiter: str
) -> CsvFormatError:
    text = str(error)
    opened = _last_quote_opened(tap.record, first_line, delimiter)
    if "field larger than field limit" in text:
        limit = f"{csv.field_size_limit():,}"
        if last_line > opened:
            return CsvFormatError(
                opened,
                f"a quoted cell opens on this line and runs on past line {last_line} "
                f"(over {limit} characters): is its closing quote missing?",
            )
        return CsvFormatError(first_line, f"a cell is longer than {limit} characters")
    if "unexpected end of data" in text:
        return CsvFormatError(
            opened,
            "a quote opens a cell on this line and is never closed, so the rest of the file "
            "would be read as one cell: close the quote (a quote inside a cell is written twice)",
        )
    if "expected after" in text:
        return CsvFormatError(
            opened,
            f"the quoted cell that opens on this line has text after its closing quote "
            f"(on line {last_line}): is a quote missing? (a quote inside a cell is written twice)",
        )
    return CsvFormatError(first_line, f"the file cannot be read as CSV: {text}")


def read_rows(text: str) -> tuple[list[str], Iterator[CsvRow]]:
    """The header (normalised column names) and the rows, cells unescaped, line-numbered.

    Raises CsvFormatError for a broken header at once, and for a broken row when the
    iteration reaches it.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    tap = _LineTap(text)
    reader = csv.reader(tap, delimiter=delimiter, strict=True)

    def next_record() -> tuple[int, list[str]] | None:
        start = reader.line_num + 1
        tap.record = []
        try:
            return start, next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            raise _format_error(error, tap, start, reader.line_num, delimiter) from None

    head = next_record()
    if head is None:
        return [], iter(())
    header = [h.strip().lower() for h in head[1]]

    def rows() -> Iterator[CsvRow]:
        while (record := next_record()) is not None:
            line, cells = record
            if not any(c.strip() for c in cells):
                continue
            values = {
                name: unescape_cell(cells[i]) if i < len(cells) else ""
                for i, name in enumerate(header)
                if name
            }
            yield CsvRow(line, values)

    return header, rows()


def read_file(path: Path) -> tuple[list[str], list[CsvRow]]:
    header, rows = read_rows(decode(path.read_bytes()))
    return header, list(rows)
