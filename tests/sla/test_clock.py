"""The legal clock: pauses, restarts, extensions (domain §2.3 step 4, §9 Ex 2)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import Unit, WorkingCalendar
from sla.clock import ExtensionFact, PauseFact, compute_due

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIXTURE = WorkingCalendar(
    holidays={date(2025, 4, 30): "Ngày Chiến thắng", date(2025, 5, 1): "Quốc tế Lao động"},
    first_year=2024,
    last_year=2026,
)


def at(*args):
    return datetime(*args, tzinfo=TZ)


RECEIVED = at(2025, 4, 25, 16, 30)


def test_example_2_pause_semantics():
    result = compute_due(
        FIXTURE,
        started_at=RECEIVED,
        amount=5,
        unit=Unit.WORKING_DAYS,
        cutoff="after_close",
        pauses=[PauseFact(at(2025, 4, 28, 10), at(2025, 5, 5, 10), "bổ sung")],
    )
    assert result.due_at == at(2025, 5, 9, 16, 30)
    assert result.paused_seconds == 24 * 3600
    assert any(r.kind == "pause" for r in result.rules)


def test_example_2_restart_semantics():
    result = compute_due(
        FIXTURE,
        started_at=RECEIVED,
        amount=5,
        unit=Unit.WORKING_DAYS,
        cutoff="after_close",
        semantics="restart",
        pauses=[PauseFact(at(2025, 4, 28, 10), at(2025, 5, 5, 10))],
    )
    assert result.due_at == at(2025, 5, 12, 10)


def test_open_pause_is_not_credited_yet():
    result = compute_due(
        FIXTURE,
        started_at=RECEIVED,
        amount=5,
        unit=Unit.WORKING_DAYS,
        cutoff="after_close",
        pauses=[PauseFact(at(2025, 4, 28, 10), None)],
    )
    assert result.due_at == at(2025, 5, 6, 16, 30)
    assert result.paused_seconds == 0


def test_extension_is_added_in_working_time():
    # chứng thực may be extended by up to 2 working days (data README §3).
    result = compute_due(
        FIXTURE,
        started_at=at(2025, 4, 24, 14, 50),
        amount=0,
        unit=Unit.WORKING_DAYS,
        cutoff="after_15h",
        extensions=[ExtensionFact(2, Unit.WORKING_DAYS, "xác minh")],
    )
    assert result.due_at == at(2025, 4, 28, 17)  # same day 24/4 17:00, then 25/4 and 28/4
    assert result.rules[-1].kind == "extension"


def test_calendar_day_term_credits_calendar_pause():
    base = compute_due(
        FIXTURE, started_at=at(2025, 3, 3, 9), amount=10, unit="calendar_days", cutoff="after_close"
    )
    paused = compute_due(
        FIXTURE,
        started_at=at(2025, 3, 3, 9),
        amount=10,
        unit="calendar_days",
        cutoff="after_close",
        pauses=[PauseFact(at(2025, 3, 4, 9), at(2025, 3, 6, 9))],
    )
    assert base.due_at == at(2025, 3, 13, 17)  # a term in days ends at the close of its last day
    assert paused.due_at == at(2025, 3, 17, 17)  # 15/3 is a Saturday: rolled to the end of Monday


_instants = st.integers(min_value=0, max_value=300 * 24 * 4).map(
    lambda q: at(2025, 1, 2) + timedelta(minutes=15 * q)
)


@settings(max_examples=200, deadline=None)
@given(
    start=_instants,
    amount=st.integers(min_value=0, max_value=40 * 4).map(lambda q: q / 4),
    unit=st.sampled_from([Unit.WORKING_DAYS, Unit.WORKING_HOURS, Unit.CALENDAR_DAYS]),
    semantics=st.sampled_from(["pause", "restart"]),
    gaps=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 2000)), max_size=3),
)
def test_adding_a_pause_never_moves_the_due_date_earlier(start, amount, unit, semantics, gaps):
    """Each new pause (after the existing ones) keeps or delays the due moment."""
    pauses: list[PauseFact] = []
    cursor = start
    previous = compute_due(
        FIXTURE, started_at=start, amount=amount, unit=unit, cutoff="after_close", semantics=semantics
    ).due_at
    for before_minutes, length_minutes in gaps:
        p_start = cursor + timedelta(minutes=before_minutes)
        p_end = p_start + timedelta(minutes=length_minutes)
        cursor = p_end
        pauses.append(PauseFact(p_start, p_end))
        due = compute_due(
            FIXTURE,
            started_at=start,
            amount=amount,
            unit=unit,
            cutoff="after_close",
            semantics=semantics,
            pauses=pauses,
        ).due_at
        assert due >= previous
        previous = due
