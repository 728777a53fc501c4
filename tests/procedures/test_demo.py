"""The committed demo catalogue: rebuilt identically from shared/data, imports cleanly, loads idempotently."""

from __future__ import annotations

import csv
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion
from procedures.reference import DEMO_DIR, DOST_CATALOGUE_AGENCIES, convert_reference, write_conversion
from procedures.services import catalogue_export, catalogue_load_demo
from tests.procedures.helpers import SHARED_DATA, needs_shared_data

FILES = ("agencies.csv", "procedures.csv", "steps.csv")


def _rows(name: str) -> list[dict[str, str]]:
    with (DEMO_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@needs_shared_data
def test_rebuilding_gives_exactly_the_committed_files(tmp_path: Path) -> None:
    write_conversion(convert_reference(SHARED_DATA), tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), (
            f"{name} is stale: run procedures_build_demo"
        )


@needs_shared_data
def test_build_command_reports_what_it_skipped(tmp_path: Path) -> None:
    out = StringIO()
    call_command("procedures_build_demo", shared=SHARED_DATA, out=tmp_path, stdout=out)
    text = out.getvalue()
    assert "procedures_reference.csv line 42 (1.011937): term in months" in text
    assert "steps_reference.csv lines 207–230 (1.014451)" in text
    assert all((tmp_path / name).exists() for name in FILES)


def test_demo_agencies_and_e_ids_are_marked_demo() -> None:
    agencies = _rows("agencies.csv")
    assert all(row["code"].startswith("DEMO-") for row in agencies)
    assert all(row["e_id"].startswith("DEMO.") for row in agencies)
    levels = Counter(row["level"] for row in agencies)
    assert levels["commune"] == 2 and levels["province"] == 1


def test_demo_catalogue_content() -> None:
    procedures = _rows("procedures.csv")
    science = [row for row in procedures if row["agency_code"] in DOST_CATALOGUE_AGENCIES | {"DEMO-BKHCN"}]
    assert len(procedures) >= 30
    assert len(science) >= 30  # S&T procedures: the department's catalogue plus two ministry-level ones
    assert {row["effective_from"] for row in procedures} == {"2025-07-01"}


@pytest.mark.django_db
def test_demo_files_import_cleanly_and_reload_changes_nothing() -> None:
    report = catalogue_load_demo()
    procedures = _rows("procedures.csv")
    steps = _rows("steps.csv")
    assert report.procedures.created == Procedure.objects.count() == len(procedures)
    assert report.steps.created == ProcedureStep.objects.count() == len(steps) > 0
    assert Agency.objects.count() == len(_rows("agencies.csv"))
    codes_with_steps = {row["code"] for row in steps}
    assert len(codes_with_steps) >= 15
    for code in codes_with_steps:
        assert ProcedureVersion.objects.get(procedure__code=code).steps.exists()
    assert ProcedureStep.objects.filter(allotted_working_hours__isnull=True).exists()  # not counted
    assert Agency.objects.get(code="DEMO-SKHCN-QLCN").calendar_scope_codes() == [
        "DEMO-UBND",
        "DEMO-SKHCN",
        "DEMO-SKHCN-QLCN",
    ]

    again = catalogue_load_demo()
    assert not again.changed
    assert "agencies: 0 created, 0 updated, 10 unchanged" in str(again)


@pytest.mark.django_db
def test_export_of_the_demo_reproduces_the_demo_files(tmp_path: Path) -> None:
    catalogue_load_demo()
    catalogue_export(target=tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes()


@pytest.mark.django_db
def test_the_demo_delegates_one_ministry_procedure_to_the_province() -> None:
    """Decree 118/2025: a ministry TTHC is received in the province only where delegated; the demo shows
    both cases (a demo convention of ``procedures.reference.DEMO_DELEGATED_TO``)."""
    catalogue_load_demo()
    delegated = {
        v.procedure.code: sorted(a.code for a in v.received_in.all())
        for v in ProcedureVersion.objects.filter(procedure__agency__code="DEMO-BKHCN").select_related(
            "procedure"
        )
    }
    assert delegated == {"1.009844": ["DEMO-UBND"], "2.000169": []}
