"""procedures_import on CSV: values stored, idempotency, versions, steps replacement, the command."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion
from procedures.selectors import version_in_force
from procedures.services import catalogue_import
from tests.procedures.factories import AgencyFactory, ProcedureStepFactory, ProcedureVersionFactory
from tests.procedures.helpers import agency_rows, procedure_row, step_row, write_table

pytestmark = pytest.mark.django_db


def _import(paths: dict[str, Path], **kwargs):
    return catalogue_import(
        procedures=paths["procedures"], steps=paths.get("steps"), agencies=paths.get("agencies"), **kwargs
    )


def _basic(catalogue_files, **overrides):
    return catalogue_files(
        agencies=agency_rows(),
        procedures=[
            procedure_row(),
            procedure_row(
                code="1.014438",
                name="Thủ tục công nhận trung tâm đổi mới sáng tạo cấp tỉnh",
                agency_code="DEMO-P",
                statutory_time="27",
                statutory_unit="calendar_days",
                committed_time="20",
                committed_unit="",
                online_time="15",
                online_unit="working_days",
                online_level="full",
                full_online_eligible="yes",
                fees_vnd="250.000",
            ),
        ],
        steps=[
            step_row(step_no="1", allotted_time="0.5"),
            step_row(
                step_no="2",
                step_name="Thẩm định",
                unit_code="DEMO-U",
                allotted_time="6",
                allotted_unit="working_hours",
            ),
            step_row(step_no="3", step_name="Trả kết quả", unit_code="", allotted_time="", allotted_unit=""),
        ],
        **overrides,
    )


def test_import_stores_every_value(catalogue_files) -> None:
    report = _import(_basic(catalogue_files))
    assert (
        report.agencies.created,
        report.procedures.created,
        report.versions.created,
        report.steps.created,
    ) == (
        3,
        2,
        2,
        3,
    )
    division = Agency.objects.get(code="DEMO-U")
    assert division.calendar_scope_codes() == ["DEMO-P", "DEMO-D", "DEMO-U"]
    assert Agency.objects.get(code="DEMO-D").e_id == "DEMO.1"

    plain = ProcedureVersion.objects.get(procedure__code="DEMO.000001")
    assert (plain.statutory_term_amount, plain.statutory_term_unit) == (Decimal(10), "working_days")
    assert (plain.committed_term_amount, plain.committed_term_unit) == (Decimal(10), "working_days")
    assert plain.online_term_amount is None and plain.online_term_unit == ""
    assert plain.fees_vnd == 0 and plain.full_online_eligible is False and plain.effective_to is None

    reduced = ProcedureVersion.objects.get(procedure__code="1.014438")
    assert reduced.procedure.agency.code == "DEMO-P"
    assert (reduced.committed_term_amount, reduced.committed_term_unit) == (Decimal(20), "calendar_days")
    assert (reduced.online_term_amount, reduced.online_term_unit) == (Decimal(15), "working_days")
    assert reduced.online_level == "full" and reduced.full_online_eligible is True
    assert reduced.fees_vnd == 250000

    steps = list(ProcedureStep.objects.filter(version=plain).order_by("step_no"))
    assert [s.allotted_working_hours for s in steps] == [Decimal(4), Decimal(6), None]
    assert [s.unit.code if s.unit else "" for s in steps] == ["DEMO-D", "DEMO-U", ""]


def test_reimport_changes_nothing(catalogue_files) -> None:
    paths = _basic(catalogue_files)
    _import(paths)
    snapshot = list(ProcedureVersion.objects.values()), list(ProcedureStep.objects.values())
    report = _import(paths)
    assert not report.changed
    assert (report.agencies.unchanged, report.procedures.unchanged, report.versions.unchanged) == (3, 2, 2)
    assert report.steps.unchanged == 3
    assert (list(ProcedureVersion.objects.values()), list(ProcedureStep.objects.values())) == snapshot


def test_bom_and_decimal_comma_are_accepted(tmp_path: Path) -> None:
    AgencyFactory(code="DEMO-D")
    from procedures.catalogue_format import PROCEDURE_COLUMNS, STEP_COLUMNS

    procedures = write_table(
        tmp_path / "p.csv", PROCEDURE_COLUMNS, [procedure_row(statutory_time="2,5")], bom=True
    )
    steps = write_table(tmp_path / "s.csv", STEP_COLUMNS, [step_row(allotted_time="0,25")], bom=True)
    catalogue_import(procedures=procedures, steps=steps)
    version = ProcedureVersion.objects.get()
    assert version.statutory_term_amount == Decimal("2.5")
    assert version.steps.get().allotted_working_hours == Decimal(2)


def test_new_effective_from_adds_a_version_and_closes_the_old_one(catalogue_files) -> None:
    _import(_basic(catalogue_files))
    paths = catalogue_files(
        procedures=[procedure_row(effective_from="2026-01-01", statutory_time="7", name="Tên mới")],
        steps=[step_row(effective_from="2026-01-01", allotted_time="7")],
        folder="v2",
    )
    report = _import(paths)
    assert report.versions.created == 1 and report.closed_versions == 1 and report.procedures.updated == 1
    procedure = Procedure.objects.get(code="DEMO.000001")
    assert procedure.name == "Tên mới"
    old = version_in_force(procedure, date(2025, 12, 31))
    new = version_in_force(procedure, date(2026, 1, 1))
    assert old.effective_to == date(2025, 12, 31) and old.statutory_term_amount == 10
    assert new.statutory_term_amount == 7 and new.effective_to is None
    assert old.steps.count() == 3 and new.steps.get().allotted_working_hours == 56


def test_older_row_does_not_bring_back_old_procedure_fields(catalogue_files) -> None:
    AgencyFactory(code="DEMO-D")
    _import(catalogue_files(procedures=[procedure_row(effective_from="2026-01-01", name="Tên hiện hành")]))
    _import(
        catalogue_files(procedures=[procedure_row(effective_from="2024-01-01", name="Tên cũ")], folder="old")
    )
    procedure = Procedure.objects.get()
    assert procedure.name == "Tên hiện hành"
    assert procedure.versions.get(effective_from=date(2024, 1, 1)).effective_to == date(2025, 12, 31)


def test_same_effective_from_updates_in_place_and_replaces_steps(catalogue_files) -> None:
    _import(_basic(catalogue_files))
    plain = ProcedureVersion.objects.get(procedure__code="DEMO.000001")
    paths = catalogue_files(
        procedures=[procedure_row(statutory_time="12", fees_vnd="")],
        steps=[
            step_row(step_no="1", allotted_time="0.5"),  # unchanged
            step_row(step_no="2", step_name="Thẩm định lại", allotted_time="1"),  # updated
            step_row(step_no="4", step_name="Lưu hồ sơ", allotted_time="0.25"),  # created; 3 is deleted
        ],
        folder="v1b",
    )
    report = _import(paths)
    assert (report.versions.updated, report.versions.created) == (1, 0)
    assert (report.steps.unchanged, report.steps.updated, report.steps.created, report.steps.deleted) == (
        1,
        1,
        1,
        1,
    )
    plain.refresh_from_db()
    assert plain.statutory_term_amount == 12 and plain.committed_term_amount == 12 and plain.fees_vnd is None
    assert list(plain.steps.order_by("step_no").values_list("step_no", "allotted_working_hours")) == [
        (1, Decimal(4)),
        (2, Decimal(8)),
        (4, Decimal(2)),
    ]
    other = ProcedureVersion.objects.get(procedure__code="1.014438")
    assert other.steps.count() == 0  # untouched: it was not in the steps file


def test_versions_absent_from_the_steps_file_keep_their_steps(catalogue_files) -> None:
    version = ProcedureVersionFactory(
        procedure__code="DEMO.000001", procedure__agency=AgencyFactory(code="DEMO-D")
    )
    ProcedureStepFactory(version=version, step_no=1)
    report = _import(catalogue_files(procedures=[procedure_row(legal_basis="Sửa căn cứ")], steps=[]))
    assert report.versions.updated == 1
    assert version.steps.count() == 1


def test_steps_may_target_a_version_already_in_the_database(catalogue_files) -> None:
    ProcedureVersionFactory(procedure__code="DEMO.000001", procedure__agency=AgencyFactory(code="DEMO-D"))
    paths = catalogue_files(procedures=[], steps=[step_row(allotted_time="2")])
    report = _import(paths)
    assert report.steps.created == 1


def test_dry_run_writes_nothing_but_counts(catalogue_files) -> None:
    report = _import(_basic(catalogue_files), dry_run=True)
    assert report.dry_run and report.versions.created == 2 and report.steps.created == 3
    assert not Agency.objects.exists() and not ProcedureVersion.objects.exists()
    assert "dry run" in str(report)


def test_command_prints_the_summary(catalogue_files) -> None:
    paths = _basic(catalogue_files)
    out = StringIO()
    call_command(
        "procedures_import",
        str(paths["procedures"]),
        "--steps",
        str(paths["steps"]),
        "--agencies",
        str(paths["agencies"]),
        stdout=out,
    )
    assert out.getvalue().splitlines() == [
        "agencies: 3 created, 0 updated, 0 unchanged",
        "procedures: 2 created, 0 updated, 0 unchanged",
        "versions: 2 created, 0 updated, 0 unchanged",
        "steps: 3 created, 0 updated, 0 unchanged",
    ]


def test_the_optional_deciding_column_marks_the_deciding_step(catalogue_files, tmp_path) -> None:
    from procedures.catalogue_format import STEP_COLUMNS, STEP_EXPORT_COLUMNS

    paths = _basic(catalogue_files)
    _import(paths)  # a steps file without the column: no step is marked
    plain = ProcedureVersion.objects.get(procedure__code="DEMO.000001")
    assert list(plain.steps.order_by("step_no").values_list("deciding", flat=True)) == [False, False, False]

    rows = [  # the same steps as before; only the mark is new
        step_row(step_no="1", allotted_time="0.5", deciding=""),
        step_row(
            step_no="2",
            step_name="Thẩm định",
            unit_code="DEMO-U",
            allotted_time="6",
            allotted_unit="working_hours",
            deciding="true",
        ),
        step_row(step_no="3", step_name="Trả kết quả", unit_code="", allotted_time="", allotted_unit=""),
    ]
    marked = write_table(tmp_path / "steps_deciding.csv", STEP_EXPORT_COLUMNS, rows)
    report = catalogue_import(procedures=paths["procedures"], steps=marked)
    assert (report.steps.updated, report.steps.unchanged) == (1, 2)
    assert list(plain.steps.order_by("step_no").values_list("deciding", flat=True)) == [False, True, False]

    bad = write_table(tmp_path / "steps_bad.csv", STEP_EXPORT_COLUMNS, [step_row(deciding="có")])
    with pytest.raises(Exception) as refused:
        catalogue_import(procedures=paths["procedures"], steps=bad)
    assert "column deciding: not a yes/no value: 'có'" in str(refused.value.issues[0])
    assert "deciding" not in STEP_COLUMNS  # optional: older files without it keep importing
