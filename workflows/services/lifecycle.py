"""The dossier lifecycle: one function per event, each one database transaction.

Legal basis: domain.md §1.2–§1.9 (states and transitions), §2.3 (the clock: start at receipt of a complete
dossier, paused for supplements and financial obligations, pause vs restart semantics), §2.4 (more than one
supplement request ⇒ late), §1.7 (apology once, at least one working day before the due date).

Every function: locks the dossier row, refuses an event out of time order, checks the transition's state,
conditions and the user's permission (django-fsm), changes the dossier, moves the clocks in ``sla``
(never date arithmetic here), appends one ``DossierEvent``, and keeps the viewflow process in step
(``workflows.flows.flow_sync``) — all or nothing. Live desk work, the task views and ``dossiers_import``
all come through here: there is no second code path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from procedures.models import Agency, Procedure, ProcedureVersion
from procedures.selectors import receivable_by, version_in_force
from procedures.text import nfc, nfkc
from sla.calendar import Unit
from sla.choices import ClockSemantics, DeadlineState, PauseReason
from sla.horizon import in_calendar, outside_calendar_message
from sla.services import (
    apology_latest_at,
    calendar_for,
    deadline_moments,
    deadline_pause,
    deadline_resume,
    deadline_start,
    deadline_stop,
    deadline_warning_at,
)
from workflows.audit import GENESIS, event_hash
from workflows.choices import (
    ApplicantKind,
    Channel,
    Decision,
    DossierStatus,
    Event,
    LegalRegime,
    RefusalKind,
    ResultDelivery,
    SlaMark,
)
from workflows.models import (
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierStep,
    validate_personal_id,
    validate_tax_code,
)
from workflows.routing import deciding_indices, route_for_version, route_hours
from workflows.services.outbox import outbox_append
from workflows.signals import dossier_changed, dossier_event_recorded

# Domain §0: Decree 118/2025 replaced Decree 61/2018 for dossiers received from 1/7/2025.
ND118_FROM = date(2025, 7, 1)
# Domain §2.4 "sắp đến hạn": due within 24 (working, issue 3) hours.
DUE_SOON_WORKING_HOURS = 24


class LifecycleError(Exception):
    """An event the rules refuse; the message names the rule."""


class LifecyclePermissionError(LifecycleError):
    """The user does not hold the role, in the dossier's unit, that the event needs."""


class ChangedByOther(LifecycleError):
    """Someone else changed the dossier since this user loaded it (optimistic locking)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang để xem trạng thái mới "
                "rồi thao tác lại."
            )
        )


@dataclass(frozen=True)
class Applicant:
    """The applicant as typed at the desk (Mẫu 01 fields, domain §1.10)."""

    kind: str = ApplicantKind.PERSON
    name: str = ""
    id_number: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        """Store what was meant, whoever typed it: names and addresses in NFC (a decomposed ``ễ`` is found by
        a search typed precomposed), the ID and phone in NFKC (fullwidth digits become ASCII; other scripts'
        digits stay and are refused by :meth:`validate`). Surrounding spaces are dropped."""
        for name, normal in (
            ("name", nfc),
            ("address", nfc),
            ("email", nfc),
            ("id_number", nfkc),
            ("phone", nfkc),
        ):
            object.__setattr__(self, name, normal(getattr(self, name) or "").strip())

    def validate(self) -> None:
        """A person has a 12-digit personal ID, an organisation a tax code (Decree 69/2024/NĐ-CP; Law on Tax
        Administration 2019); every field fits its column, so the database never refuses what passed here."""
        errors: dict[str, list[str]] = {}
        if not self.name:
            errors["applicant_name"] = [_("Nhập tên tổ chức, cá nhân nộp hồ sơ.")]
        try:
            if self.kind == ApplicantKind.PERSON:
                validate_personal_id(self.id_number)
            else:
                validate_tax_code(self.id_number)
        except ValidationError as exc:
            errors["applicant_id_number"] = exc.messages
        for field in ("name", "address", "phone", "email"):
            limit = Dossier._meta.get_field(f"applicant_{field}").max_length
            if len(getattr(self, field)) > limit:
                errors.setdefault(f"applicant_{field}", []).append(
                    _("Tối đa %(limit)s ký tự (đã nhập %(n)s).")
                    % {"limit": limit, "n": len(getattr(self, field))}
                )
        if self.phone and not phone_is_valid(self.phone):
            errors.setdefault("applicant_phone", []).append(phone_message())
        if errors:
            raise ValidationError(errors)


# Sets of papers one applicant hands in for one dossier: a handful; anything above is a typing slip.
COPIES_MAX = 100
# The longest reason or note a page accepts (the API's bound too, workflows.api.serializers).
TEXT_MAX = 5000


# A phone number as people write it: digits (ASCII after NFKC), an optional leading +, and spaces, dots or
# hyphens between groups; ITU-T E.164 numbers have at most 15 digits, Vietnamese ones 10 (mobile) or 11.
_PHONE_RE = re.compile(r"\+?[0-9]+(?:[ .\-][0-9]+)*")
PHONE_DIGITS_MIN, PHONE_DIGITS_MAX = 8, 15


def phone_is_valid(phone: str) -> bool:
    """ASCII digits with an optional ``+`` and separators, 8–15 digits in all."""
    if not _PHONE_RE.fullmatch(phone):
        return False
    digits = sum(ch in "0123456789" for ch in phone)
    return PHONE_DIGITS_MIN <= digits <= PHONE_DIGITS_MAX


def phone_message() -> str:
    """What is wrong with a phone number, in the language of the request."""
    return _(
        "Số điện thoại chỉ gồm chữ số (có thể có dấu + ở đầu, dấu cách, chấm, gạch nối), từ %(min)s đến "
        "%(max)s chữ số."
    ) % {"min": PHONE_DIGITS_MIN, "max": PHONE_DIGITS_MAX}


# --- helpers -------------------------------------------------------------------------------------------


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise LifecycleError(_("Thời điểm phải kèm múi giờ (ví dụ 2025-04-25T16:30:00+07:00)."))
    return at


def _local(at: datetime) -> datetime:
    return timezone.localtime(at)


def _actor_name(user, actor: str) -> str:
    if actor:
        return actor
    if user is not None:
        return user.get_full_name() or user.get_username()
    return "system"


def _status_label(status: str) -> str:
    return str(DossierStatus(status).label)


def _cutoff(version: ProcedureVersion) -> str:
    return version.clock_cutoff or settings.SLA_DEFAULT_CUTOFF


def dossier_code_next(*, agency: Agency, day: date) -> str:
    """Next dossier code of the day (domain §7): ``<prefix>-YYMMDD-[AA]NNNN``.

    The prefix is ``DOSSIER_CODE_PREFIX`` if set, else the deciding agency's electronic identifier (its code
    when it has none); ``DOSSIER_CODE_SYSTEM_DIGITS`` (AA, TT 04/2025) is inserted before the sequence.
    """
    prefix = settings.DOSSIER_CODE_PREFIX or agency.e_id or agency.code
    with transaction.atomic():
        counter, _created = DossierCodeCounter.objects.select_for_update().get_or_create(
            prefix=prefix, day=day
        )
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{prefix}-{day:%y%m%d}-{settings.DOSSIER_CODE_SYSTEM_DIGITS}{counter.last:04d}"


def _legal_regime(day: date) -> str:
    return LegalRegime.ND118_2025 if day >= ND118_FROM else LegalRegime.ND61_2018


def _mark(finished_at: datetime, due_at: datetime | None) -> str:
    """Early / on time / late by date (domain §2.4, periodic-report rule); no due date counts as on time."""
    if due_at is None:
        return SlaMark.ON_TIME
    done, due = _local(finished_at).date(), _local(due_at).date()
    if done < due:
        return SlaMark.EARLY
    if done == due:
        return SlaMark.ON_TIME
    return SlaMark.LATE


def _refresh_due(dossier: Dossier) -> None:
    deadline = dossier.deadline
    dossier.due_at = deadline.due_at
    dossier.due_soon_at = deadline_warning_at(deadline, working_hours=DUE_SOON_WORKING_HOURS)


def _refresh_step_due(step: DossierStep) -> None:
    if step.deadline is None:
        return
    step.due_at = step.deadline.due_at
    step.half_at, step.three_quarters_at = deadline_moments(step.deadline, (Decimal("0.5"), Decimal("0.75")))


def _open_step(
    dossier: Dossier, index: int, at: datetime, *, owner=None, owner_name: str = ""
) -> DossierStep:
    entry = dossier.route[index]
    seq = (dossier.steps.aggregate(m=Max("seq"))["m"] or 0) + 1
    unit = Agency.objects.get(pk=entry["unit_id"])
    step = DossierStep(
        dossier=dossier,
        seq=seq,
        route_index=index,
        step_no=entry["step_no"],
        name=entry["name"],
        role=entry["role"],
        unit=unit,
        allotted_working_hours=route_hours(entry),
        started_at=at,
        owner=owner,
        owner_name=owner_name,
    )
    if step.allotted_working_hours is not None:
        step.deadline = deadline_start(
            subject=f"dossier:{dossier.pk}:step:{seq}",
            started_at=at,
            amount=step.allotted_working_hours,
            unit=Unit.WORKING_HOURS,
            cutoff=_cutoff(dossier.procedure_version),
            agency_code=unit.code,
            explain=False,
        )
        _refresh_step_due(step)
    step.save()
    dossier.current_step = step
    return step


def _close_step(step: DossierStep, at: datetime, *, user, actor: str, outcome: str, note: str = "") -> None:
    step.finished_at = at
    step.outcome = outcome
    step.note = note
    if user is not None:
        step.owner = user
    step.owner_name = _actor_name(user, actor) if (user is not None or actor) else step.owner_name
    step.mark = _mark(at, step.due_at)
    if step.deadline is not None and step.deadline.state != DeadlineState.STOPPED:
        step.deadline = deadline_stop(deadline=step.deadline, at=at)
    step.save()
    step.dossier._closed_steps = [*getattr(step.dossier, "_closed_steps", []), step]


def _pause_clocks(dossier: Dossier, at: datetime, reason: str, note: str) -> None:
    dossier.paused_at = at
    dossier.deadline = deadline_pause(deadline=dossier.deadline, at=at, reason=reason, note=note)
    step = dossier.current_step
    if step is not None and step.deadline is not None and step.deadline.state == DeadlineState.RUNNING:
        step.deadline = deadline_pause(deadline=step.deadline, at=at, reason=reason, note=note)
        step.save(update_fields=["deadline"])


def _resume_clocks(dossier: Dossier, at: datetime) -> None:
    if dossier.paused_at is not None:  # 766 subtracts the applicant's time in calendar time (§2.4)
        dossier.paused_calendar += at - dossier.paused_at
        dossier.paused_at = None
    dossier.deadline = deadline_resume(deadline=dossier.deadline, at=at)
    _refresh_due(dossier)
    step = dossier.current_step
    if step is not None and step.deadline is not None and step.deadline.state == DeadlineState.PAUSED:
        step.deadline = deadline_resume(deadline=step.deadline, at=at)
        _refresh_step_due(step)
        step.save()


def _stop_clocks(dossier: Dossier, at: datetime) -> None:
    if dossier.deadline is not None and dossier.deadline.state != DeadlineState.STOPPED:
        dossier.deadline = deadline_stop(deadline=dossier.deadline, at=at)
    if dossier.deadline is not None:  # actual time for the time-reduction figures (domain §5)
        cal = calendar_for(dossier.agency.code)
        worked = cal.working_time_between(dossier.deadline.started_at, at).total_seconds()
        seconds = max(0, int(worked) - dossier.deadline.paused_seconds)
        dossier.working_hours_used = (Decimal(seconds) / 3600).quantize(Decimal("0.01"))


def _transition_check(dossier: Dossier, event: Event, user) -> None:
    """State, then conditions, then permission — each refusal says which rule."""
    method = getattr(dossier, event.value)
    if not can_proceed(method, check_conditions=False):
        raise LifecycleError(
            _("Không thể thực hiện “%(event)s” khi hồ sơ %(code)s đang ở trạng thái “%(status)s”.")
            % {"event": event.label, "code": dossier.code, "status": _status_label(dossier.status)}
        )
    transition = method._django_fsm.get_transition(dossier.status)
    for condition in transition.conditions:
        if not condition(dossier):
            raise LifecycleError(str(condition.message))
    if user is not None and not has_transition_perm(method, user):
        raise LifecyclePermissionError(
            _("Bạn không có vai trò phù hợp tại đơn vị đang giữ hồ sơ %(code)s để “%(event)s”.")
            % {"code": dossier.code, "event": event.label}
        )


def _record(
    dossier: Dossier,
    event: Event,
    *,
    at: datetime,
    user,
    actor: str,
    from_status: str,
    note: str = "",
    payload: dict[str, Any] | None = None,
) -> DossierEvent:
    # The dossier's row lock (_locked) serialises its writers, so the last event read here stays the last.
    last_seq, prev_hash = dossier.events.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)
    row = DossierEvent(
        dossier=dossier,
        seq=last_seq + 1,
        event=event,
        at=at,
        actor=user,
        actor_name=_actor_name(user, actor),
        from_status=from_status,
        to_status=dossier.status,
        note=note,
        payload=payload or {},
        prev_hash=prev_hash,
    )
    row.hash = event_hash(row, dossier_code=dossier.code)  # the chain link: see workflows.audit
    row.save(force_insert=True)
    outbox_append(dossier=dossier, event=row)
    return row


def _save(dossier: Dossier) -> None:
    try:
        dossier.save()
    except ConcurrentTransition as exc:
        raise ChangedByOther() from exc


def _locked(dossier: Dossier, expected_revision: int | None) -> Dossier:
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure_version__procedure", "deadline", "current_step__deadline", "agency")
        .get(pk=dossier.pk)
    )
    expected = dossier.revision if expected_revision is None else expected_revision
    if locked.revision != expected:
        raise ChangedByOther()
    if locked.current_step is not None:  # the closed step is announced from the dossier it belongs to
        locked.current_step.dossier = locked
    return locked


def _in_order(dossier: Dossier, at: datetime, event: Event) -> None:
    if dossier.last_event_at is not None and at < dossier.last_event_at:
        raise LifecycleError(
            _(
                "Sự kiện “%(event)s” lúc %(at)s sớm hơn sự kiện trước đó của hồ sơ %(code)s (%(last)s): "
                "các sự kiện của một hồ sơ phải theo thứ tự thời gian."
            )
            % {
                "event": event.label,
                "at": _local(at).strftime("%H:%M %d/%m/%Y"),
                "code": dossier.code,
                "last": _local(dossier.last_event_at).strftime("%H:%M %d/%m/%Y"),
            }
        )


def _finish(
    dossier: Dossier, event: Event, *, at, user, actor, from_status, note="", payload=None
) -> Dossier:
    dossier.last_event_at = at
    _save(dossier)
    _record(
        dossier, event, at=at, user=user, actor=actor, from_status=from_status, note=note, payload=payload
    )
    from workflows.flows import flow_sync  # the flow imports the task views, which import this module

    flow_sync(dossier, user=user)
    _announce(dossier, event, at=at, from_status=from_status)
    return dossier


def _announce(dossier: Dossier, event: Event, *, at: datetime, from_status: str) -> None:
    """Tell listeners (rollups, Prometheus) once the transaction has committed."""
    steps = [
        {
            "unit_code": step.unit.code,
            "role": step.role,
            "started_at": step.started_at,
            "finished_at": step.finished_at,
            "allotted_working_hours": step.allotted_working_hours,
            "working_hours": working_hours_between(dossier, step.started_at, step.finished_at),
            "mark": step.mark,
        }
        for step in getattr(dossier, "_closed_steps", [])
    ]
    dossier._closed_steps = []
    news = {
        "dossier_id": dossier.pk,
        "agency_id": dossier.agency_id,
        "procedure_id": dossier.procedure_version.procedure_id,
        "event": str(event),
        "channel": dossier.channel,
        "at": at,
        "from_status": from_status,
        "to_status": dossier.status,
        "received_at": dossier.received_at,
        "steps": steps,
    }
    dossier_changed.send(
        sender=Dossier,
        dossier_id=dossier.pk,
        agency_id=dossier.agency_id,
        procedure_id=news["procedure_id"],
        since=min(at, dossier.received_at or at),
    )
    transaction.on_commit(lambda: dossier_event_recorded.send(sender=Dossier, **news), robust=True)


def _act(
    dossier: Dossier,
    event: Event,
    *,
    at: datetime | None,
    user,
    actor: str,
    expected_revision: int | None,
    apply,
    note: str = "",
) -> Dossier:
    """Run one event on an existing dossier: lock, order, check, ``apply(locked, at) -> payload``, record."""
    at = _aware(at)
    with transaction.atomic():
        locked = _locked(dossier, expected_revision)
        _in_order(locked, at, event)
        _transition_check(locked, event, user)
        from_status = locked.status
        payload = apply(locked, at) or {}
        return _finish(
            locked, event, at=at, user=user, actor=actor, from_status=from_status, note=note, payload=payload
        )


# --- creating a dossier: submit (online), receive, refuse receipt ------------------------------------


def _new_dossier(
    *,
    procedure: Procedure,
    channel: str,
    at: datetime,
    applicant: Applicant | None,
    code: str | None,
    reception_agency: Agency | None,
    request_summary: str = "",
    copies: int = 1,
    documents: list[str] | tuple[str, ...] = (),
    result_delivery: str = ResultDelivery.DIRECT,
    validate_applicant: bool,
    user=None,
    check_reception: bool = False,
) -> Dossier:
    Channel(channel)
    day = _local(at).date()
    version = version_in_force(procedure, day)
    if version is None:
        raise LifecycleError(
            _("Thủ tục %(code)s không có phiên bản áp dụng ngày %(day)s.")
            % {"code": procedure.code, "day": f"{day:%d/%m/%Y}"}
        )
    if check_reception:
        _reception_check(version, reception_agency, user)
    if applicant is not None and validate_applicant:
        applicant.validate()
    if not 1 <= copies <= COPIES_MAX:
        raise LifecycleError(_("Số lượng hồ sơ phải từ 1 đến %(max)s bộ.") % {"max": COPIES_MAX})
    applicant = applicant or Applicant()
    if code and Dossier.objects.filter(code=code).exists():
        raise LifecycleError(_("Mã hồ sơ %(code)s đã tồn tại.") % {"code": code})
    return Dossier.objects.create(
        code=code or dossier_code_next(agency=procedure.agency, day=day),
        procedure_version=version,
        agency=procedure.agency,
        reception_agency=reception_agency,
        channel=channel,
        legal_regime=_legal_regime(day),
        applicant_kind=applicant.kind,
        applicant_name=applicant.name.strip(),
        applicant_id_number=applicant.id_number.strip(),
        applicant_address=applicant.address,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        request_summary=request_summary,
        copies=copies,
        documents=list(documents),
        result_delivery=result_delivery,
    )


def _desk_check(user, reception_agency: Agency | None) -> None:
    if user is None or user.is_superuser:
        return
    from workflows.policy import desk_agencies

    desks = desk_agencies(user)
    if not desks or (reception_agency is not None and reception_agency not in desks):
        raise LifecyclePermissionError(_("Chỉ cán bộ Bộ phận Một cửa của nơi tiếp nhận mới tiếp nhận hồ sơ."))


def _reception_check(version: ProcedureVersion, reception_agency: Agency | None, user) -> None:
    """Refuse a reception the catalogue does not allow at this desk (Decree 118/2025: a centre receives the
    TTHC of its province and the ministry TTHC delegated to it; ``procedures.selectors.receivable_by``).

    Without a named desk, an officer's own desks are checked (one of them must be allowed); a call with no
    desk and no officer (a partner's submission to the deciding agency, the system) names nothing to check.
    """
    if reception_agency is not None:
        desks = [reception_agency]
    elif user is not None and not user.is_superuser:
        from workflows.policy import desk_agencies

        desks = desk_agencies(user)
    else:
        desks = []
    if desks and not any(receivable_by(version, desk) for desk in desks):
        raise LifecyclePermissionError(
            _(
                "Thủ tục %(code)s không được tiếp nhận tại %(desk)s: chỉ tiếp nhận thủ tục của tỉnh và "
                "thủ tục được phân cấp, ủy quyền cho địa phương."
            )
            % {"code": version.procedure.code, "desk": ", ".join(desk.name for desk in desks)}
        )


@transaction.atomic
def dossier_submit(
    *,
    procedure: Procedure,
    at: datetime | None = None,
    applicant: Applicant | None = None,
    code: str | None = None,
    reception_agency: Agency | None = None,
    user=None,
    actor: str = "",
    validate_applicant: bool = True,
    request_summary: str = "",
) -> Dossier:
    """An online submission awaiting the desk's check (national status 1); no clock yet (domain §1.3)."""
    at = _aware(at)
    dossier = _new_dossier(
        procedure=procedure,
        channel=Channel.ONLINE,
        at=at,
        applicant=applicant,
        code=code,
        reception_agency=reception_agency,
        request_summary=request_summary,
        result_delivery=ResultDelivery.ONLINE,
        validate_applicant=validate_applicant,
        user=user,
        check_reception=True,
    )
    from_status = dossier.status
    dossier.submit(at=at)
    return _finish(dossier, Event.SUBMIT, at=at, user=user, actor=actor, from_status=from_status)


def _statutory_hours(dossier: Dossier, at: datetime) -> Decimal:
    """The statutory term in working hours from this receipt (calendar-day terms measured on the calendar)."""
    version = dossier.procedure_version
    term = version.statutory_term
    if term.unit != Unit.CALENDAR_DAYS:
        return term.max_working_hours()
    cal = calendar_for(dossier.agency.code)
    due = cal.add_working_time(at, term.amount, term.unit, cutoff=_cutoff(version))
    return (Decimal(cal.working_time_between(at, due).total_seconds()) / 3600).quantize(Decimal("0.01"))


def _receive(dossier: Dossier, at: datetime) -> dict[str, Any]:
    version = dossier.procedure_version
    term = version.committed_term
    if dossier.channel == Channel.ONLINE and version.online_term is not None:
        term = version.online_term
    dossier.receive(at=at)
    dossier.deadline = deadline_start(
        subject=f"dossier:{dossier.pk}",
        started_at=at,
        amount=term.amount,
        unit=term.unit,
        cutoff=_cutoff(version),
        agency_code=dossier.agency.code,
        semantics=version.clock_semantics or ClockSemantics.PAUSE,
    )
    _refresh_due(dossier)
    dossier.appointment_at = dossier.due_at
    dossier.statutory_working_hours = _statutory_hours(dossier, at)
    dossier.route = route_for_version(version)
    _open_step(dossier, 0, at)
    return {
        "due_at": dossier.due_at.isoformat(),
        "term": f"{term.amount} {term.unit}",
        "clock_started_at": dossier.deadline.explanation[0]["text"] if dossier.deadline.explanation else "",
    }


@transaction.atomic
def dossier_receive(
    *,
    dossier: Dossier | None = None,
    procedure: Procedure | None = None,
    channel: str = Channel.DIRECT,
    at: datetime | None = None,
    applicant: Applicant | None = None,
    code: str | None = None,
    reception_agency: Agency | None = None,
    request_summary: str = "",
    copies: int = 1,
    documents: list[str] | tuple[str, ...] = (),
    result_delivery: str = ResultDelivery.DIRECT,
    user=None,
    actor: str = "",
    validate_applicant: bool = True,
    expected_revision: int | None = None,
) -> Dossier:
    """Receive a complete, valid dossier (Mẫu 01): assign the code, start the clock, give the appointment.

    ``dossier`` is an online submission being received; without it a new direct/postal dossier is created.
    An online dossier received outside office hours starts its clock at the next opening (domain §1.3).
    """
    at = _aware(at)
    _desk_check(user, reception_agency)
    if dossier is None:
        if procedure is None:
            raise LifecycleError(_("Chọn thủ tục hành chính."))
        dossier = _new_dossier(
            procedure=procedure,
            channel=channel,
            at=at,
            applicant=applicant,
            code=code,
            reception_agency=reception_agency,
            request_summary=request_summary,
            copies=copies,
            documents=documents,
            result_delivery=result_delivery,
            validate_applicant=validate_applicant,
            user=user,
            check_reception=True,
        )
        from_status = dossier.status
        _transition_check(dossier, Event.RECEIVE, None)
        payload = _receive(dossier, at)
        return _finish(
            dossier, Event.RECEIVE, at=at, user=user, actor=actor, from_status=from_status, payload=payload
        )

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        _reception_check(locked.procedure_version, reception_agency or locked.reception_agency, user)
        if reception_agency is not None:
            locked.reception_agency = reception_agency
        if documents:
            locked.documents = list(documents)
        return _receive(locked, at)

    return _act(
        dossier,
        Event.RECEIVE,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
    )


@transaction.atomic
def dossier_refuse_receipt(
    *,
    kind: str,
    reason: str,
    dossier: Dossier | None = None,
    procedure: Procedure | None = None,
    channel: str = Channel.DIRECT,
    at: datetime | None = None,
    applicant: Applicant | None = None,
    code: str | None = None,
    reception_agency: Agency | None = None,
    request_summary: str = "",
    user=None,
    actor: str = "",
    validate_applicant: bool = True,
    expected_revision: int | None = None,
) -> Dossier:
    """Do not receive (Mẫu 02: complete it first; Mẫu 03: not within competence); no clock (domain §1.3)."""
    RefusalKind(kind)
    if not reason.strip():
        raise LifecycleError(_("Ghi rõ lý do không tiếp nhận (Mẫu 02/03 yêu cầu nêu cụ thể)."))
    at = _aware(at)
    _desk_check(user, reception_agency)
    if dossier is None:
        if procedure is None:
            raise LifecycleError(_("Chọn thủ tục hành chính."))
        dossier = _new_dossier(
            procedure=procedure,
            channel=channel,
            at=at,
            applicant=applicant,
            code=code,
            reception_agency=reception_agency,
            request_summary=request_summary,
            validate_applicant=validate_applicant,
        )
        from_status = dossier.status
        dossier.refuse_receipt(at=at, kind=kind, reason=reason)
        return _finish(
            dossier,
            Event.REFUSE_RECEIPT,
            at=at,
            user=user,
            actor=actor,
            from_status=from_status,
            note=reason,
            payload={"kind": kind},
        )

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.refuse_receipt(at=at, kind=kind, reason=reason)
        return {"kind": kind}

    return _act(
        dossier,
        Event.REFUSE_RECEIPT,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


# --- processing -------------------------------------------------------------------------------------------


def dossier_step_done(
    *,
    dossier: Dossier,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    note: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Complete the current step and hand the dossier to the next one (a Phiếu kiểm soát row, §1.10)."""

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        step = locked.current_step
        if step is None:
            raise LifecycleError(
                _("Hồ sơ %(code)s đã qua hết các bước xử lý: hãy ghi nhận kết quả.") % {"code": locked.code}
            )
        locked.step_done()
        _close_step(step, at, user=user, actor=actor, outcome="done", note=note)
        payload = {"step_no": step.step_no, "seq": step.seq, "mark": step.mark}
        if step.route_index + 1 < len(locked.route):
            nxt = _open_step(locked, step.route_index + 1, at)
            payload["next_step_no"] = nxt.step_no
        else:
            locked.current_step = None
        return payload

    return _act(
        dossier,
        Event.STEP_DONE,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=note,
    )


def dossier_return_step(
    *,
    dossier: Dossier,
    reason: str,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Send the dossier back one step with a reason; the previous step gets a fresh allotment."""
    if not reason.strip():
        raise LifecycleError(_("Ghi rõ lý do trả lại bước trước."))

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        step = locked.current_step
        locked.return_step()
        _close_step(step, at, user=user, actor=actor, outcome="returned", note=reason)
        previous = locked.steps.filter(route_index=step.route_index - 1).order_by("-seq").first()
        back = _open_step(
            locked,
            step.route_index - 1,
            at,
            owner=previous.owner if previous else None,
            owner_name=previous.owner_name if previous else "",
        )
        return {"from_step_no": step.step_no, "to_step_no": back.step_no}

    return _act(
        dossier,
        Event.RETURN_STEP,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def dossier_request_supplement(
    *,
    dossier: Dossier,
    reason: str,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Ask for a supplement after reception (Mẫu 02): the clock pauses (domain §2.3 step 4).

    Only one request is allowed (Decree 118: "chỉ được yêu cầu sửa đổi, bổ sung một lần"); a second one is
    recorded, flagged, and makes the dossier late whatever the dates (766 indicator 2.1, domain §2.4).
    """

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.request_supplement()
        _pause_clocks(locked, at, PauseReason.SUPPLEMENT, reason)
        flagged = locked.supplement_count > 1
        return {"supplement_count": locked.supplement_count, "second_request_counted_late": flagged}

    return _act(
        dossier,
        Event.REQUEST_SUPPLEMENT,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def _resume(event: Event, transition: str):
    def run(
        *,
        dossier: Dossier,
        at: datetime | None = None,
        user=None,
        actor: str = "",
        note: str = "",
        expected_revision: int | None = None,
    ) -> Dossier:
        def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
            getattr(locked, transition)()
            _resume_clocks(locked, at)
            return {"due_at": locked.due_at.isoformat()}

        return _act(
            dossier,
            event,
            at=at,
            user=user,
            actor=actor,
            expected_revision=expected_revision,
            apply=apply,
            note=note,
        )

    run.__name__ = f"dossier_{transition}"
    run.__doc__ = "Resume the paused clocks; the appointment moves later by the paused working time (§2.3)."
    return run


dossier_supplement_done = _resume(Event.SUPPLEMENT_DONE, "supplement_done")
dossier_payment_done = _resume(Event.PAYMENT_DONE, "payment_done")


def dossier_request_payment(
    *,
    dossier: Dossier,
    reason: str = "",
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Wait for the applicant's financial obligations (national status 6): the clock pauses."""

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.request_payment()
        _pause_clocks(locked, at, PauseReason.FINANCIAL_OBLIGATION, reason)
        return {}

    return _act(
        dossier,
        Event.REQUEST_PAYMENT,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def _end_processing(locked: Dossier, at: datetime, *, user, actor: str, outcome: str, note: str) -> None:
    step = locked.current_step
    if step is not None:
        _close_step(step, at, user=user, actor=actor, outcome=outcome, note=note)
        locked.current_step = None
    _stop_clocks(locked, at)


def dossier_stop(
    *,
    dossier: Dossier,
    reason: str,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Stop processing at the applicant's request (Mẫu 05, domain §1.8): only before a result exists."""
    if not reason.strip():
        raise LifecycleError(_("Ghi rõ lý do dừng giải quyết (Mẫu 05)."))

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.stop(at=at, reason=reason)
        _end_processing(locked, at, user=user, actor=actor, outcome="stopped", note=reason)
        return {}

    return _act(
        dossier,
        Event.STOP,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def dossier_withdraw(
    *,
    dossier: Dossier,
    reason: str = "",
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """The applicant withdraws before a result exists (national status 7); refused once a result is issued."""

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.withdraw(at=at)
        _end_processing(locked, at, user=user, actor=actor, outcome="withdrawn", note=reason)
        return {}

    return _act(
        dossier,
        Event.WITHDRAW,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def dossier_apologize(
    *,
    dossier: Dossier,
    new_due_at: datetime,
    reason: str,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Apology and new appointment (Mẫu 04, domain §1.7): once, before the due date; late issuance flagged.

    Issued after the close of the working day before the due date it is accepted but flagged
    ``apology_late``; after the due moment itself it is refused. The original due date keeps deciding
    whether the dossier was on time.
    """
    new_due_at = _aware(new_due_at)
    if not reason.strip():
        raise LifecycleError(_("Ghi rõ lý do chậm trả kết quả (Mẫu 04)."))
    if not in_calendar(_local(new_due_at)):
        # Beyond the working calendar no due date can be counted (and 2099 is a typing slip, not a promise).
        raise LifecycleError(outside_calendar_message())

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        if at > locked.due_at:
            raise LifecycleError(
                _(
                    "Phiếu xin lỗi, hẹn lại phải lập trước ngày hẹn trả (%(due)s), chậm nhất 01 ngày "
                    "làm việc "
                    "trước hạn (domain §1.7); hồ sơ %(code)s đã quá hạn."
                )
                % {"due": _local(locked.due_at).strftime("%H:%M %d/%m/%Y"), "code": locked.code}
            )
        if new_due_at <= locked.due_at:
            raise LifecycleError(_("Ngày hẹn lại phải sau ngày hẹn trả ban đầu."))
        latest = apology_latest_at(agency_code=locked.agency.code, due_at=locked.due_at)
        late = at > latest
        locked.apologize(at=at, new_due_at=new_due_at, reason=reason, late=late)
        return {"new_due_at": new_due_at.isoformat(), "latest_at": latest.isoformat(), "late_issuance": late}

    return _act(
        dossier,
        Event.APOLOGIZE,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def deciding_step_check(dossier: Dossier) -> None:
    """Refuse a live decision unless the dossier stands at a deciding step of its route (or past the last).

    Shared by the service and the pages' offer (``workflows.policy.actions_allowed``) so a button is shown
    exactly when the service would accept it.
    """
    step = dossier.current_step
    if step is None:
        return
    allowed = deciding_indices(dossier.route)
    if step.route_index in allowed:
        return
    first = min((i for i in allowed if i > step.route_index), default=max(allowed, default=0))
    entry = dossier.route[first] if dossier.route else {"step_no": "?", "name": ""}
    raise LifecyclePermissionError(
        _(
            "Chỉ người giữ bước quyết định (Bước %(deciding_no)s: %(deciding)s) mới ghi nhận kết quả giải "
            "quyết; hồ sơ %(code)s đang ở Bước %(step_no)s: %(step)s. Hoàn thành bước này để chuyển bước "
            "tiếp theo."
        )
        % {
            "deciding_no": entry["step_no"],
            "deciding": entry["name"][:120],
            "code": dossier.code,
            "step_no": step.step_no,
            "step": step.name[:120],
        }
    )


def dossier_decide(
    *,
    dossier: Dossier,
    outcome: str,
    reason: str = "",
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
    replay: bool = False,
) -> Dossier:
    """Record the result (national status 9): approved, or a refusal with reasons — still a result (§1.5).

    Live, only the holder of a deciding step of the route records the result: the step the catalogue marks
    as deciding, else the last processing step. The approved internal procedure (quy trình nội bộ, e.g.
    Hà Nội 1594/QĐ-TTPVHCC, Hà Tĩnh 2904/QĐ-UBND) names the step whose actor approves the result; whoever
    holds the file at an earlier step does not. Steps after a marked deciding step (issuing, filing) are
    closed with the decision.

    ``replay=True`` is the importer's path only (``dossiers_import``, ``workflows.services.event_log``, run
    by an administrator, ``user=None``): a legacy log without step events completes the steps not yet
    recorded at the decision.
    """
    Decision(outcome)
    if replay and user is not None:
        raise LifecycleError(
            _("Chỉ lệnh nhập nhật ký sự kiện (dossiers_import) được ghi kết quả bỏ qua các bước.")
        )
    if outcome == Decision.REFUSED and not reason.strip() and user is not None:
        raise LifecycleError(_("Văn bản từ chối phải nêu rõ lý do (domain §1.5)."))

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        step = locked.current_step
        if not replay:
            deciding_step_check(locked)
        locked.decide(at=at, outcome=outcome, reason=reason)
        completed = []
        if step is not None:
            _close_step(step, at, user=user, actor=actor, outcome="done")
            completed.append(step.step_no)
            for index in range(step.route_index + 1, len(locked.route)):
                closing = _open_step(locked, index, at)
                _close_step(closing, at, user=None, actor="", outcome="by_decision")
                completed.append(closing.step_no)
            locked.current_step = None
        _stop_clocks(locked, at)
        return {"outcome": outcome, "steps_completed": completed}

    return _act(
        dossier,
        Event.DECIDE,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
        note=reason,
    )


def dossier_return_result(
    *,
    dossier: Dossier,
    via: str = ResultDelivery.DIRECT,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    expected_revision: int | None = None,
) -> Dossier:
    """Hand over the result (national status 10) directly, by post or online (domain §1.9)."""
    ResultDelivery(via)

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.return_result(at=at, via=via)
        return {"via": via}

    return _act(
        dossier,
        Event.RETURN_RESULT,
        at=at,
        user=user,
        actor=actor,
        expected_revision=expected_revision,
        apply=apply,
    )


def working_hours_between(dossier: Dossier, a: datetime, b: datetime) -> Decimal:
    """Working hours between two instants on the dossier's agency calendar (for displays)."""
    cal = calendar_for(dossier.agency.code)
    return Decimal(cal.working_time_between(a, b).total_seconds()) / 3600
