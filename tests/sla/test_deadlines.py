"""Deadline services on the real database and the real Vietnamese calendar."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from sla.choices import DeadlineState, OverrideKind, PauseReason
from sla.models import CalendarOverride, DeadlinePause
from sla.services import (
    DeadlineError,
    calendar_for,
    deadline_extend,
    deadline_pause,
    deadline_resume,
    deadline_start,
    deadline_stop,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def domain_fixture_calendar():
    """Turn the real 2025 calendar into domain §9's fixture: no 26/4 ↔ 2/5 swap."""
    CalendarOverride.objects.create(day=date(2025, 4, 26), kind=OverrideKind.CLOSURE, name="fixture: no swap")
    CalendarOverride.objects.create(day=date(2025, 5, 2), kind=OverrideKind.WORKING, name="fixture: no swap")


def test_example_1_on_the_real_calendar():
    d = deadline_start(subject="t:1", started_at=at(2025, 4, 25, 16, 30), amount=5, unit="working_days")
    assert d.due_at == at(2025, 5, 6, 16, 30)
    assert d.state == DeadlineState.RUNNING
    kinds = {r["kind"] for r in d.explanation}
    assert {"holiday", "makeup_workday"} <= kinds


def test_example_2_pause_and_resume(domain_fixture_calendar):
    d = deadline_start(subject="t:2", started_at=at(2025, 4, 25, 16, 30), amount=5, unit="working_days")
    assert d.due_at == at(2025, 5, 6, 16, 30)
    d = deadline_pause(deadline=d, at=at(2025, 4, 28, 10), reason=PauseReason.SUPPLEMENT)
    assert d.state == DeadlineState.PAUSED
    d = deadline_resume(deadline=d, at=at(2025, 5, 5, 10))
    assert d.due_at == at(2025, 5, 9, 16, 30)
    assert d.paused_seconds == 24 * 3600
    assert DeadlinePause.objects.get(deadline=d).working_seconds == 24 * 3600


def test_example_2_restart(domain_fixture_calendar):
    d = deadline_start(
        subject="t:3", started_at=at(2025, 4, 25, 16, 30), amount=5, unit="working_days", semantics="restart"
    )
    deadline_pause(deadline=d, at=at(2025, 4, 28, 10), reason=PauseReason.SUPPLEMENT)
    d = deadline_resume(deadline=d, at=at(2025, 5, 5, 10))
    assert d.due_at == at(2025, 5, 12, 10)


def test_forbidden_clock_operations_say_why():
    d = deadline_start(subject="t:4", started_at=at(2025, 6, 2, 8), amount=1, unit="working_days")
    with pytest.raises(DeadlineError, match="cannot resume"):
        deadline_resume(deadline=d, at=at(2025, 6, 2, 9))
    deadline_pause(deadline=d, at=at(2025, 6, 2, 9), reason=PauseReason.FINANCIAL_OBLIGATION)
    with pytest.raises(DeadlineError, match="cannot pause"):
        deadline_pause(deadline=d, at=at(2025, 6, 2, 10), reason=PauseReason.SUPPLEMENT)
    with pytest.raises(DeadlineError, match="before its pause"):
        deadline_resume(deadline=d, at=at(2025, 6, 2, 8, 30))
    with pytest.raises(DeadlineError, match="naive"):
        deadline_start(subject="t:5", started_at=datetime(2025, 6, 2, 8), amount=1, unit="working_days")


def test_stop_while_paused_closes_the_pause_and_extension_after_stop_is_refused():
    d = deadline_start(subject="t:6", started_at=at(2025, 6, 2, 8), amount=2, unit="working_days")
    deadline_pause(deadline=d, at=at(2025, 6, 2, 9), reason=PauseReason.SUPPLEMENT)
    d = deadline_stop(deadline=d, at=at(2025, 6, 3, 9))
    assert d.state == DeadlineState.STOPPED
    assert d.stopped_at == at(2025, 6, 3, 9)
    assert not DeadlinePause.objects.filter(deadline=d, ended_at__isnull=True).exists()
    with pytest.raises(DeadlineError, match="stopped"):
        deadline_extend(deadline=d, amount=1, unit="working_days", reason="x", at=at(2025, 6, 3, 10))


def test_extension_moves_the_due_moment():
    d = deadline_start(subject="t:7", started_at=at(2025, 6, 2, 8), amount=1, unit="working_days")
    assert d.due_at == at(2025, 6, 3, 8)
    d = deadline_extend(deadline=d, amount=2, unit="working_days", reason="xác minh", at=at(2025, 6, 2, 10))
    assert d.due_at == at(2025, 6, 5, 8)


def test_deadline_crossing_into_next_year_sees_next_years_tet():
    # 50 working days from mid-December 2025 cross Tết 2026 (16–20/2/2026 in holidays' VN calendar).
    d = deadline_start(subject="t:8", started_at=at(2025, 12, 15, 7), amount=50, unit="working_days")
    cal = calendar_for()
    assert d.due_at == at(2026, 3, 2, 17)
    tet_days = [r for r in d.explanation if r["kind"] == "holiday" and r["day"].startswith("2026-02")]
    assert tet_days, d.explanation
    assert cal.working_time_between(at(2025, 12, 15, 7), d.due_at).total_seconds() == 50 * 8 * 3600


def test_agency_override_applies_to_that_agency_only():
    CalendarOverride.objects.create(
        day=date(2025, 5, 6), kind=OverrideKind.CLOSURE, name="Bão số 1", agency_code="X"
    )
    national = deadline_start(
        subject="t:9", started_at=at(2025, 4, 25, 16, 30), amount=5, unit="working_days"
    )
    local = deadline_start(
        subject="t:10", started_at=at(2025, 4, 25, 16, 30), amount=5, unit="working_days", agency_code="X"
    )
    assert national.due_at == at(2025, 5, 6, 16, 30)
    assert local.due_at == at(2025, 5, 7, 16, 30)
    assert any(r["kind"] == "closure" and "Bão" in r["text"] for r in local.explanation)
