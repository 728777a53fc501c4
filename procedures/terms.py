"""Comparing terms published in different units, without a calendar (pure Python).

The catalogue must check three inequalities (domain §1.5, §5): committed term ≤ statutory term, online term ≤
committed term, and the internal steps' allotted working hours fit inside the committed term. The terms may be
published in different units (domain §2.1: working days, calendar days, hours), and the exact length of a
calendar-day term in working time depends on the dates it covers (weekends, Tết). So each term is turned into
a *range* of working hours it can hold, and an inner term is rejected only when it is **certainly** longer
than the outer one: its smallest possible working time exceeds the outer term's largest. Such a check never
rejects a valid catalogue; it may let through a doubtful one (e.g. 27 working days of steps inside "27 ngày",
the Đồng Nai case in the data README §1), and the precise check belongs to the SLA calendar at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from procedures.choices import TermUnit

# One working day = 8 working hours (domain §2.2, [C-impl] Thanh Hóa stores terms in hours and divides by 8).
# It converts working days to hours for *comparison and storage of step allotments only*; the SLA calendar
# decides how long a working day really is for a province with a 7.5 h day.
WORKING_DAY_HOURS = Decimal(8)


@dataclass(frozen=True, slots=True)
class Term:
    """An amount in a unit, e.g. ``Term(Decimal(15), TermUnit.WORKING_DAYS)``."""

    amount: Decimal
    unit: str

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "unit", str(getattr(self.unit, "value", self.unit))
        )  # a TermUnit → its value

    def __str__(self) -> str:
        return f"{format_decimal(self.amount)} {self.unit}"

    def working_hours_range(self) -> tuple[Decimal, Decimal]:
        """Least and most working hours this term can hold.

        Working hours and working days are exact. A term of N calendar days holds at most N working days, so
        at most N × 8 working hours, and possibly none at all (a short term over a weekend or Tết); this
        upper bound is loose but never too small, which is what a check that must not falsely fail needs.
        """
        if self.unit == TermUnit.WORKING_HOURS:
            return self.amount, self.amount
        if self.unit == TermUnit.WORKING_DAYS:
            hours = self.amount * WORKING_DAY_HOURS
            return hours, hours
        if self.unit == TermUnit.CALENDAR_DAYS:
            return Decimal(0), self.amount * WORKING_DAY_HOURS
        raise ValueError(f"unknown term unit {self.unit!r}")

    def max_working_hours(self) -> Decimal:
        return self.working_hours_range()[1]


def term_certainly_exceeds(inner: Term, outer: Term) -> bool:
    """True when ``inner`` is longer than ``outer`` whatever dates they cover.

    Same unit: plain comparison of the amounts (exact, also for two calendar-day terms). Otherwise the inner
    term's least working time is compared with the outer term's most. Consequences, spelled out:

    * working days vs working hours: exact (1 working day = 8 h);
    * a working-time term inside N calendar days: rejected only above N × 8 working hours;
    * a calendar-day term inside a working-time term: never rejected (N calendar days may hold no working
      time at all), so "committed 7 ngày vs statutory 5 ngày làm việc" is not comparable and passes.
    """
    if inner.unit == outer.unit:
        return inner.amount > outer.amount
    inner_min, _inner_max = inner.working_hours_range()
    _outer_min, outer_max = outer.working_hours_range()
    return inner_min > outer_max


def hours_certainly_exceed(working_hours: Decimal, outer: Term) -> bool:
    """True when a number of working hours (e.g. the sum of step allotments) cannot fit inside ``outer``."""
    return term_certainly_exceeds(Term(working_hours, TermUnit.WORKING_HOURS), outer)


def format_decimal(value: Decimal) -> str:
    """``Decimal('27.00')`` → ``'27'``, ``Decimal('0.50')`` → ``'0.5'``: the shortest exact text, no
    exponent."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text
