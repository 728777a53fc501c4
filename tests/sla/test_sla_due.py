"""``manage.py sla_due`` — the operator's due-date question (issue 2 interface)."""

import subprocess
import sys
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from procedures.models import Agency
from sla.choices import OverrideKind
from sla.models import CalendarOverride

pytestmark = pytest.mark.django_db


def sla_due(*args: str) -> list[str]:
    out = StringIO()
    call_command("sla_due", *args, stdout=out)
    return out.getvalue().splitlines()


def test_example_1_prints_iso_with_offset_first():
    lines = sla_due("--start", "2025-04-25T16:30", "--working-days", "5")
    assert lines == ["2025-05-06T16:30:00+07:00"]


def test_example_1_after_15h_and_explain():
    lines = sla_due(
        "--start", "2025-04-25T16:30", "--working-days", "5", "--cutoff", "after_15h", "--explain"
    )
    assert lines[0] == "2025-05-06T17:00:00+07:00"
    text = "\n".join(lines[1:])
    assert "[cutoff]" in text
    assert "[holiday]" in text and "30/04/2025" in text
    assert "[makeup_workday]" in text  # Saturday 26/4/2025 is worked (swap for Friday 2/5)


def test_same_day_procedure_with_15h_cutoff_example_4():
    assert sla_due("--start", "2025-04-24T15:10", "--working-days", "0", "--cutoff", "after_15h") == [
        "2025-04-25T17:00:00+07:00"
    ]
    assert sla_due("--start", "2025-04-24T14:50", "--working-days", "0", "--cutoff", "after_15h") == [
        "2025-04-24T17:00:00+07:00"
    ]
    # Real 2025 calendar: 30/4, 1/5 and the swapped 2/5 are off, so the next working day is Monday 5/5.
    assert sla_due("--start", "2025-04-29T15:30", "--working-days", "0", "--cutoff", "after_15h") == [
        "2025-05-05T17:00:00+07:00"
    ]


def test_offset_given_and_fractional_hours_and_calendar_days():
    assert sla_due("--start", "2025-04-25T09:30:00+00:00", "--working-hours", "0.5") == [
        "2025-04-25T17:00:00+07:00"
    ]
    assert sla_due("--start", "2025-03-03T09:00", "--calendar-days", "12") == ["2025-03-17T17:00:00+07:00"]


def test_agency_closure_moves_the_due_date():
    parent = Agency.objects.create(code="DEMO-TINH", name="UBND tỉnh (demo)", level="province")
    Agency.objects.create(code="DEMO-SO", name="Sở (demo)", level="department", parent=parent)
    CalendarOverride.objects.create(
        day=date(2025, 5, 6), kind=OverrideKind.CLOSURE, name="Nghỉ do bão", agency_code="DEMO-TINH"
    )
    lines = sla_due("--start", "2025-04-25T16:30", "--working-days", "5", "--agency", "DEMO-SO", "--explain")
    assert lines[0] == "2025-05-07T16:30:00+07:00"
    assert any("[closure]" in line and "Nghỉ do bão" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2025-04-25T16:30", "--working-days", "năm"], "cannot parse term"),
        (["--start", "2025-04-25T16:30", "--working-days", "-1"], "non-negative"),
        (["--start", "25/04/2025", "--working-days", "5"], "cannot parse"),
        (["--start", "2050-01-03T08:00", "--working-days", "5"], "horizon"),
        (["--start", "2040-12-28T08:00", "--working-days", "30"], "horizon"),
        (["--start", "2025-04-25T16:30", "--working-days", "5", "--agency", "NOPE"], "unknown agency"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        sla_due(*args)


def test_bad_term_from_the_shell_is_one_line_without_traceback():
    result = subprocess.run(
        [sys.executable, "manage.py", "sla_due", "--start", "2025-04-25T16:30", "--working-days", "abc"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "cannot parse term" in result.stderr
