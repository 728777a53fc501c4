"""procedures_import on xlsx: one workbook with three sheets, separate workbooks, typed Excel cells."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from procedures.catalogue_format import AGENCY_COLUMNS, PROCEDURE_COLUMNS, STEP_COLUMNS
from procedures.models import Agency, ProcedureStep, ProcedureVersion
from procedures.services import CatalogueImportError, catalogue_import
from tests.procedures.helpers import agency_rows, procedure_row, step_row

pytestmark = pytest.mark.django_db


def _sheet(workbook: Workbook, title: str, columns, rows, *, first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(column, "") or None for column in columns])


def _workbook(path: Path, sheets: list[tuple[str, tuple, list[dict]]]) -> Path:
    workbook = Workbook()
    for index, (title, columns, rows) in enumerate(sheets):
        _sheet(workbook, title, columns, rows, first=index == 0)
    workbook.save(path)
    return path


def test_one_workbook_with_three_sheets(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "catalogue.xlsx",
        [
            ("procedures", PROCEDURE_COLUMNS, [procedure_row()]),
            ("agencies", AGENCY_COLUMNS, agency_rows()),
            ("steps", STEP_COLUMNS, [step_row(), step_row(step_no="2", allotted_time="1")]),
        ],
    )
    report = catalogue_import(procedures=path)
    assert (report.agencies.created, report.versions.created, report.steps.created) == (3, 1, 2)
    assert not catalogue_import(procedures=path).changed


def test_errors_name_the_workbook_and_sheet(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "procedures.xlsx",
        [
            ("agencies", AGENCY_COLUMNS, agency_rows()),
            ("procedures", PROCEDURE_COLUMNS, [procedure_row()]),
            (
                "steps",
                STEP_COLUMNS,
                [
                    step_row(),
                    step_row(step_no="2"),
                    step_row(step_no="3"),
                    step_row(step_no="4", allotted_unit="ngày"),
                ],
            ),
        ],
    )
    with pytest.raises(CatalogueImportError) as excinfo:
        catalogue_import(procedures=path)
    assert [str(issue) for issue in excinfo.value.issues] == [
        "procedures.xlsx[steps] line 5, column allotted_unit: unknown unit 'ngày'; "
        "expected working_days|working_hours|calendar_days"
    ]
    assert not Agency.objects.exists()


def test_separate_workbooks_use_their_first_sheet(tmp_path: Path) -> None:
    agencies = _workbook(tmp_path / "agencies.xlsx", [("Sheet", AGENCY_COLUMNS, agency_rows())])
    procedures = _workbook(tmp_path / "p.xlsx", [("Danh mục", PROCEDURE_COLUMNS, [procedure_row()])])
    steps = _workbook(tmp_path / "s.xlsx", [("Quy trình", STEP_COLUMNS, [step_row()])])
    report = catalogue_import(procedures=procedures, steps=steps, agencies=agencies)
    assert (report.agencies.created, report.versions.created, report.steps.created) == (3, 1, 1)


def test_typed_excel_cells_are_read_as_the_format_expects(tmp_path: Path) -> None:
    """Numbers, dates and booleans typed in Excel: a code typed as 1.01444 gets its six decimals back."""
    workbook = Workbook()
    _sheet(workbook, "agencies", AGENCY_COLUMNS, agency_rows(), first=True)
    sheet = workbook.create_sheet("procedures")
    sheet.append(list(PROCEDURE_COLUMNS))
    typed = {
        **procedure_row(),
        "code": 1.01444,
        "statutory_time": 27,
        "statutory_unit": "calendar_days",
        "committed_time": 20.5,
        "full_online_eligible": True,
        "fees_vnd": 250000,
        "effective_from": datetime(2025, 7, 1),
    }
    sheet.append([typed[column] if typed[column] != "" else None for column in PROCEDURE_COLUMNS])
    steps = workbook.create_sheet("steps")
    steps.append(list(STEP_COLUMNS))
    steps.append([1.01444, datetime(2025, 7, 1), 1, "Tiếp nhận", "", "DEMO-D", 0.25, "working_days"])
    path = tmp_path / "typed.xlsx"
    workbook.save(path)

    catalogue_import(procedures=path)
    version = ProcedureVersion.objects.get()
    assert version.procedure.code == "1.014440"
    assert (version.statutory_term_amount, version.committed_term_amount) == (Decimal(27), Decimal("20.5"))
    assert version.committed_term_unit == "calendar_days"
    assert version.full_online_eligible is True and version.fees_vnd == 250000
    assert ProcedureStep.objects.get().allotted_working_hours == Decimal(2)


def test_missing_column_in_a_sheet(tmp_path: Path) -> None:
    columns = [c for c in STEP_COLUMNS if c != "allotted_unit"]
    path = _workbook(
        tmp_path / "book.xlsx",
        [("procedures", PROCEDURE_COLUMNS, [procedure_row()]), ("steps", columns, [step_row()])],
    )
    with pytest.raises(CatalogueImportError) as excinfo:
        catalogue_import(procedures=path)
    assert [str(i) for i in excinfo.value.issues] == [
        "book.xlsx[steps] line 1: missing required column(s) allotted_unit; a steps table needs: "
        + ",".join(STEP_COLUMNS)
    ]
