"""Comparing terms across units without a calendar (procedures.terms)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from procedures.choices import TermUnit
from procedures.terms import (
    WORKING_DAY_HOURS,
    Term,
    format_decimal,
    hours_certainly_exceed,
    term_certainly_exceeds,
)

WD, WH, CD = TermUnit.WORKING_DAYS, TermUnit.WORKING_HOURS, TermUnit.CALENDAR_DAYS


def test_working_day_is_eight_hours() -> None:
    assert WORKING_DAY_HOURS == 8
    assert Term(Decimal("0.5"), WD).working_hours_range() == (Decimal(4), Decimal(4))


def test_same_unit_compares_amounts() -> None:
    assert term_certainly_exceeds(Term(Decimal(11), WD), Term(Decimal(10), WD))
    assert not term_certainly_exceeds(Term(Decimal(10), WD), Term(Decimal(10), WD))
    assert term_certainly_exceeds(Term(Decimal(28), CD), Term(Decimal(27), CD))


def test_working_days_and_hours_convert_exactly() -> None:
    assert not term_certainly_exceeds(Term(Decimal(80), WH), Term(Decimal(10), WD))
    assert term_certainly_exceeds(Term(Decimal("80.5"), WH), Term(Decimal(10), WD))


def test_working_time_inside_calendar_days_uses_the_loose_bound() -> None:
    # 27 working days inside "27 ngày" pass (they may not fit in reality: Đồng Nai, data README §1) ...
    assert not term_certainly_exceeds(Term(Decimal(27), WD), Term(Decimal(27), CD))
    # ... but 28 working days can never fit in 27 calendar days.
    assert term_certainly_exceeds(Term(Decimal(28), WD), Term(Decimal(27), CD))


def test_calendar_days_inside_working_time_are_never_rejected() -> None:
    assert not term_certainly_exceeds(Term(Decimal(7), CD), Term(Decimal(5), WD))
    assert not term_certainly_exceeds(Term(Decimal(1000), CD), Term(Decimal(1), WH))


def test_hours_against_a_term() -> None:
    assert not hours_certainly_exceed(Decimal(120), Term(Decimal(15), WD))
    assert hours_certainly_exceed(Decimal(121), Term(Decimal(15), WD))
    assert hours_certainly_exceed(Decimal(1), Term(Decimal(0), WD))  # a same-day procedure has no step time


def _weekdays(start: date, days: int) -> int:
    return sum(1 for i in range(days) if (start + timedelta(days=i)).weekday() < 5)


@given(
    calendar_days=st.integers(min_value=0, max_value=120),
    working_days=st.decimals(min_value=0, max_value=150, places=2),
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
)
def test_never_rejects_working_time_that_fits_some_calendar(
    calendar_days: int, working_days: Decimal, start: date
):
    """If a real window of N calendar days (weekends off) holds the working days, the check lets them pass."""
    if working_days <= _weekdays(start, calendar_days):
        assert not term_certainly_exceeds(Term(working_days, WD), Term(Decimal(calendar_days), CD))


def test_term_unit_matches_the_sla_calendar_units() -> None:
    from sla.calendar import Unit

    assert set(TermUnit.values) == {unit.value for unit in Unit}


def test_format_decimal() -> None:
    assert format_decimal(Decimal("27.00")) == "27"
    assert format_decimal(Decimal("0.50")) == "0.5"
    assert format_decimal(Decimal("100")) == "100"
    assert format_decimal(Decimal("0.00")) == "0"
    assert str(Term(Decimal("15.0"), TermUnit.CALENDAR_DAYS)) == "15 calendar_days"
