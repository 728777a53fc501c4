"""Bad input: every problem reported as '<file> line N, column C: reason', and nothing written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from procedures.catalogue_format import PROCEDURE_COLUMNS
from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion
from procedures.services import CatalogueImportError, catalogue_import
from tests.procedures.factories import AgencyFactory, ProcedureStepFactory, ProcedureVersionFactory
from tests.procedures.helpers import agency_rows, procedure_row, step_row

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Agency, Procedure, ProcedureVersion, ProcedureStep))


@pytest.fixture
def existing() -> ProcedureVersion:
    """Something already in the database, so "nothing written" also means "nothing changed"."""
    version = ProcedureVersionFactory(
        procedure__code="DEMO.000050", procedure__agency=AgencyFactory(code="DEMO-X0")
    )
    ProcedureStepFactory(version=version, step_no=1, allotted_working_hours=Decimal(8))
    return version


def _issues(paths: dict[str, Path]) -> list[str]:
    before = _counts()
    with pytest.raises(CatalogueImportError) as excinfo:
        catalogue_import(
            procedures=paths["procedures"], steps=paths.get("steps"), agencies=paths.get("agencies")
        )
    assert _counts() == before, "nothing may be written when a row is bad"
    return [str(issue) for issue in excinfo.value.issues]


def _files(catalogue_files, *, procedures=None, steps=None, agencies=None):
    return catalogue_files(
        agencies=agency_rows() if agencies is None else agencies,
        procedures=[procedure_row()] if procedures is None else procedures,
        steps=[step_row()] if steps is None else steps,
    )


CASES = {
    "unknown step unit": (
        {"steps": [step_row(), step_row(step_no="2", allotted_unit="ngày")]},
        "steps.csv line 3, column allotted_unit: unknown unit 'ngày'; "
        "expected working_days|working_hours|calendar_days",
    ),
    "calendar days on a step": (
        {"steps": [step_row(allotted_unit="calendar_days")]},
        "steps.csv line 2, column allotted_unit: calendar_days cannot be converted to working hours",
    ),
    "unknown term unit": (
        {"procedures": [procedure_row(statutory_unit="ngày làm việc")]},
        "procedures.csv line 2, column statutory_unit: unknown unit 'ngày làm việc'; "
        "expected working_days|working_hours|calendar_days",
    ),
    "bad date": (
        {"procedures": [procedure_row(effective_from="2025-13-01")], "steps": []},
        "procedures.csv line 2, column effective_from: bad date '2025-13-01'; expected YYYY-MM-DD",
    ),
    "date in another format": (
        {"procedures": [procedure_row(effective_from="01/07/2025")], "steps": []},
        "procedures.csv line 2, column effective_from: bad date '01/07/2025'; expected YYYY-MM-DD",
    ),
    "bad step date": (
        {"steps": [step_row(effective_from="2025-7-1")]},
        "steps.csv line 2, column effective_from: bad date '2025-7-1'; expected YYYY-MM-DD",
    ),
    "bad number": (
        {"procedures": [procedure_row(statutory_time="mười")]},
        "procedures.csv line 2, column statutory_time: not a number: 'mười'",
    ),
    "number with two separators": (
        {"procedures": [procedure_row(statutory_time="1.000,5")]},
        "procedures.csv line 2, column statutory_time: not a number: '1.000,5'",
    ),
    "too many decimals": (
        {"procedures": [procedure_row(statutory_time="1.234")]},
        "procedures.csv line 2, column statutory_time: too many decimal places in '1.234'; at most 2",
    ),
    "negative term": (
        {"procedures": [procedure_row(statutory_time="-3")]},
        "procedures.csv line 2, column statutory_time: negative numbers are not allowed: '-3'",
    ),
    "negative step time": (
        {"steps": [step_row(allotted_time="-1")]},
        "steps.csv line 2, column allotted_time: negative numbers are not allowed: '-1'",
    ),
    "negative fees": (
        {"procedures": [procedure_row(fees_vnd="-250000")]},
        "procedures.csv line 2, column fees_vnd: negative numbers are not allowed: '-250000'",
    ),
    "fractional fees": (
        {"procedures": [procedure_row(fees_vnd="1,5")]},
        "procedures.csv line 2, column fees_vnd: fees must be a whole number of đồng: '1,5'",
    ),
    "suffixed code": (
        {"procedures": [procedure_row(code="1.000948.H38")], "steps": []},
        "procedures.csv line 2, column code: malformed procedure code '1.000948.H38'; expected a national "
        "code "
        "d.dddddd (e.g. 1.004227) or a demo code DEMO.dddddd; drop the local suffix and use '1.000948'",
    ),
    "truncated code": (
        {"procedures": [procedure_row(code="1.01443")], "steps": []},
        "procedures.csv line 2, column code: malformed procedure code '1.01443'",
    ),
    "malformed step code": (
        {"steps": [step_row(code="1.008377.000.00.00.H13")]},
        "steps.csv line 2, column code: malformed procedure code '1.008377.000.00.00.H13'",
    ),
    "duplicate procedure row": (
        {"procedures": [procedure_row(), procedure_row(name="Bản sao")]},
        "procedures.csv line 3, column effective_from: duplicate procedure DEMO.000001 effective 2025-07-01 "
        "(first on line 2)",
    ),
    "duplicate agency code": (
        {
            "agencies": [
                *agency_rows(),
                {"code": "DEMO-D", "name": "Trùng", "level": "unit", "parent_code": ""},
            ]
        },
        "agencies.csv line 5, column code: duplicate agency code 'DEMO-D' (first on line 3)",
    ),
    "committed longer than statutory": (
        {"procedures": [procedure_row(committed_time="12", committed_unit="working_days")]},
        "procedures.csv line 2, column committed_time: the committed term 12 working_days is longer than the "
        "statutory term 10 working_days",
    ),
    "committed in working days beyond calendar days": (
        {
            "procedures": [
                procedure_row(
                    statutory_unit="calendar_days", committed_time="11", committed_unit="working_days"
                )
            ]
        },
        "procedures.csv line 2, column committed_time: the committed term 11 working_days is longer than the "
        "statutory term 10 calendar_days",
    ),
    "online longer than committed": (
        {"procedures": [procedure_row(committed_time="5", online_time="6")]},
        "procedures.csv line 2, column online_time: the online term 6 working_days is longer than the "
        "committed "
        "term 5 working_days",
    ),
    "committed unit without time": (
        {"procedures": [procedure_row(committed_unit="working_days")]},
        "procedures.csv line 2, column committed_unit: committed_unit is given but committed_time is empty",
    ),
    "steps exceed the committed term": (
        {
            "procedures": [procedure_row(committed_time="2")],
            "steps": [
                step_row(allotted_time="1"),
                step_row(step_no="2", allotted_time="1"),
                step_row(step_no="3"),
            ],
        },
        "steps.csv line 4, column allotted_time: the steps of DEMO.000001 effective 2025-07-01 total 20 "
        "working "
        "hours, longer than the committed term 2 working_days (at most 16 working hours); the running total "
        "first "
        "exceeds it at this step",
    ),
    "unknown agency": (
        {"procedures": [procedure_row(agency_code="DEMO-NOWHERE")]},
        "procedures.csv line 2, column agency_code: unknown agency 'DEMO-NOWHERE' (not in the agencies file "
        "nor "
        "in the database)",
    ),
    "unknown step unit code": (
        {"steps": [step_row(unit_code="DEMO-NOWHERE")]},
        "steps.csv line 2, column unit_code: unknown unit 'DEMO-NOWHERE' (not in the agencies file nor in "
        "the "
        "database)",
    ),
    "steps without a procedure": (
        {"steps": [step_row(code="DEMO.000009")]},
        "steps.csv line 2, column effective_from: no procedure DEMO.000009 effective 2025-07-01: neither a "
        "row "
        "of the procedures file nor a version in the database",
    ),
    "steps for another date": (
        {"steps": [step_row(effective_from="2024-01-01")]},
        "steps.csv line 2, column effective_from: no procedure DEMO.000001 effective 2024-01-01",
    ),
    "duplicate step_no": (
        {"steps": [step_row(), step_row(step_name="Lặp")]},
        "steps.csv line 3, column step_no: duplicate step_no 1 for DEMO.000001 effective 2025-07-01 (first "
        "on "
        "line 2)",
    ),
    "step_no zero": (
        {"steps": [step_row(step_no="0")]},
        "steps.csv line 2, column step_no: out of range: '0'; expected 1 to 32767",
    ),
    "step_no not a number": (
        {"steps": [step_row(step_no="B1")]},
        "steps.csv line 2, column step_no: not a whole number: 'B1'",
    ),
    "unknown parent agency": (
        {
            "agencies": [
                *agency_rows(),
                {"code": "DEMO-Q", "name": "Q", "level": "unit", "parent_code": "DEMO-NONE"},
            ]
        },
        "agencies.csv line 5, column parent_code: unknown parent agency 'DEMO-NONE'",
    ),
    "parent loop": (
        {
            "agencies": [
                *agency_rows(),
                {"code": "DEMO-L1", "name": "L1", "level": "unit", "parent_code": "DEMO-L2"},
                {"code": "DEMO-L2", "name": "L2", "level": "unit", "parent_code": "DEMO-L1"},
            ]
        },
        "agencies.csv line 5, column parent_code: the parent chain loops: DEMO-L1 → DEMO-L2 → DEMO-L1",
    ),
    "unknown agency level": (
        {"agencies": [{**agency_rows()[0], "level": "district"}, *agency_rows()[1:]]},
        "agencies.csv line 2, column level: unknown agency level 'district'; "
        "expected ministry|province|department|unit|commune",
    ),
    "unknown procedure level": (
        {"procedures": [procedure_row(level="cấp tỉnh")]},
        "procedures.csv line 2, column level: unknown procedure level 'cấp tỉnh'; "
        "expected ministry|province|commune|province_commune",
    ),
    "unknown online level": (
        {"procedures": [procedure_row(online_level="mức độ 4")]},
        "procedures.csv line 2, column online_level: unknown online level 'mức độ 4'; expected "
        "full|partial|none",
    ),
    "bad boolean": (
        {"procedures": [procedure_row(full_online_eligible="có")]},
        "procedures.csv line 2, column full_online_eligible: not a yes/no value: 'có'",
    ),
    "missing name": (
        {"procedures": [procedure_row(name="  ")]},
        "procedures.csv line 2, column name: a value is required",
    ),
}


@pytest.mark.parametrize(("overrides", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_input_is_reported_with_line_and_column(catalogue_files, existing, overrides, expected) -> None:
    issues = _issues(_files(catalogue_files, **overrides))
    assert any(issue.startswith(expected) for issue in issues), "\n".join(issues)


def test_existing_steps_must_fit_a_shortened_committed_term(catalogue_files, existing) -> None:
    existing.procedure.agency = Agency.objects.get(code="DEMO-X0")
    ProcedureStepFactory(version=existing, step_no=2, allotted_working_hours=Decimal(40))  # 48 h in all
    paths = catalogue_files(
        procedures=[procedure_row(code="DEMO.000050", agency_code="DEMO-X0", statutory_time="5")]
    )
    issues = _issues(paths)
    assert issues == [
        "procedures.csv line 2, column committed_time: the 2 steps already recorded for this version total "
        "48 "
        "working hours, longer than the committed term 5 working_days (at most 40 working hours); import its "
        "steps too or shorten them first"
    ]


def test_every_bad_row_and_every_bad_cell_is_reported(catalogue_files, existing) -> None:
    paths = _files(
        catalogue_files,
        procedures=[
            procedure_row(),
            procedure_row(
                code="DEMO.000002", statutory_time="x", statutory_unit="ngày", effective_from="2025"
            ),
            procedure_row(code="DEMO.000003"),
            procedure_row(code="bad", fees_vnd="-1"),
        ],
        steps=[
            step_row(),
            step_row(step_no="2", allotted_unit="giờ"),
            step_row(step_no="3", allotted_time="abc"),
        ],
    )
    issues = _issues(paths)
    located = {issue.split(":")[0] for issue in issues}
    assert located == {
        "procedures.csv line 3, column statutory_time",
        "procedures.csv line 3, column statutory_unit",
        "procedures.csv line 3, column effective_from",
        "procedures.csv line 5, column code",
        "procedures.csv line 5, column fees_vnd",
        "steps.csv line 3, column allotted_unit",
        "steps.csv line 4, column allotted_time",
    }


def test_missing_columns_give_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "procedures.csv"
    path.write_text("code,name,level\nDEMO.000001,Một,province\n", encoding="utf-8")
    issues = _issues({"procedures": path})
    assert len(issues) == 1
    assert issues[0].startswith(
        "procedures.csv line 1: missing required column(s) field, agency_code, statutory_time"
    )


def test_an_unquoted_decimal_comma_is_reported(tmp_path: Path) -> None:
    AgencyFactory(code="DEMO-D")
    # A file without the optional received_in column, so legal_basis is the last one.
    columns = [column for column in PROCEDURE_COLUMNS if column != "received_in"]
    header = ",".join(columns)
    good = ",".join(procedure_row()[column] for column in columns)
    shifted = ",".join(procedure_row(code="DEMO.000002")[column] for column in columns).replace(
        "2025-07-01,QĐ demo", "2025-07-01,QĐ, demo"
    )
    path = tmp_path / "procedures.csv"
    path.write_text(f"{header}\n{good}\n{shifted}\n", encoding="utf-8")
    issues = _issues({"procedures": path})
    assert issues == [
        "procedures.csv line 3: 1 value(s) beyond the last column; a decimal written with a comma must be "
        "quoted "
        '("0,5") or written with a point (0.5)'
    ]


def test_physical_line_numbers_count_multiline_values(tmp_path: Path, catalogue_files) -> None:
    paths = catalogue_files(
        agencies=agency_rows(),
        procedures=[
            procedure_row(name="Tên\ntrên hai dòng"),
            procedure_row(code="DEMO.000002", statutory_time="x"),
        ],
    )
    issues = _issues(paths)
    assert issues == ["procedures.csv line 4, column statutory_time: not a number: 'x'"]


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    odd = tmp_path / "catalogue.ods"
    odd.write_text("x")
    assert _issues({"procedures": odd}) == [
        "catalogue.ods: unsupported file type '.ods'; expected .csv or .xlsx"
    ]
    missing = tmp_path / "nothing.csv"
    assert _issues({"procedures": missing}) == [f"{missing}: file not found"]


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "procedures.csv"
    path.write_bytes(",".join(PROCEDURE_COLUMNS).encode() + "\nDEMO.000001,Đơn\n".encode("cp1258"))
    [issue] = _issues({"procedures": path})
    assert issue.startswith("procedures.csv: not UTF-8 text")


def test_command_fails_with_every_message(catalogue_files, existing) -> None:
    paths = _files(
        catalogue_files,
        steps=[step_row(allotted_unit="ngày"), step_row(step_no="2", allotted_unit="ngày")],
    )
    before = _counts()
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "procedures_import",
            str(paths["procedures"]),
            steps=str(paths["steps"]),
            agencies=str(paths["agencies"]),
        )
    message = str(excinfo.value)
    assert message.startswith("2 problem(s) found; nothing was imported:")
    assert "steps.csv line 2, column allotted_unit: unknown unit 'ngày'" in message
    assert "steps.csv line 3, column allotted_unit: unknown unit 'ngày'" in message
    assert _counts() == before
