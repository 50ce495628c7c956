"""The one writer of every CSV and XLSX the product produces, safe to open in a spreadsheet.

Security invariant (formula injection, OWASP "CSV Injection"): a spreadsheet runs a cell whose text
starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and tab or carriage return ahead of one is
dropped by some importers. Text cells starting with any of these six characters are written with a
single quote in front (``'=HYPERLINK(…)``), so the cell is shown as text and never evaluated. The
check sees the text exactly as given: leading whitespace is not stripped first, so ``"\\t=1+1"``
becomes ``"'\\t=1+1"``, never ``"=1+1"``.

Numbers stay numbers: a value that is a Python ``int``, ``float`` or ``Decimal`` (not ``bool``) is
written as a number, so a negative amount ``-2.5`` in a numeric column is still ``-2.5``. Everything
else — ``str`` above all, including a string that merely looks like a number such as ``"-2+3"`` — is
text and is neutralised. Callers therefore pass numeric columns as numbers, not as pre-formatted text.

Reading a file back (:func:`read_cell`) undoes exactly this quote, so a results or template file the
product wrote can be uploaded again and reads as what was put in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeGuard

#: First characters that make a spreadsheet evaluate a cell (or drop ahead of a formula).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Number = int | float | Decimal
Cell = str | Number | None


def is_number(value: Any) -> TypeGuard[Number]:
    """Whether a value is written as a number (int, float or Decimal; a bool is not a number here)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def safe_cell(value: Any) -> Cell:
    """Return the value as a spreadsheet cell: numbers as they are, text quoted when it could be a formula."""
    if value is None:
        return None
    if is_number(value):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def read_cell(value: Any) -> Any:
    """Undo :func:`safe_cell`'s quote on a cell read back from a file (``'=x`` → ``=x``); others unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line (with its line ending) of spreadsheet-safe cells."""
    buf = io.StringIO()
    csv.writer(buf).writerow(["" if (c := safe_cell(v)) is None else c for v in values])
    return buf.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document: the header line and one line per row."""
    return "".join(iter_csv(header, rows))


def iter_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield a CSV document line by line (for streaming responses)."""
    yield csv_line(header)
    for row in rows:
        yield csv_line(row)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]], *, sheet: str = "Sheet1") -> bytes:
    """An XLSX workbook with one sheet: the header row and one row per row; text cells are never formulas."""
    # openpyxl costs ~0.4 s to import and only XLSX exports need it (it ships no type hints)
    from openpyxl import Workbook  # type: ignore[import-untyped]  # noqa: PLC0415

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([safe_cell(v) for v in header])
    for row in rows:
        worksheet.append([safe_cell(v) for v in row])  # openpyxl reads only "=…" text as a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
