"""Reads of dossiers: SLA state, the JSON view of ``dossier_show``, lists for the inbox and supervisors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from sla.services import deadline_paused_seconds
from workflows.choices import FINISHED_STATUSES, OPEN_STATUSES, DossierStatus, SlaMark
from workflows.models import Dossier

_INTERRUPTED = (DossierStatus.SUPPLEMENT, DossierStatus.PAYMENT, DossierStatus.STOPPED)


def dossier_sla_state(dossier: Dossier, now: datetime) -> str | None:
    """Domain §2.4, periodic-report rule.

    Finished (result, returned, withdrawn): early / on_time / late comparing the *date* of the end of
    processing with the date of the appointment; withdrawal counts as on time (§6.3 (9)); more than one
    supplement request is late whatever the dates (766 2.1). In progress: paused while waiting for the
    applicant or stopped (counted "in time" by the report), overdue after the due moment, due_soon within
    24 working hours of it, else in_time. Not received: None.
    """
    status = dossier.status
    if status in FINISHED_STATUSES:
        if dossier.supplement_count > 1:
            return SlaMark.LATE
        if status == DossierStatus.WITHDRAWN or dossier.due_at is None:
            return SlaMark.ON_TIME
        end = timezone.localtime(dossier.finished_at).date()
        due = timezone.localtime(dossier.due_at).date()
        return SlaMark.EARLY if end < due else SlaMark.ON_TIME if end == due else SlaMark.LATE
    if status in _INTERRUPTED:
        return SlaMark.PAUSED
    if status in OPEN_STATUSES:
        if dossier.due_at is not None and now > dossier.due_at:
            return SlaMark.OVERDUE
        if dossier.due_soon_at is not None and now >= dossier.due_soon_at:
            return SlaMark.DUE_SOON
        return SlaMark.IN_TIME
    return None


def with_sla_state(qs: QuerySet[Dossier], now: datetime) -> QuerySet[Dossier]:
    """Annotate ``sla_state`` for dossiers in progress, in SQL (the supervisor list filters on it)."""
    return qs.annotate(
        sla_state=Case(
            When(status__in=_INTERRUPTED, then=Value(SlaMark.PAUSED.value)),
            When(Q(status__in=OPEN_STATUSES) & Q(due_at__lt=now), then=Value(SlaMark.OVERDUE.value)),
            When(Q(status__in=OPEN_STATUSES) & Q(due_soon_at__lte=now), then=Value(SlaMark.DUE_SOON.value)),
            When(status__in=OPEN_STATUSES, then=Value(SlaMark.IN_TIME.value)),
            default=Value(""),
            output_field=CharField(),
        )
    )


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def dossier_by_code(code: str) -> Dossier | None:
    return (
        Dossier.objects.select_related("procedure_version__procedure", "agency", "deadline")
        .filter(code=code)
        .first()
    )


def dossier_as_json(dossier: Dossier, *, now: datetime | None = None) -> dict[str, Any]:
    """The object printed by ``dossier_show --format json`` (keys fixed by issue 3, see README)."""
    now = now or timezone.now()
    paused = 0
    if dossier.deadline is not None:
        paused = deadline_paused_seconds(dossier.deadline, as_of=dossier.finished_at or now)
    events = [
        {
            "seq": e.seq,
            "event": e.event,
            "at": _iso(e.at),
            "actor": e.actor_name,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "detail": e.note,
            "payload": e.payload,
        }
        for e in dossier.events.order_by("seq")
    ]
    return {
        "code": dossier.code,
        "procedure_code": dossier.procedure_version.procedure.code,
        "agency_code": dossier.agency.code,
        "channel": dossier.channel,
        "national_status": dossier.national_status,
        "received_at": _iso(dossier.received_at),
        "due_at": _iso(dossier.due_at),
        "new_due_at": _iso(dossier.new_due_at),
        "finished_at": _iso(dossier.finished_at),
        "returned_at": _iso(dossier.returned_at),
        "paused_working_hours": float((Decimal(paused) / 3600).quantize(Decimal("0.01"))),
        "supplement_count": dossier.supplement_count,
        "sla_state": dossier_sla_state(dossier, now),
        "events": events,
    }


def open_dossiers() -> QuerySet[Dossier]:
    return Dossier.objects.filter(status__in=OPEN_STATUSES)
