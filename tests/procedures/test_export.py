"""procedures_export: same format as the import; export → import reproduces the data exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from procedures.choices import OnlineLevel, TermUnit
from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion
from procedures.services import catalogue_export, catalogue_import
from procedures.services.versions import procedure_versions_close
from tests.procedures.factories import (
    AgencyFactory,
    ProcedureFactory,
    ProcedureStepFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, list[tuple]]:
    """Everything the format carries, by natural keys (no database ids)."""
    return {
        "agencies": sorted(
            (a.code, a.name, a.level, a.parent.code if a.parent else "", a.e_id)
            for a in Agency.objects.select_related("parent")
        ),
        "procedures": sorted(
            (p.code, p.name, p.field, p.level, p.agency.code)
            for p in Procedure.objects.select_related("agency")
        ),
        "versions": sorted(
            (
                v.procedure.code,
                v.effective_from,
                v.effective_to,
                v.statutory_term_amount,
                v.statutory_term_unit,
                v.committed_term_amount,
                v.committed_term_unit,
                v.online_term_amount,
                v.online_term_unit,
                v.online_level,
                v.full_online_eligible,
                v.fees_vnd,
                v.legal_basis,
                tuple(sorted(a.code for a in v.received_in.all())),
            )
            for v in ProcedureVersion.objects.select_related("procedure").prefetch_related("received_in")
        ),
        "steps": sorted(
            (
                s.version.procedure.code,
                s.version.effective_from,
                s.step_no,
                s.name,
                s.role,
                s.unit.code if s.unit else "",
                s.allotted_working_hours,
                s.deciding,
            )
            for s in ProcedureStep.objects.select_related("version__procedure", "unit")
        ),
    }


@pytest.fixture
def catalogue() -> None:
    province = AgencyFactory(code="DEMO-P", province=True, name="UBND tỉnh, Demo")  # a comma in a value
    department = AgencyFactory(code="DEMO-D", parent=province)
    division = AgencyFactory(code="DEMO-U", parent=department, e_id="")
    commune = AgencyFactory(code="DEMO-X", commune=True, parent=province)
    first = ProcedureFactory(code="1.014438", agency=department, name='Thủ tục "có ngoặc"\nhai dòng')
    old = ProcedureVersionFactory(procedure=first, effective_from=date(2024, 1, 1), fees_vnd=None)
    ProcedureStepFactory(version=old, step_no=1, unit=division, allotted_working_hours=Decimal("1.5"))
    new = ProcedureVersionFactory(
        procedure=first,
        effective_from=date(2025, 7, 1),
        statutory_term_amount=Decimal(27),
        statutory_term_unit=TermUnit.CALENDAR_DAYS,
        committed_term_amount=Decimal("17.5"),
        committed_term_unit=TermUnit.WORKING_DAYS,
        online=True,
        legal_basis="QĐ 1; QĐ 2",
    )
    ProcedureStepFactory(version=new, step_no=1, unit=division, allotted_working_hours=Decimal(4))
    ProcedureStepFactory(version=new, step_no=2, unit=None, allotted_working_hours=Decimal(20), deciding=True)
    ProcedureStepFactory(version=new, step_no=3, not_counted=True)
    procedure_versions_close(procedure_ids=[first.pk])
    same_day = ProcedureFactory(code="2.000815", agency=commune, level="commune", field="")
    ProcedureVersionFactory(
        procedure=same_day,
        statutory_term_amount=Decimal(0),
        committed_term_amount=Decimal(0),
        online_level=OnlineLevel.PARTIAL,
        fees_vnd=10000,
    )
    ProcedureFactory(code="DEMO.000001", agency=province)  # a procedure without any version
    other_province = AgencyFactory(code="DEMO-P2", province=True)
    ministry = AgencyFactory(code="DEMO-BO", level="ministry", parent=None)
    delegated = ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.009844", agency=ministry, level="ministry")
    )
    delegated.received_in.set([province, other_province])  # delegated to two provinces


def _wipe() -> None:
    ProcedureStep.objects.all().delete()
    ProcedureVersion.objects.all().delete()
    Procedure.objects.all().delete()
    while Agency.objects.exists():  # leaves first: a parent is protected while it has children
        Agency.objects.filter(children__isnull=True).delete()


@pytest.mark.parametrize("target", ["out", "catalogue.xlsx"])
def test_round_trip_into_an_empty_database(tmp_path: Path, catalogue, target: str) -> None:
    Procedure.objects.filter(
        code="DEMO.000001"
    ).delete()  # the format has no row for a procedure without version
    before = _snapshot()
    report = catalogue_export(target=tmp_path / target)
    assert (report.agencies, report.versions, report.steps) == (6, 4, 4)

    again = catalogue_import(
        procedures=tmp_path / target if target.endswith(".xlsx") else tmp_path / target / "procedures.csv",
        steps=None if target.endswith(".xlsx") else tmp_path / target / "steps.csv",
        agencies=None if target.endswith(".xlsx") else tmp_path / target / "agencies.csv",
    )
    assert not again.changed  # re-import into the same database: all unchanged

    _wipe()
    assert not Agency.objects.exists()
    if target.endswith(".xlsx"):
        catalogue_import(procedures=tmp_path / target)
    else:
        catalogue_import(
            procedures=tmp_path / target / "procedures.csv",
            steps=tmp_path / target / "steps.csv",
            agencies=tmp_path / target / "agencies.csv",
        )
    assert _snapshot() == before


def test_export_twice_gives_identical_files(tmp_path: Path, catalogue) -> None:
    catalogue_export(target=tmp_path / "a")
    catalogue_export(target=tmp_path / "b")
    for name in ("agencies.csv", "procedures.csv", "steps.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_step_allotments_are_written_in_days_when_exact(tmp_path: Path, catalogue) -> None:
    catalogue_export(target=tmp_path / "out")
    lines = (tmp_path / "out" / "steps.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "code,effective_from,step_no,step_name,role,unit_code,allotted_time,allotted_unit,deciding"
    )
    assert lines[1].endswith(",DEMO-U,1.5,working_hours,false")  # 1.5 h = 0.1875 day: kept in hours
    assert lines[2].endswith(",DEMO-U,0.5,working_days,false")
    assert lines[3].endswith(",,2.5,working_days,true")  # the step marked deciding
    assert lines[4].endswith(",,,,false")  # not counted


def test_agency_filter_exports_the_subtree_and_what_it_needs(tmp_path: Path, catalogue) -> None:
    report = catalogue_export(target=tmp_path / "out", agency_code="DEMO-D")
    assert report.versions == 2
    agencies = (tmp_path / "out" / "agencies.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [line.split(",")[0] for line in agencies] == ["DEMO-P", "DEMO-D", "DEMO-U"]  # parents first
    procedures = (tmp_path / "out" / "procedures.csv").read_text(encoding="utf-8")
    assert "2.000815" not in procedures


def test_export_command(tmp_path: Path, catalogue) -> None:
    out = StringIO()
    call_command("procedures_export", str(tmp_path / "x.xlsx"), stdout=out)
    assert "x.xlsx" in out.getvalue() and (tmp_path / "x.xlsx").exists()
    with pytest.raises(CommandError, match="unknown agency 'DEMO-NONE'"):
        call_command("procedures_export", str(tmp_path / "y"), agency="DEMO-NONE")
