"""Reads of dossiers: SLA state, the JSON view of ``dossier_show``, lists for the inbox and supervisors."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from sla.services import deadline_paused_seconds
from workflows.choices import FINISHED_STATUSES, NATIONAL_STATUS, OPEN_STATUSES, DossierStatus, SlaMark
from workflows.models import Complaint, Dossier

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


# --- the public lookup (issue 5): code + second factor, minimal disclosure (domain §8) --------------------

LOOKUP_FACTOR_DIGITS = 4


def _last_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[-LOOKUP_FACTOR_DIGITS:] if len(digits) >= LOOKUP_FACTOR_DIGITS else ""


def lookup_factor_matches(dossier: Dossier, verify: str) -> bool:
    """The second factor: the last 4 digits of the applicant's phone, or of their ID number / tax code.

    Both are compared in constant time and always both, so the answer time does not tell which one
    matched; a dossier with neither phone nor ID can never be opened this way.
    """
    given = verify.encode()
    matched = False
    for expected in (_last_digits(dossier.applicant_phone), _last_digits(dossier.applicant_id_number)):
        # A missing factor is compared with a value no 4-digit input equals, so it costs the same time.
        matched |= hmac.compare_digest(given, (expected or "-").encode()) and bool(expected)
    return matched


def dossier_for_lookup(*, code: str, verify: str) -> Dossier | None:
    """The dossier with this code if ``verify`` is its second factor, else None.

    An unknown code and wrong digits both give None (no enumeration of codes). Drafts never leave the
    transaction that creates them, so they are never found.
    """
    dossier = Dossier.objects.exclude(status=DossierStatus.DRAFT).filter(code=code.strip()).first()
    if dossier is None:
        hmac.compare_digest(verify.encode(), b"----")  # keep the work of both answers alike
        return None
    return dossier if lookup_factor_matches(dossier, verify) else None


@dataclass(frozen=True)
class PublicDossier:
    """What the public lookup may show of a dossier: no name, ID, address, phone, e-mail or reasons.

    The template receives this and never the ``Dossier`` itself, so a later template edit cannot leak a
    personal field by accident (domain §8, minimal disclosure).
    """

    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    reception_agency_name: str
    channel_label: str
    status: str
    status_label: str
    national_status: int | None
    current_step_name: str
    received_at: datetime | None
    appointment_at: datetime | None
    new_due_at: datetime | None
    finished_at: datetime | None
    result_delivery: str
    result_delivery_label: str
    returned_at: datetime | None
    returned_via_label: str
    rating: str
    rating_label: str
    rated_at: datetime | None
    open_complaint_received_at: datetime | None
    open_complaint_due_at: datetime | None
    may_rate: bool
    may_complain: bool


_COMPLAINABLE = frozenset(
    {
        DossierStatus.RECEIVED,
        DossierStatus.IN_PROCESS,
        DossierStatus.SUPPLEMENT,
        DossierStatus.PAYMENT,
        DossierStatus.STOPPED,
        DossierStatus.WITHDRAWN,
        DossierStatus.DECIDED,
        DossierStatus.RETURNED,
    }
)


def dossier_public(code: str) -> PublicDossier | None:
    """The public view of the dossier ``code`` (the caller has checked the second factor)."""
    dossier = (
        Dossier.objects.select_related(
            "procedure_version__procedure", "agency", "reception_agency", "current_step"
        )
        .exclude(status=DossierStatus.DRAFT)
        .filter(code=code)
        .first()
    )
    if dossier is None:
        return None
    procedure = dossier.procedure_version.procedure
    status = DossierStatus(dossier.status)
    open_complaint: Complaint | None = (
        dossier.complaints.filter(resolved_at__isnull=True).order_by("-received_at").first()
    )
    step = dossier.current_step
    in_process = status in (DossierStatus.RECEIVED, DossierStatus.IN_PROCESS)
    return PublicDossier(
        code=dossier.code,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        agency_name=dossier.agency.name,
        reception_agency_name=(dossier.reception_agency or dossier.agency).name,
        channel_label=str(dossier.get_channel_display()),
        status=status.value,
        status_label=str(status.label),
        national_status=NATIONAL_STATUS.get(status),
        current_step_name=step.name if step is not None and in_process else "",
        received_at=dossier.received_at,
        appointment_at=dossier.appointment_at or dossier.due_at,
        new_due_at=dossier.new_due_at,
        finished_at=dossier.finished_at,
        result_delivery=dossier.result_delivery,
        result_delivery_label=str(dossier.get_result_delivery_display()),
        returned_at=dossier.returned_at,
        returned_via_label=str(dossier.get_returned_via_display()) if dossier.returned_via else "",
        rating=dossier.rating,
        rating_label=str(dossier.get_rating_display()) if dossier.rating else "",
        rated_at=dossier.rated_at,
        open_complaint_received_at=open_complaint.received_at if open_complaint else None,
        open_complaint_due_at=open_complaint.due_at if open_complaint else None,
        may_rate=status == DossierStatus.RETURNED and not dossier.rating,
        may_complain=status in _COMPLAINABLE and open_complaint is None,
    )
