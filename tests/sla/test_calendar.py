"""Tests of ``sla.calendar`` — domain §2.2 / §2.3 and the worked examples of §9 (Ex 1, 2, 4).

Pure computation: no database. The timing requirement (index build < 1 s) is checked by
``bench/calendar.py``, not here (no timed tests).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    DEFAULT_SESSIONS,
    VN_TZ,
    CalendarOutOfRange,
    Cutoff,
    Override,
    Rule,
    Session,
    Unit,
    WorkingCalendar,
    parse_sessions,
    vietnam_calendar,
)

WD, WH, CD = Unit.WORKING_DAYS, Unit.WORKING_HOURS, Unit.CALENDAR_DAYS

# Domain §9 common fixture: Mon–Fri 07:00–11:30 / 13:30–17:00, H = {30/4/2025, 1/5/2025}, no make-up days.
FIXTURE_HOLIDAYS = {date(2025, 4, 30): "Ngày Chiến thắng", date(2025, 5, 1): "Quốc tế Lao động"}
FIXTURE = WorkingCalendar(holidays=FIXTURE_HOLIDAYS, first_year=2024, last_year=2026)
# §9 Ex 1 swap variant: Fri 2/5 off, Sat 26/4 worked.
SWAP = WorkingCalendar(
    holidays={**FIXTURE_HOLIDAYS, date(2025, 5, 2): "Ngày nghỉ (thay cho ngày 26/04/2025)"},
    makeup_workdays={date(2025, 4, 26): "làm bù cho ngày nghỉ 02/05/2025"},
    first_year=2024,
    last_year=2026,
)
REAL = vietnam_calendar()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def kinds(rules: list[Rule]) -> list[str]:
    return [r.kind for r in rules]


# --- domain §9 Ex 1


def test_ex1_friday_1630_five_working_days_after_close():
    due = FIXTURE.add_working_time(at(2025, 4, 25, 16, 30), 5, WD, cutoff=Cutoff.AFTER_CLOSE)
    assert due.isoformat() == "2025-05-06T16:30:00+07:00"
    assert due.tzinfo is VN_TZ


def test_ex1_after_15h_starts_monday_0700():
    assert FIXTURE.normalise_start(at(2025, 4, 25, 16, 30), Cutoff.AFTER_15H) == at(2025, 4, 28, 7)
    due = FIXTURE.add_working_time(at(2025, 4, 25, 16, 30), 5, WD, cutoff=Cutoff.AFTER_15H)
    assert due.isoformat() == "2025-05-06T17:00:00+07:00"


def test_ex1_swap_fixture_gives_the_same_due():
    assert SWAP.add_working_time(at(2025, 4, 25, 16, 30), 5, WD) == at(2025, 5, 6, 16, 30)


def test_ex1_on_the_real_vietnamese_calendar():
    # holidays' VN calendar has the 2025 swap (Sat 26/4 worked, Fri 2/5 off): same due as the fixture.
    assert REAL.add_working_time(at(2025, 4, 25, 16, 30), 5, WD) == at(2025, 5, 6, 16, 30)


def test_ex1_default_cutoff_is_after_close_and_strings_are_accepted():
    due = FIXTURE.add_working_time(at(2025, 4, 25, 16, 30), 5, "working_days", cutoff="after_15h")
    assert due == at(2025, 5, 6, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 25, 16, 30), 5, "working_days") == at(2025, 5, 6, 16, 30)


def test_ex1_decimal_and_hours_agree_with_days():
    start = at(2025, 4, 25, 16, 30)
    assert FIXTURE.add_working_time(start, Decimal("5"), WD) == FIXTURE.add_working_time(start, 40, WH)


# --- domain §9 Ex 2


def test_ex2_worked_time_before_the_pause():
    assert FIXTURE.working_time_between(at(2025, 4, 25, 16, 30), at(2025, 4, 28, 10)) == timedelta(hours=3.5)


def test_ex2_pause_length_spans_the_holidays():
    assert FIXTURE.working_time_between(at(2025, 4, 28, 10), at(2025, 5, 5, 10)) == timedelta(hours=24)


def test_ex2_pause_semantics_remaining_hours():
    worked = FIXTURE.working_time_between(at(2025, 4, 25, 16, 30), at(2025, 4, 28, 10))
    remaining = Decimal(40) - Decimal(worked.total_seconds()) / 3600
    assert remaining == Decimal("36.5")
    assert FIXTURE.add_working_time(at(2025, 5, 5, 10), remaining, WH) == at(2025, 5, 9, 16, 30)


def test_ex2_pause_credited_on_the_original_due_gives_the_same_answer():
    due = FIXTURE.add_working_time(at(2025, 4, 25, 16, 30), 5, WD)
    pause = FIXTURE.working_time_between(at(2025, 4, 28, 10), at(2025, 5, 5, 10))
    hours = Decimal(int(pause.total_seconds())) / 3600
    assert FIXTURE.add_working_time(due, hours, WH, cutoff=Cutoff.NONE) == at(2025, 5, 9, 16, 30)


def test_ex2_restart_semantics():
    assert FIXTURE.add_working_time(at(2025, 5, 5, 10), 40, WH) == at(2025, 5, 12, 10)
    assert FIXTURE.add_working_time(at(2025, 5, 5, 10), 5, WD) == at(2025, 5, 12, 10)


# --- domain §9 Ex 4


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2025, 4, 24, 15, 10), at(2025, 4, 25, 17)),  # after 15:00 -> end of the next working day
        (at(2025, 4, 24, 14, 50), at(2025, 4, 24, 17)),  # before 15:00 -> same day
        (at(2025, 4, 29, 15, 30), at(2025, 5, 2, 17)),  # 30/4 and 1/5 are holidays
    ],
)
def test_ex4_same_day_procedure_with_15h_cutoff(received, due):
    assert FIXTURE.add_working_time(received, 0, WD, cutoff=Cutoff.AFTER_15H) == due


def test_same_day_procedure_received_on_a_weekend_is_due_at_monday_close():
    assert FIXTURE.add_working_time(at(2025, 4, 26, 9), 0, WD) == at(2025, 4, 28, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 17, 30), 0, WD) == at(2025, 4, 25, 17)


# --- §2.3 step 1


def test_lunch_break_start_moves_to_afternoon_opening():
    assert FIXTURE.normalise_start(at(2025, 4, 24, 12), Cutoff.AFTER_CLOSE) == at(2025, 4, 24, 13, 30)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 12), 1, WH) == at(2025, 4, 24, 14, 30)


def test_weekend_start_moves_to_monday_opening():
    assert FIXTURE.normalise_start(at(2025, 4, 26, 10), Cutoff.AFTER_CLOSE) == at(2025, 4, 28, 7)
    assert FIXTURE.add_working_time(at(2025, 4, 26, 10), 1, WH) == at(2025, 4, 28, 8)


def test_cutoff_none_leaves_the_start_alone_but_counting_starts_at_the_next_opening():
    assert FIXTURE.normalise_start(at(2025, 4, 26, 10), Cutoff.NONE) == at(2025, 4, 26, 10)
    assert FIXTURE.add_working_time(at(2025, 4, 26, 10), 1, WH, cutoff=Cutoff.NONE) == at(2025, 4, 28, 8)


def test_after_15h_before_the_cutoff_behaves_like_after_close():
    assert FIXTURE.normalise_start(at(2025, 4, 24, 14, 59), Cutoff.AFTER_15H) == at(2025, 4, 24, 14, 59)
    assert FIXTURE.normalise_start(at(2025, 4, 24, 15), Cutoff.AFTER_15H) == at(2025, 4, 25, 7)
    assert FIXTURE.normalise_start(at(2025, 4, 26, 9), Cutoff.AFTER_15H) == at(2025, 4, 28, 7)


@pytest.mark.parametrize(
    ("t", "opening"),
    [
        (at(2025, 4, 24, 6), at(2025, 4, 24, 7)),
        (at(2025, 4, 24, 7), at(2025, 4, 24, 7)),
        (at(2025, 4, 24, 9, 15), at(2025, 4, 24, 9, 15)),
        (at(2025, 4, 24, 11, 30), at(2025, 4, 24, 13, 30)),  # sessions are half-open
        (at(2025, 4, 24, 17), at(2025, 4, 25, 7)),
        (at(2025, 4, 29, 18), at(2025, 5, 2, 7)),  # over the two holidays
    ],
)
def test_next_opening(t, opening):
    assert FIXTURE.next_opening(t) == opening


# --- §2.3 step 2


def test_landing_exactly_at_the_morning_close_stays_at_1130():
    assert FIXTURE.add_working_time(at(2025, 4, 24, 7), 4.5, WH) == at(2025, 4, 24, 11, 30)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 7), 4.75, WH) == at(2025, 4, 24, 13, 45)


def test_landing_exactly_at_the_evening_close_stays_at_1700():
    assert FIXTURE.add_working_time(at(2025, 4, 24, 7), 8, WH) == at(2025, 4, 24, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 7), 1, WD) == at(2025, 4, 24, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 29, 7), 1, WD) == at(2025, 4, 29, 17)  # not 2/5 07:00


def test_half_a_working_day_is_four_hours():
    assert FIXTURE.day_seconds == 8 * 3600
    assert FIXTURE.add_working_time(at(2025, 4, 24, 7), 0.5, WD) == at(2025, 4, 24, 11)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 9), Decimal("0.5"), WD) == at(2025, 4, 24, 15)


def test_zero_working_hours_is_the_normalised_start():
    assert FIXTURE.add_working_time(at(2025, 4, 24, 18), 0, WH) == at(2025, 4, 25, 7)


def test_one_working_day_is_one_office_day_for_a_short_day_province():
    sessions = parse_sessions(["07:30-11:30", "13:30-17:00"])
    cal = WorkingCalendar(holidays=FIXTURE_HOLIDAYS, sessions=sessions, first_year=2025, last_year=2025)
    assert cal.day_seconds == int(7.5 * 3600)
    assert cal.add_working_time(at(2025, 4, 24, 7, 30), 1, WD) == at(2025, 4, 24, 17)
    assert cal.add_working_time(at(2025, 4, 24, 7, 30), 8, WH) == at(2025, 4, 25, 8)


def test_working_time_between_is_negative_backwards_and_ignores_closed_hours():
    assert FIXTURE.working_time_between(at(2025, 4, 28, 10), at(2025, 4, 25, 16, 30)) == -timedelta(hours=3.5)
    assert FIXTURE.working_time_between(at(2025, 4, 26, 1), at(2025, 4, 27, 23)) == timedelta(0)


def test_other_time_zones_are_converted_to_the_calendar_zone():
    start_utc = datetime(2025, 4, 25, 9, 30, tzinfo=UTC)  # 16:30 in Hà Nội
    due = FIXTURE.add_working_time(start_utc, 5, WD)
    assert due == at(2025, 5, 6, 16, 30)
    assert due.tzinfo is VN_TZ
    assert due.utcoffset() == timedelta(hours=7)


# --- §2.3 step 3


def test_calendar_days_landing_on_a_sunday_roll_to_monday_close():
    # Thu 24/4 10:00 + 3 days = Sun 27/4 -> end of the next working day (Civil Code Art 148 k5).
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), 3, CD) == at(2025, 4, 28, 17)


def test_calendar_days_do_not_skip_holidays_but_roll_off_them():
    # A term in days ends at the close of its last day (Civil Code Art 148 k1, k6).
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), 5, CD) == at(2025, 4, 29, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), 6, CD) == at(2025, 5, 2, 17)  # 30/4 is a holiday
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), 14, CD) == at(2025, 5, 8, 17)


def test_calendar_days_use_the_raw_start_only_without_cutoff():
    assert FIXTURE.add_working_time(at(2025, 4, 26, 10), 2, CD, cutoff=Cutoff.NONE) == at(2025, 4, 28, 17)
    # Sat 26/4 10:00 + 3 days = Tue 29/4; from the Monday opening it would be Thu 1/5 (holiday) -> Fri 2/5.
    assert FIXTURE.add_working_time(at(2025, 4, 26, 10), 3, CD, cutoff=Cutoff.NONE) == at(2025, 4, 29, 17)
    # AFTER_CLOSE: counted from Mon 28/4 07:00 -> Wed 30/4 (holiday) -> Fri 2/5 17:00.
    assert FIXTURE.add_working_time(at(2025, 4, 26, 10), 2, CD) == at(2025, 5, 2, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 15, 10), 1, CD, cutoff="after_15h") == at(2025, 4, 28, 17)


def test_fractional_calendar_days():
    # The fraction decides the last day; the term ends at that day's close.
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), 0.5, CD) == at(2025, 4, 24, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), Decimal("1.25"), CD) == at(2025, 4, 25, 17)
    assert FIXTURE.add_working_time(at(2025, 4, 24, 10), Decimal("0.75"), CD) == at(2025, 4, 25, 17)


# --- errors


def test_start_outside_the_horizon_is_refused():
    with pytest.raises(CalendarOutOfRange, match="outside the calendar horizon 2024–2026") as exc:
        FIXTURE.add_working_time(at(2023, 12, 29, 9), 1, WD)
    assert "\n" not in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_result_outside_the_horizon_is_refused():
    with pytest.raises(CalendarOutOfRange, match="horizon"):
        FIXTURE.add_working_time(at(2026, 12, 28, 9), 10, WD)
    with pytest.raises(CalendarOutOfRange, match="horizon"):
        FIXTURE.add_working_time(at(2026, 12, 28, 9), 10, CD)
    with pytest.raises(CalendarOutOfRange, match="horizon"):
        FIXTURE.normalise_start(at(2026, 12, 31, 18), Cutoff.AFTER_CLOSE)
    with pytest.raises(CalendarOutOfRange):
        FIXTURE.working_time_between(at(2025, 1, 1), at(2027, 1, 1))
    with pytest.raises(CalendarOutOfRange):
        FIXTURE.is_working_day(date(2027, 1, 4))
    with pytest.raises(CalendarOutOfRange):
        REAL.add_working_time(at(2041, 1, 2, 9), 1, WD)


def test_horizon_edges_are_inside():
    assert FIXTURE.add_working_time(at(2026, 12, 31, 16), 1, WH) == at(2026, 12, 31, 17)
    assert FIXTURE.working_time_between(at(2024, 1, 1), at(2026, 12, 31, 23, 59)) > timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        FIXTURE.add_working_time(datetime(2025, 4, 25, 16, 30), 5, WD)
    with pytest.raises(ValueError, match="naive"):
        FIXTURE.working_time_between(at(2025, 4, 25), datetime(2025, 4, 28))
    with pytest.raises(ValueError, match="naive"):
        FIXTURE.explain(datetime(2025, 4, 25, 16, 30), 5, WD)


def test_bad_unit_names_the_allowed_units():
    with pytest.raises(ValueError, match="working_days, working_hours, calendar_days"):
        FIXTURE.add_working_time(at(2025, 4, 25, 9), 5, "days")
    with pytest.raises(ValueError, match="after_close"):
        FIXTURE.add_working_time(at(2025, 4, 25, 9), 5, WD, cutoff="15h")


@pytest.mark.parametrize("amount", [-1, -0.25, Decimal("-1"), float("nan"), float("inf"), "5", None])
def test_bad_amounts_are_refused(amount):
    for unit in Unit:
        with pytest.raises(ValueError):
            FIXTURE.add_working_time(at(2025, 4, 25, 9), amount, unit)


# --- explain


def test_explain_ex1_after_close_lists_weekend_and_named_holidays():
    start = at(2025, 4, 25, 16, 30)
    due, rules = FIXTURE.explain(start, 5, WD)
    assert due == FIXTURE.add_working_time(start, 5, WD)
    assert kinds(rules) == ["weekend", "holiday", "holiday", "weekend"]
    assert rules[1] == Rule("holiday", date(2025, 4, 30), "30/04/2025 (Thứ tư): nghỉ lễ — Ngày Chiến thắng")
    assert "Quốc tế Lao động" in rules[2].text
    assert (
        rules[0].day == date(2025, 4, 26) and "26/04/2025" in rules[0].text and "27/04/2025" in rules[0].text
    )


def test_explain_after_15h_has_a_cutoff_rule():
    start = at(2025, 4, 25, 16, 30)
    due, rules = FIXTURE.explain(start, 5, WD, cutoff=Cutoff.AFTER_15H)
    assert due == at(2025, 5, 6, 17)
    assert kinds(rules)[0] == "cutoff"
    assert "15:00" in rules[0].text and "07:00 28/04/2025" in rules[0].text


def test_explain_start_moved_after_close():
    due, rules = FIXTURE.explain(at(2025, 4, 25, 17, 30), 1, WD)
    assert due == at(2025, 4, 28, 17)
    assert kinds(rules) == ["start_moved", "weekend"]
    assert "07:00 28/04/2025" in rules[0].text


def test_explain_swap_fixture_names_the_makeup_saturday():
    due, rules = SWAP.explain(at(2025, 4, 25, 16, 30), 5, WD)
    assert due == at(2025, 5, 6, 16, 30)
    assert kinds(rules) == ["makeup_workday", "weekend", "holiday", "holiday", "holiday", "weekend"]
    assert rules[0].day == date(2025, 4, 26)


def test_explain_real_calendar_keeps_holidays_names_vietnamese_first():
    due, rules = REAL.explain(at(2025, 4, 25, 16, 30), 5, WD)
    assert due == at(2025, 5, 6, 16, 30)
    texts = [r.text for r in rules if r.kind == "holiday"]
    assert "30/04/2025 (Thứ tư): nghỉ lễ — Ngày Chiến thắng (Liberation Day/Reunification Day)" in texts
    makeup = [r for r in rules if r.kind == "makeup_workday"]
    assert len(makeup) == 1 and "02/05/2025" in makeup[0].text


def test_explain_calendar_days_roll():
    due, rules = FIXTURE.explain(at(2025, 4, 24, 10), 3, CD)
    assert due == at(2025, 4, 28, 17)
    assert kinds(rules) == ["weekend", "rolled_to_working_day"]
    assert "Điều 148" in rules[-1].text
    due, rules = FIXTURE.explain(at(2025, 4, 24, 10), 5, CD)
    assert (due, rules) == (
        at(2025, 4, 29, 17),
        [],
    )  # holidays before the due do not move a calendar-day term


def test_explain_closure_and_extra_workday():
    cal = WorkingCalendar(
        holidays=FIXTURE_HOLIDAYS,
        overrides=[
            Override(date(2025, 4, 28), "closure", "Bão số 3"),
            Override(date(2025, 4, 30), "working", "Trực lễ"),
        ],
        first_year=2025,
        last_year=2025,
    )
    due, rules = cal.explain(at(2025, 4, 25, 16, 30), 3, WD)
    # 25/4 0.5 h; 28/4 closed; 29/4 8 -> 8.5; 30/4 worked 8 -> 16.5; 1/5 holiday; 2/5 7.5 -> 16:30.
    assert due == at(2025, 5, 2, 16, 30) == cal.add_working_time(at(2025, 4, 25, 16, 30), 3, WD)
    assert kinds(rules) == ["weekend", "closure", "extra_workday", "holiday"]
    assert "Bão số 3" in rules[1].text and "Trực lễ" in rules[2].text


# --- calendar facts


def test_real_calendar_2025_swap():
    assert REAL.is_working_day(date(2025, 4, 26))  # Saturday worked in exchange for...
    assert not REAL.is_working_day(date(2025, 5, 2))  # ...Friday 2/5 off
    assert REAL.day_reason(date(2025, 4, 26)).kind == "makeup_workday"
    assert REAL.day_reason(date(2025, 5, 2)).kind == "holiday"
    assert REAL.day_reason(date(2025, 4, 29)) is None


def test_real_calendar_tet_2026():
    for d in (date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20)):
        assert not REAL.is_working_day(d)
        reason = REAL.day_reason(d)
        assert reason.kind == "holiday" and "Tết" in reason.text


def test_deadline_crossing_the_year_sees_next_years_tet():
    # 10 working days from Tue 10/2/2026: 10–13/2 (4), Tết 16–20/2, 23–27/2 (9), Mon 2/3 (10).
    assert REAL.add_working_time(at(2026, 2, 10, 7), 10, WD) == at(2026, 3, 2, 17)
    # A term received in 2025 runs through 1/1/2026 and Tết 2026.
    start = at(2025, 12, 29, 7)
    assert REAL.add_working_time(start, 40, WD) == _reference_due(REAL, start, 40 * 8)
    assert REAL.add_working_time(start, 40, WD) > at(2026, 2, 20, 17)


def test_overrides_win_over_the_national_calendar():
    cal = WorkingCalendar(
        holidays=FIXTURE_HOLIDAYS,
        overrides=[
            Override(date(2025, 4, 30), "working", "Trực"),
            Override(date(2025, 4, 29), "closure", "Bão"),
        ],
        first_year=2025,
        last_year=2025,
    )
    assert cal.is_working_day(date(2025, 4, 30))
    assert not cal.is_working_day(date(2025, 4, 29))
    with pytest.raises(ValueError, match="conflicting"):
        WorkingCalendar(
            holidays={},
            overrides=[
                Override(date(2025, 4, 29), "working", "a"),
                Override(date(2025, 4, 29), "closure", "b"),
            ],
            first_year=2025,
            last_year=2025,
        )
    with pytest.raises(ValueError):
        Override(date(2025, 4, 29), "holiday", "x")  # type: ignore[arg-type]


def test_vietnam_calendar_passes_overrides_and_sessions():
    cal = vietnam_calendar(
        first_year=2025,
        last_year=2026,
        overrides=[Override(date(2025, 4, 28), "closure", "Bão")],
        sessions=parse_sessions(["08:00-12:00", "13:00-17:00"]),
    )
    assert not cal.is_working_day(date(2025, 4, 28))
    assert cal.next_opening(at(2025, 4, 29, 7)) == at(2025, 4, 29, 8)
    assert (cal.first_year, cal.last_year, cal.tz) == (2025, 2026, VN_TZ)


# --- sessions


def test_parse_sessions():
    assert parse_sessions(["07:00-11:30", "13:30-17:00"]) == DEFAULT_SESSIONS
    assert parse_sessions("7:00 - 11:30, 13:30-17:00") == DEFAULT_SESSIONS
    assert parse_sessions(["08:00–12:00"]) == (Session(time(8), time(12)),)


@pytest.mark.parametrize(
    "specs",
    [
        [],
        ["7h-11h30"],
        ["07:00-11:30", "11:00-17:00"],
        ["13:30-17:00", "07:00-11:30"],
        ["11:30-07:00"],
        ["25:00-26:00"],
    ],
)
def test_parse_sessions_rejects_bad_input(specs):
    with pytest.raises(ValueError):
        parse_sessions(specs)


def test_sessions_must_be_ordered():
    with pytest.raises(ValueError):
        Session(time(12), time(8))
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar(holidays={}, sessions=DEFAULT_SESSIONS[::-1], first_year=2025, last_year=2025)


# --- properties

# A slow, obviously-correct reference: walk the office sessions of each day (the "hour-walking algorithm" of
# domain §2.3 that the §9 examples were verified with).


def _reference_due(cal: WorkingCalendar, start: datetime, hours: float) -> datetime:
    t = cal.normalise_start(start, Cutoff.AFTER_CLOSE)
    left = timedelta(hours=hours)
    day = t.date()
    while True:
        if cal.is_working_day(day):
            for s in cal.sessions:
                a = max(datetime.combine(day, s.start, tzinfo=VN_TZ), t)
                b = datetime.combine(day, s.end, tzinfo=VN_TZ)
                if a >= b:
                    continue
                if b - a >= left:
                    return a + left
                left -= b - a
        day += timedelta(days=1)


starts = st.datetimes(
    min_value=datetime(2016, 1, 1), max_value=datetime(2038, 12, 31, 23, 59), timezones=st.just(VN_TZ)
)
quarter_hours = st.integers(min_value=0, max_value=8000).map(lambda q: q / 4)
cutoffs = st.sampled_from(list(Cutoff))


@settings(max_examples=300)
@given(start=starts, h=quarter_hours, cutoff=cutoffs)
def test_property_worked_time_until_due_equals_amount(start, h, cutoff):
    due = REAL.add_working_time(start, h, WH, cutoff=cutoff)
    assert REAL.working_time_between(REAL.normalise_start(start, cutoff), due) == timedelta(hours=h)


@given(start=starts, a=quarter_hours, b=quarter_hours, cutoff=cutoffs)
def test_property_monotonic_in_the_amount(start, a, b, cutoff):
    lo, hi = sorted((a, b))
    assert REAL.add_working_time(start, lo, WH, cutoff=cutoff) <= REAL.add_working_time(
        start, hi, WH, cutoff=cutoff
    )
    lo_d, hi_d = lo / 8 + 0.125, hi / 8 + 0.125  # working days > 0 (0 days is the same-day special case)
    assert REAL.add_working_time(start, lo_d, WD, cutoff=cutoff) <= REAL.add_working_time(
        start, hi_d, WD, cutoff=cutoff
    )
    lo_c, hi_c = lo / 16, hi / 16
    assert REAL.add_working_time(start, lo_c, CD, cutoff=cutoff) <= REAL.add_working_time(
        start, hi_c, CD, cutoff=cutoff
    )


def test_calendar_day_dues_end_at_the_close_so_a_longer_term_is_never_earlier():
    """domain §2.3 step 3's "same clock time" would make 7 days (Mon 11/1 07:00) end before 5 days (Sat 9/1
    rolled to Mon 11/1 17:00); ending every term in days at the close of its last day (Civil Code Art 148
    k1, k6) removes that inversion.
    """
    start = at(2016, 1, 1)
    assert REAL.add_working_time(start, 5, CD) == at(2016, 1, 11, 17)
    assert REAL.add_working_time(start, 7, CD) == at(2016, 1, 11, 17)


@given(start=starts, a=quarter_hours, b=quarter_hours, cutoff=cutoffs)
def test_property_additive(start, a, b, cutoff):
    once = REAL.add_working_time(start, a + b, WH, cutoff=cutoff)
    twice = REAL.add_working_time(
        REAL.add_working_time(start, a, WH, cutoff=cutoff), b, WH, cutoff=Cutoff.NONE
    )
    assert once == twice


@given(start=starts, n=st.integers(min_value=1, max_value=60), m=st.integers(min_value=1, max_value=60))
def test_property_additive_in_working_days(start, n, m):
    once = REAL.add_working_time(start, n + m, WD)
    assert once == REAL.add_working_time(REAL.add_working_time(start, n, WD), m, WD, cutoff=Cutoff.NONE)


@given(start=starts, h=quarter_hours.filter(lambda h: h > 0), cutoff=cutoffs)
def test_property_due_is_inside_office_time_or_at_a_session_end(start, h, cutoff):
    due = REAL.add_working_time(start, h, WH, cutoff=cutoff)
    assert REAL.is_working_day(due.date())
    clock = due.timetz().replace(tzinfo=None)
    assert any(s.start < clock <= s.end for s in REAL.sessions)


@settings(max_examples=150)
@given(start=starts, h=st.integers(min_value=0, max_value=4 * 200).map(lambda q: q / 4))
def test_property_matches_the_hour_walking_reference(start, h):
    due = REAL.add_working_time(start, h, WH)
    expected = _reference_due(REAL, start, h)
    if h:
        assert due == expected
    else:
        assert due == REAL.normalise_start(start, Cutoff.AFTER_CLOSE)


@given(start=starts, n=st.integers(min_value=0, max_value=60))
def test_property_calendar_days_land_on_a_working_day(start, n):
    due = REAL.add_working_time(start, n, CD)
    assert REAL.is_working_day(due.date())
    raw = REAL.normalise_start(start, Cutoff.AFTER_CLOSE) + timedelta(days=n)
    assert due.date() >= raw.date() and due.time() == time(17)
    assert due.date() == raw.date() or not REAL.is_working_day(raw.date())
