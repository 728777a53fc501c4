"""procedures.text: what counts as a formula, what stays a number, and what counts as an ASCII digit."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook

from procedures.text import csv_text, csv_text_restore, csv_writer, is_ascii_digits, nfc, nfkc, xlsx_text


@pytest.mark.parametrize("text", ["=1+1", "+84912", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_text_is_prefixed_and_restored(text):
    assert csv_text(text) == "'" + text
    assert csv_text_restore(csv_text(text)) == text


@pytest.mark.parametrize("value", [-3, -0.5, 0, 12, "Sở Khoa học", "", "'Ông' giữ nguyên", "1-2"])
def test_numbers_and_harmless_text_are_unchanged(value):
    assert csv_text(value) == value
    if isinstance(value, str):
        assert csv_text_restore(value) == value


def test_csv_writer_keeps_negative_numbers_numeric():
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\n").writerows([["=cmd", -5, -1.25, "-x"]])
    assert buffer.getvalue() == "'=cmd,-5,-1.25,'-x\n"
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=cmd", "-5", "-1.25", "'-x"]


def test_xlsx_text_cells_never_become_formulas(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    xlsx_text(sheet.cell(row=1, column=1, value='=HYPERLINK("http://x")'))
    xlsx_text(sheet.cell(row=1, column=2, value=-7))
    workbook.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx").active
    assert (back["A1"].data_type, back["A1"].value) == ("s", '=HYPERLINK("http://x")')
    assert (back["B1"].data_type, back["B1"].value) == ("n", -7)


def test_digits_ascii_only_after_nfkc():
    fullwidth = "００１２０３０１２３４５"
    arabic_indic = "٠٠١٢٠٣٠١٢٣٤٥"
    assert fullwidth.isdigit() and arabic_indic.isdigit()  # why \d and isdigit() are not enough
    assert is_ascii_digits(nfkc(fullwidth)) and nfkc(fullwidth) == "001203012345"
    assert not is_ascii_digits(nfkc(arabic_indic))


def test_nfc_composes_vietnamese():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert decomposed != "Nguyễn Thị Ánh" and nfc(decomposed) == "Nguyễn Thị Ánh"
