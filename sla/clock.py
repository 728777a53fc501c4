"""Pure computation of a deadline's due moment from its facts (no ORM).

Legal basis: domain.md §2.3. The due moment is always recomputed from the facts — start, term,
closed pauses, extensions — rather than nudged incrementally, so replaying the same facts gives
the same answer, and the explanation trail lists every rule that moved it.

* Pause semantics (default, step 4): each closed pause credits the working time between its
  start and end; for a term in calendar days the pause's calendar duration is credited.
* Restart semantics (configured per TTHC when sector law says "kể từ ngày nhận đủ hồ sơ"): the
  whole term runs again from the last resume.
* Extensions are added after pauses, in working time, in the order they were granted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sla.calendar import Cutoff, Rule, Unit, WorkingCalendar


@dataclass(frozen=True)
class PauseFact:
    started_at: datetime
    ended_at: datetime | None
    reason: str = ""


@dataclass(frozen=True)
class ExtensionFact:
    amount: Decimal | float
    unit: Unit | str
    reason: str = ""


@dataclass
class DueComputation:
    due_at: datetime
    paused_seconds: int
    rules: list[Rule] = field(default_factory=list)


def _fmt(t: datetime, tz) -> str:
    return t.astimezone(tz).strftime("%H:%M %d/%m/%Y")


class _Unexplained:
    """A calendar whose ``explain`` skips the rule trail (same due moment, no loop over the days)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar

    def __getattr__(self, name: str):
        return getattr(self._calendar, name)

    def explain(self, start, amount, unit, *, cutoff):
        return self._calendar.add_working_time(start, amount, unit, cutoff=cutoff), []


def compute_due(
    calendar: WorkingCalendar,
    *,
    started_at: datetime,
    amount: Decimal | float,
    unit: Unit | str,
    cutoff: Cutoff | str,
    semantics: str = "pause",
    pauses: Sequence[PauseFact] = (),
    extensions: Sequence[ExtensionFact] = (),
    explain: bool = True,
) -> DueComputation:
    """Due moment of a clock; an open pause (no ``ended_at``) is not credited until it ends."""
    unit = Unit(unit)
    if not explain:
        # Step clocks and warning instants need the moment only; the rule trail loops over days.
        calendar = _Unexplained(calendar)
    closed = [p for p in pauses if p.ended_at is not None]
    paused_seconds = sum(
        max(0, int(calendar.working_time_between(p.started_at, p.ended_at).total_seconds())) for p in closed
    )
    tz = calendar.tz

    if semantics == "restart" and closed:
        restart_at = max(p.ended_at for p in closed)
        due, rules = calendar.explain(restart_at, amount, unit, cutoff=cutoff)
        rules.insert(
            0,
            Rule(
                kind="pause",
                day=restart_at.astimezone(tz).date(),
                text=f"Tính lại toàn bộ thời hạn từ {_fmt(restart_at, tz)} (hồ sơ đã được bổ sung)",
            ),
        )
        return DueComputation(due_at=due, paused_seconds=paused_seconds, rules=rules)

    if unit is Unit.CALENDAR_DAYS and closed:
        paused_days = sum((p.ended_at - p.started_at for p in closed), timedelta()) / timedelta(days=1)
        due, rules = calendar.explain(
            started_at, Decimal(str(amount)) + Decimal(str(paused_days)), unit, cutoff=cutoff
        )
    else:
        due, rules = calendar.explain(started_at, amount, unit, cutoff=cutoff)
        if paused_seconds:
            due = calendar.add_working_time(
                due, Decimal(paused_seconds) / 3600, Unit.WORKING_HOURS, cutoff=Cutoff.NONE
            )
    for p in closed:
        credited_hours = calendar.working_time_between(p.started_at, p.ended_at).total_seconds() / 3600
        reason = f" ({p.reason})" if p.reason else ""
        rules.append(
            Rule(
                kind="pause",
                day=p.started_at.astimezone(tz).date(),
                text=(
                    f"Tạm dừng từ {_fmt(p.started_at, tz)} đến {_fmt(p.ended_at, tz)}"
                    f"{reason}: cộng {credited_hours:g} giờ làm việc"
                ),
            )
        )
    for ext in extensions:
        due = calendar.add_working_time(due, ext.amount, ext.unit, cutoff=Cutoff.NONE)
        rules.append(
            Rule(
                kind="extension",
                day=due.astimezone(tz).date(),
                text=f"Gia hạn {Decimal(str(ext.amount)).normalize():f} {Unit(ext.unit).value}"
                + (f" ({ext.reason})" if ext.reason else ""),
            )
        )
    return DueComputation(due_at=due, paused_seconds=paused_seconds, rules=rules)
