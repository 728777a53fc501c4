"""Writes of the ``sla`` app (the calendar factory is in :mod:`sla.selectors`, re-exported here).

Every other app gets working time from here: ``calendar_for(agency)`` returns the national
Vietnamese calendar (``holidays``' public holidays, substituted days off and make-up Saturdays)
plus the override rows of that agency and of every agency above it, with the agency's office
hours. Building a calendar costs tens of milliseconds, so calendars are cached per process and
rebuilt only when the override rows in scope change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from sla.calendar import Cutoff, Unit
from sla.choices import ClockSemantics, DeadlineState, PauseReason
from sla.clock import DueComputation, ExtensionFact, PauseFact, compute_due
from sla.models import Deadline, DeadlineExtension, DeadlinePause
from sla.selectors import AgencyLike, calendar_cache_clear, calendar_for  # noqa: F401 - re-exported


class DeadlineError(ValueError):
    """A clock operation that the facts do not allow (e.g. resuming a clock that is not paused)."""


def _facts(deadline: Deadline) -> tuple[list[PauseFact], list[ExtensionFact]]:
    if deadline.pk is None:
        return [], []
    pauses = [
        PauseFact(started_at=p.started_at, ended_at=p.ended_at, reason=p.get_reason_display())
        for p in deadline.pauses.all()
    ]
    extensions = [
        ExtensionFact(amount=e.amount, unit=e.unit, reason=e.reason) for e in deadline.extensions.all()
    ]
    return pauses, extensions


def _recompute(deadline: Deadline) -> DueComputation:
    pauses, extensions = _facts(deadline)
    result = compute_due(
        calendar_for(deadline.agency_code or None),
        started_at=deadline.started_at,
        amount=deadline.term_amount,
        unit=deadline.term_unit,
        cutoff=deadline.cutoff,
        semantics=deadline.semantics,
        pauses=pauses,
        extensions=extensions,
        explain=deadline.explained,
    )
    deadline.due_at = result.due_at
    deadline.paused_seconds = result.paused_seconds
    deadline.explanation = [
        {"kind": r.kind, "day": r.day.isoformat() if r.day else None, "text": r.text} for r in result.rules
    ]
    return result


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise DeadlineError("a naive datetime was given; pass an aware one (Asia/Ho_Chi_Minh if local)")
    return at


@transaction.atomic
def deadline_start(
    *,
    subject: str,
    started_at: datetime,
    amount: Decimal | float | int,
    unit: Unit | str,
    cutoff: Cutoff | str | None = None,
    agency_code: str = "",
    semantics: str = ClockSemantics.PAUSE,
    explain: bool = True,
) -> Deadline:
    """Start a clock at the receipt of a complete dossier (domain §2.1 "kể từ ngày nhận đủ hồ sơ hợp lệ")."""
    deadline = Deadline(
        subject=subject,
        agency_code=agency_code,
        started_at=_aware(started_at),
        term_amount=Decimal(str(amount)),
        term_unit=Unit(unit).value,
        cutoff=Cutoff(cutoff or settings.SLA_DEFAULT_CUTOFF).value,
        semantics=ClockSemantics(semantics).value,
        due_at=started_at,
        explained=explain,
    )
    _recompute(deadline)
    deadline.save()
    return deadline


def _locked(deadline: Deadline) -> Deadline:
    return Deadline.objects.select_for_update().get(pk=deadline.pk)


@transaction.atomic
def deadline_pause(
    *, deadline: Deadline, at: datetime, reason: PauseReason | str, note: str = ""
) -> Deadline:
    """Pause a running clock (supplement requested, financial obligation, excluded period)."""
    deadline = _locked(deadline)
    if deadline.state != DeadlineState.RUNNING:
        raise DeadlineError(f"cannot pause a clock that is {deadline.state}")
    if _aware(at) < deadline.started_at:
        raise DeadlineError("a pause cannot start before the clock started")
    DeadlinePause.objects.create(
        deadline=deadline, reason=PauseReason(reason).value, note=note, started_at=at
    )
    deadline.state = DeadlineState.PAUSED
    deadline.save(update_fields=["state", "updated_at"])
    return deadline


@transaction.atomic
def deadline_resume(*, deadline: Deadline, at: datetime) -> Deadline:
    """Resume a paused clock; the due moment moves later by the pause (or restarts, per semantics)."""
    deadline = _locked(deadline)
    pause = deadline.pauses.filter(ended_at__isnull=True).first()
    if deadline.state != DeadlineState.PAUSED or pause is None:
        raise DeadlineError(f"cannot resume a clock that is {deadline.state}")
    if _aware(at) < pause.started_at:
        raise DeadlineError("a clock cannot resume before its pause started")
    pause.ended_at = at
    cal = calendar_for(deadline.agency_code or None)
    pause.working_seconds = int(cal.working_time_between(pause.started_at, at).total_seconds())
    pause.save(update_fields=["ended_at", "working_seconds"])
    deadline.state = DeadlineState.RUNNING
    _recompute(deadline)
    deadline.save()
    return deadline


@transaction.atomic
def deadline_extend(
    *, deadline: Deadline, amount: Decimal | float | int, unit: Unit | str, reason: str, at: datetime
) -> Deadline:
    """Extend the term where sector law allows it; the apology's new date (Mẫu 04) is *not* this."""
    deadline = _locked(deadline)
    if deadline.state == DeadlineState.STOPPED:
        raise DeadlineError("cannot extend a stopped clock")
    if Decimal(str(amount)) <= 0:
        raise DeadlineError("an extension must be positive")
    DeadlineExtension.objects.create(
        deadline=deadline,
        amount=Decimal(str(amount)),
        unit=Unit(unit).value,
        reason=reason,
        granted_at=_aware(at),
    )
    _recompute(deadline)
    deadline.save()
    return deadline


@transaction.atomic
def deadline_stop(*, deadline: Deadline, at: datetime) -> Deadline:
    """Stop the clock at the end of processing (decision, withdrawal, stop notice)."""
    deadline = _locked(deadline)
    if deadline.state == DeadlineState.STOPPED:
        raise DeadlineError("the clock is already stopped")
    open_pause = deadline.pauses.filter(ended_at__isnull=True).first()
    if open_pause is not None:
        # Ending while paused (e.g. withdrawal during a supplement): close the pause at the stop.
        open_pause.ended_at = _aware(at)
        open_pause.save(update_fields=["ended_at"])
        _recompute(deadline)
    deadline.state = DeadlineState.STOPPED
    deadline.stopped_at = at
    deadline.save()
    return deadline


def deadline_moments(deadline: Deadline, fractions: Sequence[Decimal | float]) -> list[datetime]:
    """The instants at which each of ``fractions`` of the term is used up, pauses credited like the due.

    Sweeps warn at 50% and 75% of a step's allotted time (issue 3); computing the instants with the same
    facts as the due moment keeps the warnings consistent with the clock through pauses.
    """
    pauses, _extensions = _facts(deadline)
    cal = calendar_for(deadline.agency_code or None)
    return [
        compute_due(
            cal,
            started_at=deadline.started_at,
            amount=deadline.term_amount * Decimal(str(fraction)),
            unit=deadline.term_unit,
            cutoff=deadline.cutoff,
            semantics=deadline.semantics,
            pauses=pauses,
            explain=False,
        ).due_at
        for fraction in fractions
    ]


def deadline_warning_at(deadline: Deadline, *, working_hours: Decimal | float = 24) -> datetime:
    """The instant ``working_hours`` before the due moment (domain §2.4 "sắp đến hạn"), not before start."""
    cal = calendar_for(deadline.agency_code or None)
    try:
        at = cal.subtract_working_time(deadline.due_at, working_hours)
    except ValueError:
        return deadline.started_at
    return max(at, deadline.started_at)


def apology_latest_at(*, agency_code: str, due_at: datetime) -> datetime:
    """The last instant to issue the apology and new appointment (Mẫu 04) for a dossier due at ``due_at``.

    Domain §1.7: "chậm nhất 01 ngày trước ngày hết hạn" — the close of the working day before the due date
    (§9 Ex 3: due Tue 6/5/2025 → issued by Mon 5/5/2025).
    """
    cal = calendar_for(agency_code or None)
    due_day = due_at.astimezone(cal.tz).date()
    return cal.close_of(cal.previous_working_day(due_day))


def deadline_paused_seconds(deadline: Deadline, *, as_of: datetime) -> int:
    """Working seconds the clock has been paused, an open pause counted up to ``as_of``."""
    cal = calendar_for(deadline.agency_code or None)
    total = 0
    for p in deadline.pauses.all():
        end = p.ended_at or max(as_of, p.started_at)
        total += max(0, int(cal.working_time_between(p.started_at, end).total_seconds()))
    return total
