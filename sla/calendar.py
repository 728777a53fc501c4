"""Vietnamese working-time calendar: due dates and worked time for TTHC deadlines (pure Python, no ORM).

Legal / domain basis (``domain.md`` in the shared docs):

* §2.2 — office hours are provincial parameters (default Mon–Fri 07:00–11:30 and 13:30–17:00),
  "1 working day = one office day" (8 h with the default sessions; a 7.5 h province keeps one day = its office
  day), and
  ``is_working_day(d) = (d in compensatory) or (weekday(d) < 5 and d not in holidays)``.
* §2.3 — the due-date algorithm: step 1 normalises the start (next opening, 15:00 cut-off, lunch break),
  step 2 walks working hours through office sessions only, step 3 counts calendar days and rolls a due that
  falls on a non-working day to the end of the next working day (Civil Code 2015 Art 148 k5).
* §2.1 — public holidays per Labour Code 2019 Art 112 plus the yearly day swaps; these come from the
  ``holidays`` package (never a hand-typed list), see :func:`vietnam_calendar`.

Why an index instead of walking the hours: deadlines are recomputed from facts on every change and in bulk
sweeps (§2.4 reports), so each call must be cheap. The calendar precomputes, for every day of its horizon,
how many working days lie before it; a *working position* ``pos(t)`` (microseconds of office time before
``t``) is then O(#sessions), and the inverse (the instant where a position is reached) is an array lookup
into the list of working days. No call loops over days except :meth:`WorkingCalendar.explain`.

The calendar refuses to answer outside its horizon (:class:`CalendarOutOfRange`) rather than silently
treating unknown years as holiday-free.

Wall-clock semantics: every input is converted to the calendar's time zone and sessions are read on the
local wall clock (Asia/Ho_Chi_Minh has had no DST since 1975, so local arithmetic is exact there).
"""

from __future__ import annotations

import enum
import itertools
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_SESSIONS",
    "RULE_KINDS",
    "VN_TZ",
    "CalendarOutOfRange",
    "Cutoff",
    "Override",
    "Rule",
    "Session",
    "Unit",
    "WorkingCalendar",
    "parse_sessions",
    "vietnam_calendar",
]


class Unit(enum.StrEnum):
    """Unit of a statutory term (domain §2.1 "Unit of the deadline", per procedure as ``DonViTinh``)."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"


class Cutoff(enum.StrEnum):
    """How the receipt instant is normalised before counting (domain §2.3 step 1, ``cutoff_mode``)."""

    NONE = "none"
    AFTER_CLOSE = "after_close"
    AFTER_15H = "after_15h"


class CalendarOutOfRange(ValueError):
    """A computation needs a day outside the calendar's precomputed horizon.

    Raised instead of answering: outside the horizon the holidays are unknown, and a due date computed as if
    there were none would be silently wrong.
    """


@dataclass(frozen=True)
class Session:
    """One office session of a working day, local wall clock, half-open ``[start, end)`` (domain §2.2)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(f"session times must be naive local times, got {self.start}-{self.end}")
        if not self.start < self.end:
            raise ValueError(f"session start {self.start:%H:%M} must be before its end {self.end:%H:%M}")


# Domain §2.2: "Sáng từ 07 giờ đến 11 giờ 30, chiều từ 13 giờ 30 đến 17 giờ" (Thanh Hóa defaults too).
DEFAULT_SESSIONS: tuple[Session, ...] = (
    Session(time(7, 0), time(11, 30)),
    Session(time(13, 30), time(17, 0)),
)
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Override:
    """A local calendar exception (domain §2.2 "configurable calendar"): a closure or an extra working day.

    An override wins over the national calendar: a ``closure`` makes any day non-working, a ``working`` day is
    worked even if it is a weekend day or a public holiday.
    """

    day: date
    kind: Literal["closure", "working"]
    name: str

    def __post_init__(self) -> None:
        if self.kind not in ("closure", "working"):
            raise ValueError(f"override kind must be 'closure' or 'working', got {self.kind!r}")


#: Every ``Rule.kind`` in use. The last two are written by callers (``sla.clock``) for §2.3 steps 4–5.
RULE_KINDS = (
    "start_moved",
    "cutoff",
    "weekend",
    "holiday",
    "makeup_workday",
    "closure",
    "extra_workday",
    "rolled_to_working_day",
    "pause",
    "extension",
)


@dataclass(frozen=True)
class Rule:
    """One entry of a due date's explanation trail (Vietnamese first, holiday names kept as given)."""

    kind: str
    day: date | None
    text: str


_MICRO = 1_000_000
_US_PER_HOUR = 3600 * _MICRO
_US_PER_DAY = 86400 * _MICRO
_WEEKDAY_VI = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
_EMPTY: Mapping[date, str] = MappingProxyType({})

# Accept both the enum members and their string values; StrEnum members hash like their value.
_UNITS: dict[object, Unit] = {u: u for u in Unit}
_CUTOFFS: dict[object, Cutoff] = {c: c for c in Cutoff}
# Enum attribute access costs ~0.1 µs each (EnumType lookup); the hot path uses these module constants.
_WORKING_DAYS = Unit.WORKING_DAYS
_CALENDAR_DAYS = Unit.CALENDAR_DAYS
_AFTER_15H = Cutoff.AFTER_15H


def _as_unit(unit: Unit | str) -> Unit:
    try:
        return _UNITS[unit]
    except (KeyError, TypeError):
        allowed = ", ".join(u.value for u in Unit)
        raise ValueError(f"unknown unit {unit!r}; allowed units: {allowed}") from None


def _as_cutoff(cutoff: Cutoff | str) -> Cutoff:
    try:
        return _CUTOFFS[cutoff]
    except (KeyError, TypeError):
        allowed = ", ".join(c.value for c in Cutoff)
        raise ValueError(f"unknown cutoff {cutoff!r}; allowed cut-off modes: {allowed}") from None


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _MICRO + t.microsecond


def _us_to_time(us: int) -> time:
    s, micro = divmod(us, _MICRO)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return time(h, m, s, micro)


def _fmt_day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _fmt_dt(t: datetime) -> str:
    return t.strftime("%H:%M %d/%m/%Y")


def _amount_us(amount: float | Decimal | int, per_unit_us: int) -> int:
    """A non-negative amount of a unit in whole microseconds (fractions allowed, domain §2.3 step 2)."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real | Decimal):
        raise ValueError(f"amount must be a number, got {amount!r}")
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            raise ValueError(f"amount must be finite, got {amount}")
    elif isinstance(amount, float) and not math.isfinite(amount):
        raise ValueError(f"amount must be finite, got {amount}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    return round(amount * per_unit_us)


def _plain_date(d: date) -> date:
    """A ``date`` (a ``datetime`` key is reduced to its date; comparing the two types would raise)."""
    return date(d.year, d.month, d.day) if isinstance(d, datetime) else d


def _by_date(days: Mapping[date, str]) -> Iterable[tuple[date, str]]:
    return ((_plain_date(d), n) for d, n in days.items())


class WorkingCalendar:
    """Working-time calendar over ``[first_year-01-01, last_year-12-31]`` with a precomputed cumulative index.

    Positions are integer microseconds of office time counted from the horizon start, so sums and
    differences are exact (a pause credited and later re-added gives back the same instant).
    """

    def __init__(
        self,
        *,
        holidays: Mapping[date, str],
        makeup_workdays: Mapping[date, str] = _EMPTY,
        overrides: Iterable[Override] = (),
        sessions: Sequence[Session] = DEFAULT_SESSIONS,
        first_year: int,
        last_year: int,
        tz: tzinfo = VN_TZ,
        cutoff_time: time = time(15, 0),
    ) -> None:
        if first_year > last_year:
            raise ValueError(f"first_year {first_year} is after last_year {last_year}")
        sessions = tuple(sessions)
        if not sessions:
            raise ValueError("at least one office session is required")
        for prev, nxt in itertools.pairwise(sessions):
            if nxt.start < prev.end:
                raise ValueError(
                    f"sessions must be sorted and must not overlap: {prev.start:%H:%M}-{prev.end:%H:%M} "
                    f"then {nxt.start:%H:%M}-{nxt.end:%H:%M}"
                )
        self.tz: tzinfo = tz
        self.first_year = first_year
        self.last_year = last_year
        self.sessions: tuple[Session, ...] = sessions
        self.cutoff_time = cutoff_time

        # Sessions as (start_us, end_us, office time before this session) — domain §2.2 office hours.
        spans = []
        before = 0
        for s in sessions:
            a, b = _time_us(s.start), _time_us(s.end)
            spans.append((a, b, before))
            before += b - a
        self._spans: tuple[tuple[int, int, int], ...] = tuple(spans)
        # For the inverse: office time reached at each session end, and the shift from office time of the day
        # to clock time inside that session.
        self._inverse: tuple[tuple[int, int], ...] = tuple(
            (before + b - a, a - before) for a, b, before in spans
        )
        self._day_us = before
        #: Length of one working day in seconds (domain §2.2: "1 working day = one office day").
        self.day_seconds: int = before // _MICRO
        self._open_us = spans[0][0]
        self._open_time = sessions[0].start
        self._cutoff_us = _time_us(cutoff_time)

        first = date(first_year, 1, 1)
        self._first_day = first
        self._last_day = date(last_year, 12, 31)
        self._ord0 = first.toordinal()
        ndays = self._last_day.toordinal() - self._ord0 + 1
        self._ndays = ndays
        in_range = self._in_range

        self._holidays: dict[date, str] = {d: n for d, n in _by_date(holidays) if in_range(d)}
        self._makeup: dict[date, str] = {d: n for d, n in _by_date(makeup_workdays) if in_range(d)}
        self._overrides: dict[date, Override] = {}
        for o in overrides:
            day = _plain_date(o.day)
            if not in_range(day):
                continue  # an override for a year outside the horizon cannot affect any computation here
            other = self._overrides.get(day)
            if other is not None and other.kind != o.kind:
                raise ValueError(f"conflicting overrides for {day.isoformat()}: {other.kind} and {o.kind}")
            self._overrides[day] = o

        # working[i]: is day ord0+i a working day (domain §2.2 rule, overrides first).
        # Weekday of day i is (wd0 + i) % 7; start from the weekday rule and patch the exceptions.
        wd0 = first.weekday()
        working = bytearray(1 if (wd0 + i) % 7 < 5 else 0 for i in range(ndays))
        for d in self._holidays:
            working[d.toordinal() - self._ord0] = 0
        for d in self._makeup:
            working[d.toordinal() - self._ord0] = 1
        for d, o in self._overrides.items():
            working[d.toordinal() - self._ord0] = 1 if o.kind == "working" else 0
        self._working = bytes(working)

        # cum[i] = number of working days strictly before day i (cum[ndays] = total);
        # wd[k] = day index of the k-th working day (0-based) — the inverse of cum.
        cum = [0] * (ndays + 1)
        wd = []
        n = 0
        for i, w in enumerate(working):
            cum[i] = n
            if w:
                wd.append(i)
                n += 1
        cum[ndays] = n
        self._cum = cum
        self._wd = wd
        # base[i] = working position of day i's midnight (cum[i] whole office days), the hot path's lookup.
        day_us = self._day_us
        self._base = [c * day_us for c in cum]
        # closes[k] = the close (end of the last session) of the k-th working day as an aware datetime: the
        # due of every whole-day term counted from an opening and of every same-day procedure, so it is
        # precomputed (~1 ms for 26 years) rather than rebuilt per call.
        fromordinal, combine, close_time, ord0 = (
            date.fromordinal,
            datetime.combine,
            sessions[-1].end,
            self._ord0,
        )
        self._closes: list[datetime] = [combine(fromordinal(ord0 + i), close_time, tz) for i in wd]
        self._nwd = len(wd)
        # Local midnights, filled lazily by _at (safe across threads: a race stores the same value twice).
        self._midnights: list[datetime | None] = [None] * ndays

    # ------------------------------------------------------------------ basic day facts

    def _in_range(self, d: date) -> bool:
        return self._first_day <= d <= self._last_day

    def _out_of_range(self, what: str, value: date | datetime) -> CalendarOutOfRange:
        return CalendarOutOfRange(
            f"{what} {value.isoformat()} is outside the calendar horizon {self.first_year}–{self.last_year}"
        )

    def _index(self, d: date, what: str = "date") -> int:
        i = d.toordinal() - self._ord0
        if not 0 <= i < self._ndays:
            raise self._out_of_range(what, d)
        return i

    def _local(self, t: datetime, what: str = "datetime") -> datetime:
        """``t`` on the calendar's wall clock; refuses naive datetimes (which zone would they be in?)."""
        if not isinstance(t, datetime):
            raise ValueError(f"{what} must be a datetime, got {type(t).__name__}")
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"{what} {t.isoformat()} is naive; pass a timezone-aware datetime")
        return t if t.tzinfo is self.tz else t.astimezone(self.tz)

    def _at(self, i: int, us: int) -> datetime:
        """Aware datetime for day index ``i`` at ``us`` microseconds after local midnight.

        Local midnights are cached per day, then wall-clock arithmetic adds the time of day: cheaper than
        building a date, a time and combining them on every call.
        """
        m = self._midnights[i]
        if m is None:
            m = self._midnights[i] = datetime.combine(
                date.fromordinal(self._ord0 + i), time(), tzinfo=self.tz
            )
        return m + timedelta(0, 0, us)

    def is_working_day(self, d: date) -> bool:
        """Domain §2.2: ``(d in make-up/extra working) or (weekday < 5 and d not a holiday/closure)``.

        An override (local closure / extra working day) wins over the national calendar.
        """
        if isinstance(d, datetime):
            d = self._local(d).date()
        return bool(self._working[self._index(d)])

    def day_reason(self, d: date) -> Rule | None:
        """Why ``d`` is not an ordinary day: weekend, holiday (named), make-up day, closure, extra day.

        Returns None for an ordinary Monday–Friday working day. Used by :meth:`explain` (domain §2.3: the
        appointment must be explainable to the applicant).
        """
        self._index(d)
        label = f"{_fmt_day(d)} ({_WEEKDAY_VI[d.weekday()]})"
        o = self._overrides.get(d)
        if o is not None:
            if o.kind == "closure":
                return Rule("closure", d, f"{label}: nghỉ theo quyết định của địa phương — {o.name}")
            return Rule("extra_workday", d, f"{label}: ngày làm việc bổ sung của địa phương — {o.name}")
        if d in self._makeup:
            return Rule("makeup_workday", d, f"{label}: ngày làm việc bù — {self._makeup[d]}")
        if d in self._holidays:
            return Rule("holiday", d, f"{label}: nghỉ lễ — {self._holidays[d]}")
        if d.weekday() >= 5:
            return Rule("weekend", d, f"{label}: nghỉ cuối tuần (weekend)")
        return None

    # ------------------------------------------------------------------ positions

    def _intra(self, tod_us: int) -> int:
        """Office time elapsed on a working day before local time-of-day ``tod_us``."""
        for a, b, before in self._spans:
            if tod_us < b:
                return before + tod_us - a if tod_us > a else before
        return self._day_us

    def _pos(self, local: datetime) -> int:
        """Working position of a local datetime: office microseconds since the horizon start (domain §2.3)."""
        i = local.toordinal() - self._ord0
        if not 0 <= i < self._ndays:
            raise self._out_of_range("datetime", local)
        p = self._base[i]
        if self._working[i]:
            tod = ((local.hour * 60 + local.minute) * 60 + local.second) * _MICRO + local.microsecond
            p += self._intra(tod)
        return p

    def _at_pos(self, p: int) -> datetime:
        """Earliest instant whose working position is ``p > 0``.

        "Earliest" makes a target that lands exactly on a session end stay at that end (11:30, 17:00) rather
        than jump to the next opening — the appointment is the end of the office time that completes it.
        """
        k, rem = divmod(p, self._day_us)
        if rem == 0:  # completes exactly at the close of the k-th working day (1-based)
            k -= 1
            rem = self._day_us
        if k >= len(self._wd):
            raise CalendarOutOfRange(
                f"the result lies after {self._last_day.isoformat()}, "
                f"outside the calendar horizon {self.first_year}–{self.last_year}"
            )
        if rem == self._day_us:  # the close of a working day: precomputed
            return self._closes[k]
        for upto, shift in self._inverse:
            if rem <= upto:
                return self._at(self._wd[k], rem + shift)
        raise AssertionError("unreachable: rem <= day length")  # pragma: no cover

    # ------------------------------------------------------------------ public API

    def next_opening(self, t: datetime) -> datetime:
        """``t`` itself if it is inside an office session of a working day, else the next session opening.

        Sessions are half-open: at exactly 11:30 the next opening is 13:30 (domain §2.3 step 1, lunch break).
        """
        local = self._local(t, "t")
        i = self._index(local.date(), "datetime")
        if self._working[i]:
            tod = _time_us(local.time())
            for a, b, _ in self._spans:
                if tod < a:
                    return self._at(i, a)
                if tod < b:
                    return local
        # next working day after i: the working day with rank cum[i+1]
        k = self._cum[i + 1]
        if k >= len(self._wd):
            raise CalendarOutOfRange(
                f"no office opening after {local.isoformat()} "
                f"inside the calendar horizon {self.first_year}–{self.last_year}"
            )
        return self._at(self._wd[k], self._open_us)

    def normalise_start(self, t: datetime, cutoff: Cutoff | str) -> datetime:
        """Domain §2.3 step 1.

        * ``NONE`` — unchanged (working-hour counting starts at the next opening anyway).
        * ``AFTER_CLOSE`` — outside office hours, on a non-working day or in the lunch break → next opening.
        * ``AFTER_15H`` — additionally, received on a working day at or after the cut-off (15:00, domain §2.1
          "15:00 cut-off", Decree 63/2024) → opening of the next working day.
        """
        cutoff = _as_cutoff(cutoff)
        local = self._local(t, "start")
        self._index(local.date(), "start")
        if cutoff is Cutoff.NONE:
            return local
        if cutoff is Cutoff.AFTER_15H and self._after_cutoff(local):
            i = local.toordinal() - self._ord0
            k = self._cum[i + 1]
            if k >= len(self._wd):
                raise self._out_of_range("next working day after", local)
            return self._at(self._wd[k], self._open_us)
        return self.next_opening(local)

    def _after_cutoff(self, local: datetime) -> bool:
        i = local.toordinal() - self._ord0
        return bool(self._working[i]) and _time_us(local.time()) >= self._cutoff_us

    def add_working_time(
        self,
        start: datetime,
        amount: float | Decimal,
        unit: Unit | str,
        *,
        cutoff: Cutoff | str = Cutoff.AFTER_CLOSE,
    ) -> datetime:
        """Due instant of a term of ``amount`` ``unit`` received at ``start`` (domain §2.3 steps 1–3).

        * WORKING_HOURS / WORKING_DAYS (step 2): the earliest instant at which ``amount`` of office time has
          passed since the normalised start; one working day = one office day (``day_seconds``), so 0.5 day
          = 4 h with default sessions. ``0`` working days means a same-day procedure ("ngay trong ngày",
          §9 Ex 4): due at the close of the working day on which counting starts.
        * CALENDAR_DAYS (step 3): the last day is the date of normalised start (raw start with
          ``Cutoff.NONE``) + ``amount`` days, holidays not skipped; the term ends at the close of office
          hours of that day (Civil Code Art 148 k1, k6), or of the next working day when the last day is not
          a working day (k5). domain.md §2.3 says "same clock time"; see the note on ``_calendar_days``.

        O(1) array lookups in the precomputed index plus O(#sessions); no loop over days.
        """
        # This is the hot path (bulk recomputation, §2.4 sweeps): the common case — an aware datetime already
        # in self.tz, an int/float amount, a working-time unit — is handled inline with array lookups only.
        try:
            unit_ = _UNITS[unit]
            cutoff_ = _CUTOFFS[cutoff]
        except (KeyError, TypeError):
            unit_ = _as_unit(unit)
            cutoff_ = _as_cutoff(cutoff)
        if start.__class__ is datetime and start.tzinfo is self.tz:
            local = start
        else:
            local = self._local(start, "start")
        if unit_ is _CALENDAR_DAYS:
            return self._calendar_days(local, amount, cutoff_)[0]
        per = self._day_us if unit_ is _WORKING_DAYS else _US_PER_HOUR
        kind = amount.__class__
        if kind is int and amount > 0:
            us = amount * per
        elif kind is float and 0.0 < amount < math.inf:
            us = round(amount * per)
        else:
            us = _amount_us(amount, per)
        if us == 0:
            if unit_ is _WORKING_DAYS:
                return self._same_day_close(local, cutoff_)
            return self.normalise_start(local, cutoff_)

        # Step 1 folded into the position, no datetime built: moving a start to the next opening does not
        # change its position (no office time passes outside sessions), so NONE and AFTER_CLOSE share pos(t);
        # AFTER_15H at/after the cut-off on a working day starts at the next working day's opening, whose
        # position is the close of the current day (+1 day). Then target = pos(normalised start) + amount.
        i = local.toordinal() - self._ord0
        if not 0 <= i < self._ndays:
            raise self._out_of_range("start", local)
        n = self._cum[i]  # whole working days before the start's day
        intra = 0  # office time of the start's day already elapsed
        if self._working[i]:
            clock = local.time()  # comparing time objects is cheaper than computing microseconds
            if cutoff_ is _AFTER_15H and clock >= self.cutoff_time:
                n += 1
            elif clock > self._open_time:
                intra = self._intra(_time_us(clock))
        if not intra and kind is int and unit_ is _WORKING_DAYS:
            # Whole working days from an opening end at the close of the (n + amount)-th working day.
            k = n + amount - 1
            if k < self._nwd:
                return self._closes[k]
        return self._at_pos(n * self._day_us + intra + us)

    def _same_day_close(self, local: datetime, cutoff: Cutoff) -> datetime:
        """Close of the working day on which counting starts (same-day procedures, domain §9 Ex 4)."""
        opening = self.next_opening(self.normalise_start(local, cutoff))
        return self._closes[self._cum[opening.toordinal() - self._ord0]]

    def _calendar_days(
        self, local: datetime, amount: float | Decimal, cutoff: Cutoff
    ) -> tuple[datetime, datetime]:
        """(due, unrolled due) for CALENDAR_DAYS — domain §2.3 step 3."""
        us = _amount_us(amount, _US_PER_DAY)
        base = local if cutoff is Cutoff.NONE else self.normalise_start(local, cutoff)
        self._index(base.date(), "start")
        try:
            naive = base.replace(tzinfo=None) + timedelta(microseconds=us)
        except OverflowError:
            raise CalendarOutOfRange(
                f"the result lies after {self._last_day.isoformat()}, "
                f"outside the calendar horizon {self.first_year}–{self.last_year}"
            ) from None
        raw = naive.replace(tzinfo=self.tz)  # the last day of the term, step 3
        i = self._index(raw.date(), "result")
        # Civil Code 2015 Art 148 k1/k6: a term in days ends at the end of its last day — for an agency,
        # the close of office hours; k5: a last day that is not a working day rolls to the end of the
        # next working day. Ending at the close (not at the start's clock time) also keeps the due moment
        # monotonic in the amount, which pauses credited in days rely on.
        k = self._cum[i]  # rank of day i among working days (or of the first working day after it)
        if k >= len(self._wd):
            raise self._out_of_range("next working day after", raw.date())
        return self._closes[k], raw

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time of working days between ``a`` and ``b`` (negative if ``b < a``).

        Used for worked time before a pause and the length of a pause in working hours (domain §2.3 step 4,
        §9 Ex 2). O(#sessions): a difference of two positions.
        """
        pa = self._pos(self._local(a, "a"))
        pb = self._pos(self._local(b, "b"))
        return timedelta(microseconds=pb - pa)

    def subtract_working_time(self, t: datetime, hours: float | Decimal) -> datetime:
        """The instant ``hours`` of office time before ``t`` (earliest instant at that working position).

        Used for warnings that look back from a due moment — "due within 24 working hours" (sắp đến hạn,
        domain §2.4) — and for the apology rule (§1.7). O(1) on the cumulative index, like the forward walk.
        """
        if Decimal(str(hours)) < 0:
            raise ValueError("subtract a non-negative amount of working time")
        p = self._pos(self._local(t, "t")) - _amount_us(hours, 3600 * _MICRO)
        if p <= 0:
            raise self._out_of_range("working time before", t)
        return self._at_pos(p)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``.

        Domain §1.7 (Decree 61/2018, restated after 1/7/2025): the apology and new appointment (Mẫu 04) must
        be issued "chậm nhất 01 ngày trước ngày hết hạn" — by the end of the working day before the due date.
        """
        i = self._index(_plain_date(d), "date")
        k = self._cum[i] - 1  # rank of the last working day before index i
        if k < 0:
            raise self._out_of_range("working day before", d)
        return date.fromordinal(self._ord0 + self._wd[k])

    def close_of(self, d: date) -> datetime:
        """The close of office hours on day ``d`` (local), e.g. 17:00."""
        self._index(_plain_date(d), "date")
        return datetime.combine(_plain_date(d), self._close_time, tzinfo=self.tz)

    def explain(
        self,
        start: datetime,
        amount: float | Decimal,
        unit: Unit | str,
        *,
        cutoff: Cutoff | str = Cutoff.AFTER_CLOSE,
    ) -> tuple[datetime, list[Rule]]:
        """Same due as :meth:`add_working_time`, plus every rule that moved it (for the applicant and audit).

        Lists: start moved to the next opening, the 15:00 cut-off, each weekend (one rule per run of
        consecutive weekend days), each holiday with its name, each make-up working Saturday, local closure
        and extra working day met between the start and the due, and the roll to the next working day for
        calendar days. This one loops over the days between start and due — it is not on the hot path.
        """
        unit_ = _as_unit(unit)
        cutoff_ = _as_cutoff(cutoff)
        local = self._local(start, "start")
        due = self.add_working_time(local, amount, unit_, cutoff=cutoff_)
        rules: list[Rule] = []

        counted_from = local
        if not (unit_ is Unit.CALENDAR_DAYS and cutoff_ is Cutoff.NONE):
            norm = self.normalise_start(local, cutoff_)
            if norm != local:
                by_cutoff = cutoff_ is Cutoff.AFTER_15H and self._after_cutoff(local)
                if by_cutoff and local.time() < self._close_time:
                    rules.append(
                        Rule(
                            "cutoff",
                            local.date(),
                            f"Nhận lúc {_fmt_dt(local)}, sau {self.cutoff_time:%H:%M}: thời hạn tính từ ngày "
                            f"làm việc tiếp theo, {_fmt_dt(norm)} (received after the cut-off)",
                        )
                    )
                else:
                    rules.append(
                        Rule(
                            "start_moved",
                            local.date(),
                            f"Nhận lúc {_fmt_dt(local)}, ngoài giờ làm việc: bắt đầu tính từ {_fmt_dt(norm)} "
                            f"(start moved to the next office opening)",
                        )
                    )
            counted_from = norm

        if unit_ is Unit.CALENDAR_DAYS:
            raw = self._calendar_days(local, amount, cutoff_)[1]
            if raw.date() != due.date():
                d = raw.date()
                while d < due.date():
                    reason = self.day_reason(d)
                    if reason is not None:
                        rules.append(reason)
                    d += timedelta(days=1)
                rules = _merge_weekends(rules)
                rules.append(
                    Rule(
                        "rolled_to_working_day",
                        raw.date(),
                        f"Hạn {_fmt_day(raw.date())} rơi vào ngày nghỉ: chuyển sang hết giờ làm việc "
                        f"{_fmt_dt(due)} (BLDS 2015 Điều 148 khoản 5)",
                    )
                )
            return due, rules

        d = min(local.date(), counted_from.date())
        while d <= due.date():
            reason = self.day_reason(d)
            if reason is not None:
                rules.append(reason)
            d += timedelta(days=1)
        return due, _merge_weekends(rules)

    @property
    def _close_time(self) -> time:
        return self.sessions[-1].end

    def __repr__(self) -> str:
        spans = ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in self.sessions)
        return (
            f"<WorkingCalendar {self.first_year}–{self.last_year} {spans} tz={self.tz} "
            f"holidays={len(self._holidays)} makeup={len(self._makeup)} overrides={len(self._overrides)}>"
        )


def _merge_weekends(rules: list[Rule]) -> list[Rule]:
    """Collapse a Saturday rule and the Sunday rule after it into one rule per weekend (a concise trail)."""
    out: list[Rule] = []
    for r in rules:
        prev = out[-1] if out else None
        if (
            prev is not None
            and r.kind == prev.kind == "weekend"
            and prev.day is not None
            and r.day is not None
            and prev.day.weekday() == 5
            and r.day == prev.day + timedelta(days=1)
        ):
            out[-1] = Rule(
                "weekend",
                prev.day,
                f"{_fmt_day(prev.day)} – {_fmt_day(r.day)} (Thứ bảy – Chủ nhật): nghỉ cuối tuần (weekend)",
            )
        else:
            out.append(r)
    return out


_SESSION_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


def parse_sessions(specs: Iterable[str]) -> tuple[Session, ...]:
    """Parse office sessions such as ``"07:00-11:30"`` (domain §2.2: office hours are provincial parameters).

    Raises ValueError naming the bad entry if a spec is malformed, empty, reversed or overlaps another.
    """
    if isinstance(specs, str):
        specs = specs.split(",")
    out: list[Session] = []
    for spec in specs:
        m = _SESSION_RE.match(spec) if isinstance(spec, str) else None
        if m is None:
            raise ValueError(f"bad office session {spec!r}; expected 'HH:MM-HH:MM', e.g. '07:00-11:30'")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        try:
            session = Session(time(h1, m1), time(h2, m2))
        except ValueError as exc:
            raise ValueError(f"bad office session {spec!r}: {exc}") from None
        if out and session.start < out[-1].end:
            raise ValueError(f"office session {spec!r} overlaps or precedes the previous session")
        out.append(session)
    if not out:
        raise ValueError("no office sessions given; expected e.g. ['07:00-11:30', '13:30-17:00']")
    return tuple(out)


def vietnam_calendar(
    *,
    first_year: int = 2015,
    last_year: int = 2040,
    overrides: Iterable[Override] = (),
    sessions: Sequence[Session] = DEFAULT_SESSIONS,
    cutoff_time: time = time(15, 0),
) -> WorkingCalendar:
    """The national Vietnamese working calendar (domain §2.1 Labour Code Art 112 + yearly swaps, §2.2).

    Holidays and swaps come from the ``holidays`` package, never from a hand-typed list: public holidays
    including observed and substituted days off (e.g. Fri 2/5/2025), and ``weekend_workdays``, the make-up
    working Saturdays they were swapped with (e.g. Sat 26/4/2025). Names are the Vietnamese label followed by
    the English one, e.g. "Ngày Chiến thắng (Liberation Day/Reunification Day)".
    """
    import holidays as holidays_lib  # local import: only this factory needs the package

    years = range(first_year, last_year + 1)
    vi = holidays_lib.country_holidays("VN", years=years, language="vi")
    en = holidays_lib.country_holidays("VN", years=years, language="en_US")
    names: dict[date, str] = {}
    for d, name_vi in vi.items():
        name_en = en.get(d)
        names[d] = f"{name_vi} ({name_en})" if name_en and name_en != name_vi else name_vi

    makeup: dict[date, str] = {}
    for w in vi.weekend_workdays:
        # The substituted day off names the Saturday it was swapped with:
        # "Ngày nghỉ (thay cho ngày 26/04/2025)".
        tag = _fmt_day(w)
        swapped = sorted(d for d, n in vi.items() if tag in n)
        if swapped:
            days_off = ", ".join(_fmt_day(d) for d in swapped)
            makeup[w] = f"làm bù cho ngày nghỉ {days_off} (working day in lieu of {days_off})"
        else:
            makeup[w] = "làm bù (make-up working day)"

    return WorkingCalendar(
        holidays=names,
        makeup_workdays=makeup,
        overrides=overrides,
        sessions=sessions,
        first_year=first_year,
        last_year=last_year,
        tz=VN_TZ,
        cutoff_time=cutoff_time,
    )
