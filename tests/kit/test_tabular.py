"""The one CSV/XLSX writer: text that a spreadsheet would evaluate is quoted, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from creditdesk.kit import tabular

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_be_a_formula_gets_a_leading_quote_as_written(text):
    assert tabular.safe_cell(text) == "'" + text  # the tab is kept: "\t=1+1" never becomes "=1+1"


def test_numbers_stay_numbers_and_ordinary_text_is_untouched():
    assert tabular.safe_cell(-2.5) == -2.5
    assert tabular.safe_cell(Decimal("-1200.50")) == Decimal("-1200.50")
    assert tabular.safe_cell(-3) == -3
    assert tabular.safe_cell(True) == "True"  # a bool is not a number here
    assert tabular.safe_cell("Asha Verma") == "Asha Verma"
    assert tabular.safe_cell(" =1+1") == " =1+1"  # a leading space is not a trigger; it is not stripped either
    assert tabular.safe_cell(None) is None
    # the same characters: a number column keeps its sign, the text column is neutralised
    assert tabular.csv_line([-2.5, "-2.5", None]) == "-2.5,'-2.5,\r\n"


def test_a_written_file_reads_back_as_what_was_put_in():
    text = tabular.csv_text(["ref", "amount"], [[v, -1] for v in HOSTILE])
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [tabular.read_cell(r[0]) for r in rows] == HOSTILE
    assert [r[1] for r in rows] == ["-1"] * len(HOSTILE)
    assert tabular.read_cell("'plain") == "'plain"  # only the writer's own quote is undone


def test_xlsx_cells_are_never_formulas_and_numbers_are_numeric():
    data = tabular.xlsx_bytes(["ref", "amount"], [[v, Decimal("-2.5")] for v in HOSTILE])
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith(tabular.FORMULA_TRIGGERS) for c in cells)
    assert [r[1].value for r in sheet.iter_rows(min_row=2)] == [-2.5] * len(HOSTILE)
