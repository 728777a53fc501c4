"""Model invariants: agency tree, code formats, term inequalities, version chain, version in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from procedures.choices import TermUnit
from procedures.models import ProcedureStep
from procedures.selectors import agency_subtree_ids, procedures_of_agency, version_in_force
from procedures.services import procedure_version_create, procedure_versions_close
from tests.procedures.factories import (
    AgencyFactory,
    ProcedureFactory,
    ProcedureStepFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db


def test_calendar_scope_codes_go_from_root_to_self() -> None:
    province = AgencyFactory(code="DEMO-P", province=True)
    department = AgencyFactory(code="DEMO-D", parent=province)
    division = AgencyFactory(code="DEMO-U", parent=department)
    assert division.calendar_scope_codes() == ["DEMO-P", "DEMO-D", "DEMO-U"]
    assert province.calendar_scope_codes() == ["DEMO-P"]


def test_agency_parent_loop_is_refused() -> None:
    top = AgencyFactory(code="DEMO-A")
    below = AgencyFactory(code="DEMO-B", parent=top)
    top.parent = below
    with pytest.raises(ValidationError, match="vòng lặp"):
        top.full_clean()
    top.parent = top
    with pytest.raises(ValidationError):
        top.full_clean()


def test_agency_subtree_and_procedures_of_agency() -> None:
    province = AgencyFactory(code="DEMO-P", province=True)
    department = AgencyFactory(code="DEMO-D", parent=province)
    other = AgencyFactory(code="DEMO-O")
    mine = ProcedureFactory(agency=department)
    ProcedureFactory(agency=other)
    assert agency_subtree_ids([province]) == {province.pk, department.pk}
    assert list(procedures_of_agency(province)) == [mine]
    assert list(procedures_of_agency(province, include_subtree=False)) == []


@pytest.mark.parametrize("code", ["1.004227", "2.000815", "DEMO.000001"])
def test_procedure_code_accepts_national_and_demo_codes(code: str) -> None:
    ProcedureFactory.build(code=code, agency=AgencyFactory()).full_clean()


@pytest.mark.parametrize(
    "code", ["1.000948.H38", "1.008377.000.00.00.H13", "0.123456", "1.01443", "DEMO-1", "x"]
)
def test_procedure_code_refuses_suffixes_and_other_shapes(code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        ProcedureFactory.build(code=code, agency=AgencyFactory()).full_clean()
    assert "code" in excinfo.value.message_dict


def test_committed_longer_than_statutory_is_refused() -> None:
    version = ProcedureVersionFactory.build(
        procedure=ProcedureFactory(), committed_term_amount=Decimal(11), statutory_term_amount=Decimal(10)
    )
    with pytest.raises(ValidationError) as excinfo:
        version.full_clean()
    assert "committed_term_amount" in excinfo.value.message_dict


def test_committed_in_working_days_inside_calendar_days() -> None:
    procedure = ProcedureFactory()
    ok = ProcedureVersionFactory.build(
        procedure=procedure,
        statutory_term_amount=Decimal(15),
        statutory_term_unit=TermUnit.CALENDAR_DAYS,
        committed_term_amount=Decimal(15),
        committed_term_unit=TermUnit.WORKING_DAYS,
    )
    ok.full_clean()  # not certainly longer: passes (loose bound)
    ok.committed_term_amount = Decimal("15.5")
    with pytest.raises(ValidationError):
        ok.full_clean()


def test_online_term_longer_than_committed_is_refused() -> None:
    version = ProcedureVersionFactory.build(
        procedure=ProcedureFactory(),
        reduced=True,
        online_term_amount=Decimal(8),
        online_term_unit=TermUnit.WORKING_DAYS,
    )
    with pytest.raises(ValidationError) as excinfo:
        version.full_clean()
    assert "online_term_amount" in excinfo.value.message_dict


def test_online_term_needs_amount_and_unit() -> None:
    version = ProcedureVersionFactory.build(procedure=ProcedureFactory(), online_term_amount=Decimal(3))
    with pytest.raises(ValidationError):
        version.full_clean()


def test_steps_exceeding_the_committed_term_are_refused() -> None:
    version = ProcedureVersionFactory(statutory_term_amount=Decimal(2))  # 16 working hours
    ProcedureStepFactory(version=version, step_no=1, allotted_working_hours=Decimal(8))
    ProcedureStepFactory(version=version, step_no=2, not_counted=True)
    fits = ProcedureStep(version=version, step_no=3, name="Ký duyệt", allotted_working_hours=Decimal(8))
    fits.full_clean()
    too_long = ProcedureStep(
        version=version, step_no=3, name="Ký duyệt", allotted_working_hours=Decimal("8.5")
    )
    with pytest.raises(ValidationError) as excinfo:
        too_long.full_clean()
    assert "allotted_working_hours" in excinfo.value.message_dict


def test_version_refuses_a_committed_term_shorter_than_its_steps() -> None:
    version = ProcedureVersionFactory()
    ProcedureStepFactory(version=version, allotted_working_hours=Decimal(60))
    version.committed_term_amount = Decimal(7)  # 56 working hours
    with pytest.raises(ValidationError, match="Tổng thời gian các bước"):
        version.full_clean()


def test_database_refuses_negative_hours() -> None:
    version = ProcedureVersionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureStepFactory(version=version, allotted_working_hours=Decimal(-1))


def test_new_version_closes_its_predecessor_and_version_in_force() -> None:
    procedure = ProcedureFactory()
    first = ProcedureVersionFactory(procedure=procedure, effective_from=date(2024, 1, 1))
    second = procedure_version_create(
        procedure=procedure,
        effective_from=date(2025, 7, 1),
        statutory_term_amount=Decimal(7),
        statutory_term_unit=TermUnit.WORKING_DAYS,
    )
    first.refresh_from_db()
    assert first.effective_to == date(2025, 6, 30)
    assert second.effective_to is None
    assert second.committed_term_amount == Decimal(7)
    assert version_in_force(procedure, date(2023, 12, 31)) is None
    assert version_in_force(procedure, date(2024, 1, 1)) == first
    assert version_in_force(procedure, date(2025, 6, 30)) == first
    assert version_in_force(procedure, date(2025, 7, 1)) == second
    assert procedure_versions_close(procedure_ids=[procedure.pk]) == 0  # already a chain


def test_version_inserted_between_two_others_is_closed_too() -> None:
    procedure = ProcedureFactory()
    ProcedureVersionFactory(procedure=procedure, effective_from=date(2024, 1, 1))
    ProcedureVersionFactory(procedure=procedure, effective_from=date(2026, 1, 1))
    middle = ProcedureVersionFactory(procedure=procedure, effective_from=date(2025, 1, 1))
    assert procedure_versions_close(procedure_ids=[procedure.pk]) == 2
    middle.refresh_from_db()
    assert middle.effective_to == date(2025, 12, 31)
    assert version_in_force(procedure, date(2025, 6, 1)) == middle


def test_abolished_last_version_keeps_its_end() -> None:
    version = ProcedureVersionFactory(effective_to=date(2025, 12, 31))
    procedure_versions_close(procedure_ids=[version.procedure_id])
    version.refresh_from_db()
    assert version.effective_to == date(2025, 12, 31)
    assert version_in_force(version.procedure, date(2026, 1, 1)) is None


def test_documents_are_one_per_line() -> None:
    version = ProcedureVersionFactory(required_documents="Đơn đề nghị\n\n  Bản sao giấy phép  \n")
    assert version.required_documents_list == ["Đơn đề nghị", "Bản sao giấy phép"]
