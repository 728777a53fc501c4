"""The SLA sweep: warn the people holding a dossier, and their supervisors, when a clock crosses a mark.

Legal basis: domain.md §1.5 (each step of the internal procedure has its own deadline), §1.7 (a dossier
expected to be late must be apologised for at least one working day before the due date — hence the
"sắp đến hạn" warning), §2.4 (in time / due soon / overdue for dossiers in progress).

Marks: a running step at 50 % and 75 % of its allotted working time (``DossierStep.half_at`` /
``three_quarters_at``), a running dossier 24 working hours before its appointment (``due_soon_at``) and
after it (``due_at``). Paused dossiers (supplement, payment) and stopped ones are not warned: their clocks
are not running. The marks of one clock are classified exclusively (half *or* three quarters, due soon
*or* overdue): a sweep that catches up after an outage sends the mark that holds now, not a stale one.

Each crossing — (dossier, step_seq (0 = the dossier's clock), threshold) — is notified once however many
workers run the sweep at once and however often it runs: a run first *claims* its crossings by inserting
their ``SlaNotice`` rows in one ``INSERT … ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``)
stamped with a run token, then re-reads which rows carry its token: those and only those are its to send.
The unique constraint on (dossier, step_seq, threshold) arbitrates, in the database, between workers —
no row is locked while mail is being sent. A send that fails releases its claim, so the next run retries;
a claim left behind by a crashed worker is released after ``SLA_SWEEP_STALE_CLAIM_SECONDS``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from procedures.models import Agency
from workflows.choices import DossierStatus, NoticeThreshold
from workflows.models import Dossier, DossierStep, Membership, SlaNotice
from workflows.roles import Role
from workflows.signals import notification_sent, sla_sweep_finished

logger = logging.getLogger(__name__)

# Clocks run only in these states; supplement / payment pause them and a stopped dossier has none.
RUNNING_STATUSES = (DossierStatus.RECEIVED, DossierStatus.IN_PROCESS)
CLAIM_PREFIX = "claim:"
DOSSIER_CLOCK = 0
# Sent notices get their recipients written back every this many rows: few UPDATEs, and a crash between a
# send and its write-back leaves at most this many claims to be released (and re-sent) as stale.
_FLUSH_EVERY = 100


def _max_per_run() -> int:
    return int(getattr(settings, "SLA_SWEEP_MAX_NOTICES", 2000))


def _stale_claim_seconds() -> float:
    return float(getattr(settings, "SLA_SWEEP_STALE_CLAIM_SECONDS", 1800))


# --- classification (set-based, in SQL) --------------------------------------------------------------


def _notified(threshold: str, *, dossier_ref: str, step_seq) -> Exists:
    return Exists(
        SlaNotice.objects.filter(dossier_id=OuterRef(dossier_ref), step_seq=step_seq, threshold=threshold)
    )


def _step_crossings(now: datetime) -> dict[str, QuerySet]:
    steps = DossierStep.objects.filter(finished_at__isnull=True, dossier__status__in=RUNNING_STATUSES)
    half = steps.filter(half_at__lte=now).filter(
        Q(three_quarters_at__isnull=True) | Q(three_quarters_at__gt=now)
    )
    three = steps.filter(three_quarters_at__lte=now)
    return {
        NoticeThreshold.HALF: half.filter(
            ~_notified(NoticeThreshold.HALF, dossier_ref="dossier_id", step_seq=OuterRef("seq"))
        ).order_by("half_at"),
        NoticeThreshold.THREE_QUARTERS: three.filter(
            ~_notified(NoticeThreshold.THREE_QUARTERS, dossier_ref="dossier_id", step_seq=OuterRef("seq"))
        ).order_by("three_quarters_at"),
    }


def _dossier_crossings(now: datetime) -> dict[str, QuerySet]:
    running = Dossier.objects.filter(status__in=RUNNING_STATUSES)
    return {
        NoticeThreshold.DUE_SOON: running.filter(due_soon_at__lte=now, due_at__gt=now)
        .filter(~_notified(NoticeThreshold.DUE_SOON, dossier_ref="pk", step_seq=DOSSIER_CLOCK))
        .order_by("due_soon_at"),
        NoticeThreshold.OVERDUE: running.filter(due_at__lt=now)
        .filter(~_notified(NoticeThreshold.OVERDUE, dossier_ref="pk", step_seq=DOSSIER_CLOCK))
        .order_by("due_at"),
    }


def sla_crossings_pending(now: datetime, *, limit: int | None = None) -> list[tuple[int, int, str]]:
    """Crossings that happened by ``now`` and are not notified yet: ``(dossier_id, step_seq, threshold)``.

    Four indexed queries returning only ids; never a loop over open dossiers. Oldest crossings first, at most
    ``limit`` (the rest wait for the next run).
    """
    limit = _max_per_run() if limit is None else limit
    found: list[tuple[int, int, str]] = []
    for threshold, qs in _dossier_crossings(now).items():
        rows = qs.values_list("pk", flat=True)[: max(limit - len(found), 0)]
        found.extend((pk, DOSSIER_CLOCK, threshold) for pk in rows)
    for threshold, qs in _step_crossings(now).items():
        rows = qs.values_list("dossier_id", "seq")[: max(limit - len(found), 0)]
        found.extend((dossier_id, seq, threshold) for dossier_id, seq in rows)
    return found


# --- claiming ------------------------------------------------------------------------------------------


def _claim(crossings: list[tuple[int, int, str]]) -> list[SlaNotice]:
    """Insert the notice rows; return the ones this run inserted (see the module docstring)."""
    if not crossings:
        return []
    token = f"{CLAIM_PREFIX}{uuid.uuid4().hex}"
    SlaNotice.objects.bulk_create(
        [SlaNotice(dossier_id=d, step_seq=s, threshold=t, recipients=token) for d, s, t in crossings],
        ignore_conflicts=True,
        batch_size=500,
    )
    return list(SlaNotice.objects.filter(recipients=token))


def _release_stale_claims() -> int:
    """A worker that died between claim and send leaves a claim row: free it for the next run."""
    before = timezone.now() - timedelta(seconds=_stale_claim_seconds())
    deleted, _detail = SlaNotice.objects.filter(
        recipients__startswith=CLAIM_PREFIX, sent_at__lt=before
    ).delete()
    if deleted:
        logger.warning("sla sweep: released %d stale notice claim(s)", deleted)
    return deleted


# --- recipients ----------------------------------------------------------------------------------------


class _Recipients:
    """Who is told, resolved with a handful of queries per run (memberships and agency chains cached)."""

    def __init__(self) -> None:
        self._emails: dict[tuple[int, str], list[str]] = {}
        for agency_id, role, email in Membership.objects.filter(user__is_active=True).values_list(
            "agency_id", "role", "user__email"
        ):
            if email:
                self._emails.setdefault((agency_id, role), []).append(email)
        self._chains: dict[int, list[int]] = {}

    def _chain(self, agency: Agency) -> list[int]:
        """The agency and its ancestors, nearest first."""
        if agency.pk not in self._chains:
            self._chains[agency.pk] = [a.pk for a in reversed(agency.ancestors())]
        return self._chains[agency.pk]

    def _members(self, agency: Agency, role: str) -> list[str]:
        """People holding ``role`` at the agency, else at the nearest ancestor where someone holds it (a
        membership covers the units below it, as in :mod:`workflows.policy`)."""
        for agency_id in self._chain(agency):
            emails = self._emails.get((agency_id, role))
            if emails:
                return emails
        return []

    def assignees(self, step: DossierStep | None) -> list[str]:
        if step is None:
            return []
        if step.owner_id is not None:
            return [step.owner.email] if step.owner.email else []
        return self._members(step.unit, step.role)

    def supervisors(self, dossier: Dossier) -> list[str]:
        emails: list[str] = []
        for agency_id in self._chain(dossier.agency):
            emails.extend(self._emails.get((agency_id, Role.SUPERVISOR), []))
        return emails


# --- the message -----------------------------------------------------------------------------------------


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else "—"


_SUBJECTS = {
    NoticeThreshold.HALF: lambda: _("[Một cửa] Hồ sơ %(code)s: bước %(step)s đã dùng 50%% thời gian"),
    NoticeThreshold.THREE_QUARTERS: lambda: _(
        "[Một cửa] Hồ sơ %(code)s: bước %(step)s đã dùng 75%% thời gian"
    ),
    NoticeThreshold.DUE_SOON: lambda: _("[Một cửa] Hồ sơ %(code)s sắp đến hạn trả kết quả"),
    NoticeThreshold.OVERDUE: lambda: _("[Một cửa] Hồ sơ %(code)s đã quá hạn trả kết quả"),
}


def _message(notice: SlaNotice, dossier: Dossier, step: DossierStep | None) -> tuple[str, str]:
    """The notice names the dossier by code, never its applicant: a mailbox is outside the personal-data
    access log (Decree 13/2023/NĐ-CP), so the applicant is read on the dossier page, which logs it."""
    procedure = dossier.procedure_version.procedure
    step_label = f"B{step.step_no}" if step is not None else "—"
    subject = _SUBJECTS[notice.threshold]() % {"code": dossier.code, "step": step_label}
    lines = [
        _("Mốc thời hạn: %(label)s.") % {"label": NoticeThreshold(notice.threshold).label},
        "",
        _("Mã hồ sơ: %(code)s") % {"code": dossier.code},
        _("Thủ tục: %(code)s – %(name)s") % {"code": procedure.code, "name": procedure.name},
        _("Cơ quan giải quyết: %(agency)s") % {"agency": dossier.agency.name},
        _("Tiếp nhận: %(at)s") % {"at": _fmt(dossier.received_at)},
    ]
    if step is not None:
        lines += [
            _("Bước đang xử lý: B%(no)s – %(name)s (%(unit)s)")
            % {"no": step.step_no, "name": step.name, "unit": step.unit.name},
            _("Người xử lý: %(owner)s")
            % {"owner": step.owner_name or (step.owner and step.owner.get_username()) or _("chưa phân công")},
            _("Hạn của bước: %(at)s") % {"at": _fmt(step.due_at)},
        ]
    lines.append(_("Hẹn trả kết quả: %(at)s") % {"at": _fmt(dossier.due_at)})
    if dossier.new_due_at:
        lines.append(_("Ngày hẹn lại (Mẫu 04): %(at)s") % {"at": _fmt(dossier.new_due_at)})
    if notice.threshold == NoticeThreshold.DUE_SOON and not dossier.apology_at:
        lines += [
            "",
            _(
                "Nếu hồ sơ có thể trễ hạn, cơ quan giải quyết phải gửi văn bản xin lỗi và hẹn lại ngày trả "
                "kết quả chậm nhất 01 ngày làm việc trước hạn (Mẫu 04)."
            ),
        ]
    lines += ["", _("Xem hồ sơ: /ho-so/%(code)s/") % {"code": dossier.code}]
    return subject, "\n".join(lines)


def _unique(emails: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    skip = set(exclude)
    out: list[str] = []
    for email in emails:
        if email not in skip and email not in out:
            out.append(email)
    return out


# --- the sweep -------------------------------------------------------------------------------------------


def _send_claimed(claimed: list[SlaNotice], counts: dict[str, Any]) -> None:
    dossier_ids = {n.dossier_id for n in claimed}
    dossiers = Dossier.objects.select_related(
        "procedure_version__procedure",
        "agency",
        "current_step__unit",
        "current_step__owner",
    ).in_bulk(dossier_ids)
    step_keys = {(n.dossier_id, n.step_seq) for n in claimed if n.step_seq != DOSSIER_CLOCK}
    steps = {
        (s.dossier_id, s.seq): s
        for s in DossierStep.objects.select_related("unit", "owner").filter(
            dossier_id__in={d for d, _s in step_keys}, seq__in={s for _d, s in step_keys}
        )
    }
    recipients = _Recipients()
    connection = get_connection(fail_silently=False)
    done: dict[str, list[int]] = {}  # recipients written back in batches: one UPDATE per address list
    released: list[int] = []

    def flush() -> None:
        for value, pks in done.items():
            SlaNotice.objects.filter(pk__in=pks).update(recipients=value)
        if released:
            SlaNotice.objects.filter(pk__in=released).delete()
        done.clear()
        released.clear()

    for index, notice in enumerate(claimed, start=1):
        try:
            dossier = dossiers[notice.dossier_id]
            if notice.step_seq == DOSSIER_CLOCK:
                step = (
                    dossier.current_step
                    if dossier.current_step and not dossier.current_step.finished_at
                    else None
                )
            else:
                step = steps[(notice.dossier_id, notice.step_seq)]
            to = _unique(recipients.assignees(step))
            cc = _unique(recipients.supervisors(dossier), exclude=to)
            if not to:
                to, cc = cc, []
            if to:
                subject, body = _message(notice, dossier, step)
                EmailMessage(
                    subject, body, settings.DEFAULT_FROM_EMAIL, to=to, cc=cc, connection=connection
                ).send()
                notification_sent.send(sender=None, kind=notice.threshold, ok=True)
                counts["notified"] += 1
                counts["by_threshold"][notice.threshold] += 1
            else:
                counts["no_recipient"] += 1
                logger.warning(
                    "sla sweep: nobody to tell about %s %s (step %s)",
                    dossier.code,
                    notice.threshold,
                    notice.step_seq,
                )
            done.setdefault(", ".join([*to, *cc]), []).append(notice.pk)
        except Exception:  # one broken row or mail server hiccup must not stop the sweep
            counts["failed"] += 1
            notification_sent.send(sender=None, kind=notice.threshold, ok=False)
            logger.exception(
                "sla sweep: notice %s/%s/%s failed; claim released for the next run",
                notice.dossier_id,
                notice.step_seq,
                notice.threshold,
            )
            released.append(notice.pk)
        if index % _FLUSH_EVERY == 0:
            flush()
    flush()
    try:
        connection.close()
    except Exception:  # closing a broken SMTP session is not worth a failed sweep
        logger.debug("sla sweep: closing the mail connection failed", exc_info=True)


def _fire_viewflow_timers() -> int | None:
    """Architecture decision 4: viewflow 2.4's due timers are fired from our own periodic run."""
    from viewflow.workflow.timers import fire_due_timers

    try:
        return fire_due_timers()
    except Exception:
        logger.exception("sla sweep: firing viewflow timers failed")
        return None


def sla_sweep_run(*, now: datetime | None = None, fire_timers: bool = True) -> dict[str, Any]:
    """One sweep: classify pending crossings in SQL, claim them, mail the claimed ones, fire viewflow timers.

    Safe to run twice and on several workers at once (module docstring). Returns the counts.
    """
    started = time.monotonic()
    now = now or timezone.now()
    counts: dict[str, Any] = {
        "notified": 0,
        "by_threshold": {t.value: 0 for t in NoticeThreshold},
        "candidates": 0,
        "claimed": 0,
        "no_recipient": 0,
        "failed": 0,
    }
    _release_stale_claims()
    crossings = sla_crossings_pending(now)
    counts["candidates"] = len(crossings)
    claimed = _claim(crossings)
    counts["claimed"] = len(claimed)
    if claimed:
        with translation.override(settings.LANGUAGE_CODE):
            _send_claimed(claimed, counts)
    counts["timers_fired"] = _fire_viewflow_timers() if fire_timers else None
    counts["seconds"] = round(time.monotonic() - started, 3)
    logger.info(
        "sla sweep at %s: %d candidate(s), %d claimed, %d notified %s, %d without recipient, %d failed, "
        "%s viewflow timer(s) fired, %.3fs",
        now.isoformat(),
        counts["candidates"],
        counts["claimed"],
        counts["notified"],
        counts["by_threshold"],
        counts["no_recipient"],
        counts["failed"],
        counts["timers_fired"],
        counts["seconds"],
    )
    sla_sweep_finished.send(sender=None, seconds=counts["seconds"], ok=True, counts=counts)
    return counts


__all__ = ["RUNNING_STATUSES", "sla_crossings_pending", "sla_sweep_run"]
