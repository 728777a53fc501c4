"""The catalogue's optional ``received_in`` column: where else a version may be received (Decree 118/2025).

Agency codes separated by ``;``; empty = only the deciding agency's province (for a ministry: the ministry).
A file without the column still imports and leaves the stored lists as they are.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from procedures.catalogue_format import AGENCY_COLUMNS, PROCEDURE_COLUMNS, STEP_COLUMNS
from procedures.models import ProcedureVersion
from procedures.services import CatalogueImportError, catalogue_export, catalogue_import
from tests.procedures.helpers import agency_rows, procedure_row, write_table

pytestmark = pytest.mark.django_db

MINISTRY = {"code": "DEMO-BO", "name": "Bộ Demo", "level": "ministry", "parent_code": "", "e_id": ""}
OTHER = {"code": "DEMO-P2", "name": "UBND tỉnh Demo 2", "level": "province", "parent_code": "", "e_id": ""}
OLD_COLUMNS = tuple(c for c in PROCEDURE_COLUMNS if c != "received_in")


def _ministry_row(**overrides: str) -> dict[str, str]:
    return procedure_row(code="1.009844", level="ministry", agency_code="DEMO-BO", **overrides)


def _files(tmp_path: Path, rows, *, columns=PROCEDURE_COLUMNS, folder: str = "in") -> dict[str, Path]:
    base = tmp_path / folder
    base.mkdir(exist_ok=True)
    return {
        "agencies": write_table(base / "agencies.csv", AGENCY_COLUMNS, [*agency_rows(), MINISTRY, OTHER]),
        "procedures": write_table(base / "procedures.csv", columns, rows),
    }


def _import(paths: dict[str, Path]):
    return catalogue_import(procedures=paths["procedures"], agencies=paths["agencies"])


def _delegated() -> list[str]:
    version = ProcedureVersion.objects.get(procedure__code="1.009844")
    return sorted(version.received_in.values_list("code", flat=True))


def test_the_column_is_part_of_the_format():
    assert "received_in" in PROCEDURE_COLUMNS


def test_codes_separated_by_semicolons_are_imported_and_reimport_changes_nothing(tmp_path):
    paths = _files(tmp_path, [_ministry_row(received_in="DEMO-P; DEMO-P2"), procedure_row()])
    report = _import(paths)
    assert report.versions.created == 2
    assert _delegated() == ["DEMO-P", "DEMO-P2"]
    again = _import(paths)
    assert not again.changed, str(again)


def test_a_changed_list_updates_the_version_and_an_empty_cell_clears_it(tmp_path):
    _import(_files(tmp_path, [_ministry_row(received_in="DEMO-P;DEMO-P2")]))
    report = _import(_files(tmp_path, [_ministry_row(received_in="DEMO-P2")], folder="b"))
    assert report.versions.updated == 1 and _delegated() == ["DEMO-P2"]
    report = _import(_files(tmp_path, [_ministry_row(received_in="")], folder="c"))
    assert report.versions.updated == 1 and _delegated() == []


def test_an_old_file_without_the_column_imports_and_keeps_the_stored_list(tmp_path):
    _import(_files(tmp_path, [_ministry_row(received_in="DEMO-P")]))
    report = _import(_files(tmp_path, [_ministry_row()], columns=OLD_COLUMNS, folder="old"))
    assert not report.changed and _delegated() == ["DEMO-P"]
    fresh = _files(tmp_path, [procedure_row(code="DEMO.000002")], columns=OLD_COLUMNS, folder="new")
    assert _import(fresh).versions.created == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "DEMO-P;DEMO-NONE",
            "procedures.csv line 2, column received_in: unknown agency 'DEMO-NONE' "
            "(not in the agencies file nor in the database)",
        ),
        (
            "DEMO-P;Sở Khoa học",
            "procedures.csv line 2, column received_in: malformed agency code 'Sở Khoa học'",
        ),
        (
            "DEMO-P;DEMO-P",
            "procedures.csv line 2, column received_in: agency 'DEMO-P' is listed twice",
        ),
    ],
)
def test_bad_values_are_reported_with_line_and_reason(tmp_path, value, message):
    paths = _files(tmp_path, [_ministry_row(received_in=value)])
    with pytest.raises(CatalogueImportError) as excinfo:
        _import(paths)
    issues = [str(issue) for issue in excinfo.value.issues]
    assert any(issue.startswith(message) for issue in issues), issues
    assert not ProcedureVersion.objects.exists()


def test_export_writes_the_column_in_csv_and_xlsx(tmp_path):
    _import(_files(tmp_path, [_ministry_row(received_in="DEMO-P2;DEMO-P"), procedure_row()]))
    catalogue_export(target=tmp_path / "out")
    lines = (tmp_path / "out" / "procedures.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[-1] == "received_in"
    ministry_line = next(line for line in lines if line.startswith("1.009844,"))
    assert ministry_line.endswith(",DEMO-P;DEMO-P2")
    catalogue_export(target=tmp_path / "out.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "out.xlsx", read_only=True)["procedures"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    column = rows[0].index("received_in")
    cells = {row[0]: (row[column] if column < len(row) else None) for row in rows[1:]}  # trailing empties cut
    assert cells == {"1.009844": "DEMO-P;DEMO-P2", "DEMO.000001": None}


def test_an_agency_export_carries_the_agencies_it_is_delegated_to(tmp_path):
    _import(_files(tmp_path, [_ministry_row(received_in="DEMO-P2")]))
    catalogue_export(target=tmp_path / "out", agency_code="DEMO-BO")
    agencies = (tmp_path / "out" / "agencies.csv").read_text(encoding="utf-8")
    assert "\nDEMO-P2," in agencies


def test_an_xlsx_sheet_with_the_column(tmp_path):
    workbook = Workbook()
    sheets = [
        ("procedures", PROCEDURE_COLUMNS, [_ministry_row(received_in="DEMO-P")]),
        ("agencies", AGENCY_COLUMNS, [*agency_rows(), MINISTRY, OTHER]),
        ("steps", STEP_COLUMNS, []),
    ]
    for index, (title, columns, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row.get(column, "") or None for column in columns])
    workbook.save(tmp_path / "c.xlsx")
    catalogue_import(procedures=tmp_path / "c.xlsx")
    assert _delegated() == ["DEMO-P"]
