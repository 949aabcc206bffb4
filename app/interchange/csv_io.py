"""Reading CSV text the way analysts write it: BOM or not, comma or semicolon.

The reader is strict about quotes: a quote left open would otherwise swallow the rest of the
file into one cell and the import would "succeed" with one absurd row. Every fault in the
file's shape is raised as :class:`CsvFormatError` naming the line a person has to look at.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


# Bytes read at most at once: a file without line breaks is still read in pieces.
READ_LIMIT = 1 << 20


def text_lines(stream: BinaryIO) -> Iterator[str]:
    """A binary file's lines as UTF-8 text, one at a time, as the csv module wants them (split
    at \\n, \\r or \\r\\n, endings kept): memory holds one line, whatever the file's size.

    Faults are raised as CsvFormatError naming their line, with the words ``decode`` uses:
    a UTF-16 file, bytes that are not UTF-8, NUL bytes.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line_number = 0  # lines (\\n) read before this piece
    offset = 0  # bytes read before this piece (after a byte-order mark)
    first = True
    while raw := stream.readline(READ_LIMIT):
        if first:
            first = False
            if raw.startswith(UTF16_BOMS):
                decode(raw)  # raises, in its words
            if raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
        try:
            text = decoder.decode(raw)
        except UnicodeDecodeError as error:
            raise CsvFormatError(
                line_number + raw.count(b"\n", 0, max(error.start, 0)) + 1,
                f"the file is not UTF-8 text (byte {offset + max(error.start, 0) + 1} of the "
                "file cannot be read); save it as “CSV UTF-8” and try again",
            ) from None
        if "\x00" in text:
            raise CsvFormatError(
                line_number + 1, "the file contains NUL bytes: it is not a CSV text file"
            )
        offset += len(raw)
        line_number += raw.count(b"\n")
        if "\r" in text[:-2]:
            # A lone carriage return ends a line too (old Mac files; newline="" semantics).
            yield from io.StringIO(text, newline="")
        elif text:
            yield text
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise CsvFormatError(
            line_number + 1,
            f"the file is not UTF-8 text (byte {offset} of the file cannot be read); "
            "save it as “CSV UTF-8” and try again",
        ) from None


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


class _LineTap:
    """The file's lines handed to the csv reader, keeping those of the record being read."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
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
    # Split as the csv module expects (at \n, \r or \r\n only), endings kept.
    return read_lines(io.StringIO(text, newline=""))


def read_stream(stream: BinaryIO) -> tuple[list[str], Iterator[CsvRow]]:
    """As read_rows, from a binary file read a line at a time (text_lines): rows are read as
    they are iterated, so memory does not grow with the file."""
    return read_lines(text_lines(stream))


def read_lines(lines: Iterable[str]) -> tuple[list[str], Iterator[CsvRow]]:
    """As read_rows, from the file's lines (endings kept)."""
    line_iter = iter(lines)
    first = next(line_iter, "")
    delimiter = sniff_delimiter(first.split("\n", 1)[0])
    tap = _LineTap(itertools.chain([first], line_iter) if first else iter(()))
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
