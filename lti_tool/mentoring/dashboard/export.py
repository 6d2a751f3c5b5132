"""CSV export that spreadsheets open safely: UTF-8 with a byte-order mark, formula injection neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some spreadsheet
apps skip before reading a formula) is run as a formula by Excel, LibreOffice and Google Sheets — a
participant's name such as ``=HYPERLINK("http://evil.example", "click")`` would become a live link in the
coordinator's spreadsheet. Such text cells get a leading apostrophe, which spreadsheets show as text and
hide (OWASP "CSV Injection"). Numbers are written as numbers, so ``-3`` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """The value to write: numbers as they are, text starting like a formula prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV document line by line (the first line starts with the BOM), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[Cell]) -> str:
        writer.writerow([safe_cell(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(header)
    for row in rows:
        yield line(row)
