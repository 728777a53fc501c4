"""Replay of a dossier event log (``manage.py dossiers_import FILE.csv``), all or nothing.

Why: provinces migrating from a legacy one-stop system, and the demo, bring their history as a flat log of
lifecycle events (domain §1.2 states, §1.3–§1.9 transitions). Replaying it through the *same* lifecycle
services as live desk work (:mod:`workflows.services.lifecycle`) means an imported dossier has exactly the
clocks (§2.3), step rows (Phiếu kiểm soát, §1.10), audit events and SLA marks (§2.4) of one handled in the
application — there is no second code path to drift, and every rule the services enforce (order in time,
legal transitions, one apology, no withdrawal after a result…) also guards the import.

File format (README "Nhật ký hồ sơ"): CSV, UTF-8 (a BOM is tolerated), header row
``dossier_code,procedure_code,agency_code,channel,event,at,actor,detail``; one event per row, applied in file
order; ``at`` is ISO-8601 *with* a UTC offset. The whole file runs in one transaction: on the first refused
event nothing of the file is written, and the error names the physical line (header = line 1).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from procedures.models import Agency, Procedure
from workflows.choices import (
    FACT_EVENTS,
    Channel,
    ComplaintKind,
    Decision,
    DigitisedFlag,
    Event,
    OnlinePayment,
    Rating,
    RefusalKind,
    ResultDelivery,
)
from workflows.models import Dossier
from workflows.services.facts import (
    dossier_complaint,
    dossier_complaint_done,
    dossier_digitised,
    dossier_e_result,
    dossier_fee,
    dossier_rate,
    dossier_sync,
    dossier_vneid,
)
from workflows.services.lifecycle import (
    LifecycleError,
    dossier_apologize,
    dossier_decide,
    dossier_payment_done,
    dossier_receive,
    dossier_refuse_receipt,
    dossier_request_payment,
    dossier_request_supplement,
    dossier_return_result,
    dossier_return_step,
    dossier_step_done,
    dossier_stop,
    dossier_submit,
    dossier_supplement_done,
    dossier_withdraw,
)

COLUMNS = ("dossier_code", "procedure_code", "agency_code", "channel", "event", "at", "actor", "detail")
# A reason is mandatory for some events (Mẫu 02/03/05 must state one); a legacy log may not carry it.
DEFAULT_REASON = "Theo nhật ký"
DEFAULT_REFUSAL_REASON = {
    RefusalKind.SUPPLEMENT: "Hồ sơ chưa đầy đủ, hợp lệ (theo nhật ký)",
    RefusalKind.COMPETENCE: "Không thuộc thẩm quyền giải quyết (theo nhật ký)",
}
DEFAULT_APOLOGY_REASON = "Dự kiến trả kết quả chậm so với ngày hẹn (theo nhật ký)"
# Parse errors listed in one report at most; the file is refused anyway.
MAX_ISSUES = 50
_CREATING = (Event.SUBMIT, Event.RECEIVE, Event.REFUSE_RECEIPT)


@dataclass(frozen=True)
class LogRow:
    """One parsed event of the log; ``line`` is the physical line where the CSV record starts."""

    line: int
    dossier_code: str
    procedure_code: str
    agency_code: str
    channel: str
    event: str
    at: datetime
    actor: str
    detail: str


@dataclass(frozen=True)
class LogIssue:
    line: int
    message: str


class EventLogError(Exception):
    """The log was refused; nothing of it was written. ``issues`` are sorted by line."""

    def __init__(self, source: str, issues: list[LogIssue]) -> None:
        self.source = source
        self.issues = sorted(issues, key=lambda i: i.line)[:MAX_ISSUES]
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{self.source} line {i.line}: {i.message}" for i in self.issues)


@dataclass
class ReplaySummary:
    source: str
    rows: int = 0
    dossiers_created: int = 0
    by_event: Counter = field(default_factory=Counter)
    dry_run: bool = False

    def __str__(self) -> str:
        events = ", ".join(f"{name} {count}" for name, count in sorted(self.by_event.items()))
        text = _("%(source)s: %(rows)s dòng, %(created)s hồ sơ mới (%(events)s)") % {
            "source": self.source,
            "rows": self.rows,
            "created": self.dossiers_created,
            "events": events or "-",
        }
        if self.dry_run:
            text += " — " + _("chạy thử, không ghi gì vào cơ sở dữ liệu")
        return text


# --- parsing ----------------------------------------------------------------------------------------------


def parse_aware(value: str) -> datetime:
    """ISO-8601 with an offset; a naive time is refused because the log may come from another zone."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            _("“%(value)s” không phải thời điểm ISO-8601 (ví dụ 2025-04-25T16:30:00+07:00).")
            % {"value": value}
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(
            _("Thời điểm “%(value)s” thiếu múi giờ: ghi kèm độ lệch, ví dụ 2025-04-25T16:30:00+07:00.")
            % {"value": value}
        )
    return at


def _text_of(source: str | Path | bytes | Iterable[str]) -> tuple[str, Iterable[str]]:
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        return str(path), path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    if isinstance(source, bytes):
        return "<log>", source.decode("utf-8-sig").splitlines(keepends=True)
    if isinstance(source, str):
        return "<log>", source.removeprefix("\ufeff").splitlines(keepends=True)
    return "<log>", source


def _parse_row(line: int, cells: list[str]) -> LogRow:
    if len(cells) != len(COLUMNS):
        raise ValueError(
            _("cần %(want)s cột (%(columns)s), có %(got)s.")
            % {"want": len(COLUMNS), "columns": ",".join(COLUMNS), "got": len(cells)}
        )
    values = dict(zip(COLUMNS, (c.strip() for c in cells), strict=True))
    for name in ("dossier_code", "procedure_code", "agency_code", "channel", "event", "at"):
        if not values[name]:
            raise ValueError(_("cột %(column)s để trống.") % {"column": name})
    if values["channel"] not in Channel.values:
        raise ValueError(
            _("kênh “%(value)s” không hợp lệ; dùng một trong: %(allowed)s.")
            % {"value": values["channel"], "allowed": ", ".join(Channel.values)}
        )
    if values["event"] not in Event.values:
        raise ValueError(
            _("sự kiện “%(value)s” không hợp lệ; dùng một trong: %(allowed)s.")
            % {"value": values["event"], "allowed": ", ".join(Event.values)}
        )
    at = parse_aware(values["at"])
    detail = values["detail"]
    if values["event"] == Event.DECIDE and detail not in Decision.values:
        raise ValueError(
            _("sự kiện decide cần detail là một trong: %(allowed)s (có “%(value)s”).")
            % {"allowed": ", ".join(Decision.values), "value": detail}
        )
    if values["event"] == Event.APOLOGIZE:
        if not detail:
            raise ValueError(_("sự kiện apologize cần detail là ngày hẹn trả mới (ISO-8601 có múi giờ)."))
        parse_aware(detail)
    if values["event"] in FACT_EVENTS:
        _fact_detail(values["event"], detail)
    return LogRow(line=line, **{**values, "at": at})


def _parts(detail: str) -> list[str]:
    return [p.strip() for p in detail.replace(",", "|").split("|") if p.strip()]


_PAID = {"online": OnlinePayment.PORTAL, "1": OnlinePayment.PORTAL, "2": OnlinePayment.OTHER, "0": None}


def _fact_detail(event: str, detail: str) -> dict[str, Any]:
    """Parse the ``detail`` of a fact event (README "Nhật ký hồ sơ"); raise ValueError naming the format."""
    if event == Event.E_RESULT:
        parts = detail.replace("|", " ").split()
        if len(parts) != 2:
            raise ValueError(
                _("sự kiện e_result cần detail “MÃ_KẾT_QUẢ URL” (có “%(value)s”).") % {"value": detail}
            )
        return {"code": parts[0], "url": parts[1]}
    if event == Event.DIGITISED:
        flags = _parts(detail)
        if not flags or set(flags) - set(DigitisedFlag.values):
            raise ValueError(
                _("sự kiện digitised cần detail là các cờ %(allowed)s, cách nhau bởi | (có “%(value)s”).")
                % {"allowed": ", ".join(DigitisedFlag.values), "value": detail}
            )
        return {"flags": flags}
    if event == Event.FEE:
        parts = _parts(detail)
        if (
            not parts
            or not parts[0].isdigit()
            or len(parts) > 2
            or (len(parts) == 2 and parts[1] not in _PAID)
        ):
            raise ValueError(
                _("sự kiện fee cần detail “SỐ_TIỀN” hoặc “SỐ_TIỀN|online” (có “%(value)s”).")
                % {"value": detail}
            )
        paid = _PAID[parts[1]] if len(parts) == 2 else None
        return {"amount_vnd": int(parts[0]), "paid_online": paid or OnlinePayment.NO}
    if event in (Event.RATE, Event.COMPLAINT_DONE):
        if (detail or event == Event.RATE) and detail not in Rating.values:
            raise ValueError(
                _("sự kiện %(event)s cần detail là một trong: %(allowed)s (có “%(value)s”).")
                % {"event": event, "allowed": ", ".join(Rating.values), "value": detail}
            )
        return {"rating": detail}
    if event == Event.COMPLAINT:
        parts = _parts(detail)
        kind = parts[0] if parts else ComplaintKind.OTHER
        if kind not in ComplaintKind.values or any(p != "repeated" for p in parts[1:]):
            raise ValueError(
                _("sự kiện complaint cần detail “PHÂN_LOẠI[|repeated]”, phân loại là một trong: %(allowed)s.")
                % {"allowed": ", ".join(ComplaintKind.values)}
            )
        return {"kind": kind, "repeated": "repeated" in parts[1:]}
    return {}


def event_log_read(
    source: str | Path | bytes | Iterable[str],
) -> tuple[str, list[LogRow], list[LogIssue]]:
    """Parse the whole log: (name, good rows, parse issues); every bad line is reported."""
    name, lines = _text_of(source)
    reader = csv.reader(lines)
    issues: list[LogIssue] = []
    rows: list[LogRow] = []
    try:
        header = next(reader)
    except StopIteration:
        return (
            name,
            [],
            [LogIssue(1, _("tệp rỗng: thiếu dòng tiêu đề %(columns)s.") % {"columns": ",".join(COLUMNS)})],
        )
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if tuple(h.strip() for h in header) != COLUMNS:
        return (
            name,
            [],
            [
                LogIssue(
                    1,
                    _("dòng tiêu đề phải là %(want)s (có %(got)s).")
                    % {"want": ",".join(COLUMNS), "got": ",".join(header)},
                )
            ],
        )
    end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(LogIssue(end + 1, _("lỗi CSV: %(error)s") % {"error": exc}))
            break
        start, end = end + 1, reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        try:
            rows.append(_parse_row(start, cells))
        except ValueError as exc:
            issues.append(LogIssue(start, str(exc)))
    return name, rows, issues


# --- replay -----------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Internal: roll the whole file back."""


class _Replayer:
    """Applies rows in order; caches procedures, agencies and dossiers so each is looked up once."""

    def __init__(self, summary: ReplaySummary) -> None:
        self.summary = summary
        self.procedures: dict[str, Procedure | None] = {}
        self.agencies: dict[str, Agency | None] = {}
        self.dossiers: dict[str, Dossier] = {}

    def procedure(self, code: str) -> Procedure:
        if code not in self.procedures:
            self.procedures[code] = Procedure.objects.select_related("agency").filter(code=code).first()
        procedure = self.procedures[code]
        if procedure is None:
            raise LifecycleError(_("Không có thủ tục mã %(code)s trong danh mục.") % {"code": code})
        return procedure

    def agency(self, code: str) -> Agency:
        if code not in self.agencies:
            self.agencies[code] = Agency.objects.filter(code=code).first()
        agency = self.agencies[code]
        if agency is None:
            raise LifecycleError(_("Không có cơ quan mã %(code)s.") % {"code": code})
        return agency

    def existing(self, code: str) -> Dossier | None:
        dossier = self.dossiers.get(code)
        if dossier is None:
            dossier = (
                Dossier.objects.select_related("procedure_version__procedure", "agency")
                .filter(code=code)
                .first()
            )
            if dossier is not None:
                self.dossiers[code] = dossier
        return dossier

    def apply(self, row: LogRow) -> None:
        procedure = self.procedure(row.procedure_code)
        agency = self.agency(row.agency_code)
        if procedure.agency_id != agency.pk:
            raise LifecycleError(
                _(
                    "Cơ quan %(given)s không phải cơ quan giải quyết thủ tục %(procedure)s "
                    "(theo danh mục là %(expected)s)."
                )
                % {"given": agency.code, "procedure": procedure.code, "expected": procedure.agency.code}
            )
        dossier = self.existing(row.dossier_code)
        if dossier is not None:
            self._check_same(dossier, row)
        elif row.event not in _CREATING:
            raise LifecycleError(
                _(
                    "Hồ sơ %(code)s chưa được tạo: dòng đầu tiên của một hồ sơ phải là submit, receive "
                    "hoặc refuse_receipt."
                )
                % {"code": row.dossier_code}
            )
        common: dict[str, Any] = {"at": row.at, "user": None, "actor": row.actor}
        created = dossier is None
        result = self._dispatch(row, dossier, procedure, common)
        self.dossiers[row.dossier_code] = result
        self.summary.by_event[row.event] += 1
        self.summary.dossiers_created += int(created)

    @staticmethod
    def _check_same(dossier: Dossier, row: LogRow) -> None:
        known = dossier.procedure_version.procedure.code
        if known != row.procedure_code:
            raise LifecycleError(
                _("Hồ sơ %(code)s thuộc thủ tục %(known)s, không phải %(given)s.")
                % {"code": dossier.code, "known": known, "given": row.procedure_code}
            )
        if dossier.channel != row.channel:
            raise LifecycleError(
                _("Hồ sơ %(code)s nộp qua kênh %(known)s, không phải %(given)s.")
                % {"code": dossier.code, "known": dossier.channel, "given": row.channel}
            )

    @staticmethod
    def _dispatch(row: LogRow, dossier: Dossier | None, procedure: Procedure, common: dict) -> Dossier:
        event, detail, reason = row.event, row.detail, row.detail or DEFAULT_REASON
        new = {"procedure": procedure, "code": row.dossier_code, "validate_applicant": False}
        if event == Event.SUBMIT:
            if row.channel != Channel.ONLINE:
                raise LifecycleError(
                    _("Sự kiện submit là nộp trực tuyến: kênh phải là online (dòng ghi %(channel)s).")
                    % {"channel": row.channel}
                )
            if dossier is not None:
                raise LifecycleError(_("Mã hồ sơ %(code)s đã tồn tại.") % {"code": row.dossier_code})
            return dossier_submit(**new, **common)
        if event == Event.RECEIVE:
            if dossier is not None:
                return dossier_receive(dossier=dossier, **common)
            return dossier_receive(**new, channel=row.channel, **common)
        if event == Event.REFUSE_RECEIPT:
            kind, _sep, text = detail.partition(":")
            if kind.strip() in RefusalKind.values:
                kind, text = kind.strip(), text.strip()
            else:
                kind, text = RefusalKind.COMPETENCE, detail
            refusal = {"kind": kind, "reason": text or DEFAULT_REFUSAL_REASON[kind]}
            if dossier is not None:
                return dossier_refuse_receipt(dossier=dossier, **refusal, **common)
            return dossier_refuse_receipt(**new, channel=row.channel, **refusal, **common)
        assert dossier is not None
        if event == Event.STEP_DONE:
            return dossier_step_done(dossier=dossier, note=detail, **common)
        if event == Event.RETURN_STEP:
            return dossier_return_step(dossier=dossier, reason=reason, **common)
        if event == Event.REQUEST_SUPPLEMENT:
            return dossier_request_supplement(dossier=dossier, reason=reason, **common)
        if event == Event.SUPPLEMENT_DONE:
            return dossier_supplement_done(dossier=dossier, note=detail, **common)
        if event == Event.REQUEST_PAYMENT:
            return dossier_request_payment(dossier=dossier, reason=detail, **common)
        if event == Event.PAYMENT_DONE:
            return dossier_payment_done(dossier=dossier, note=detail, **common)
        if event == Event.STOP:
            return dossier_stop(dossier=dossier, reason=reason, **common)
        if event == Event.WITHDRAW:
            return dossier_withdraw(dossier=dossier, reason=reason, **common)
        if event == Event.APOLOGIZE:
            return dossier_apologize(
                dossier=dossier, new_due_at=parse_aware(detail), reason=DEFAULT_APOLOGY_REASON, **common
            )
        if event == Event.DECIDE:
            return dossier_decide(dossier=dossier, outcome=detail, replay=True, **common)
        if event in FACT_EVENTS:
            return _dispatch_fact(row, dossier, common)
        if event == Event.RETURN_RESULT:
            via = detail if detail in ResultDelivery.values else ResultDelivery.DIRECT
            return dossier_return_result(dossier=dossier, via=via, **common)
        raise AssertionError(f"unhandled event {event}")  # pragma: no cover - parse checks the name


def _dispatch_fact(row: LogRow, dossier: Dossier, common: dict) -> Dossier:
    facts = _fact_detail(row.event, row.detail)
    if row.event == Event.E_RESULT:
        return dossier_e_result(dossier=dossier, **facts, **common)
    if row.event == Event.DIGITISED:
        return dossier_digitised(dossier=dossier, **facts, **common)
    if row.event == Event.VNEID:
        return dossier_vneid(dossier=dossier, **common)
    if row.event == Event.FEE:
        return dossier_fee(dossier=dossier, **facts, **common)
    if row.event == Event.SYNC:
        return dossier_sync(dossier=dossier, **common)
    if row.event == Event.RATE:
        return dossier_rate(dossier=dossier, rating=facts["rating"], **common)
    if row.event == Event.COMPLAINT:
        return dossier_complaint(dossier=dossier, **facts, **common)
    return dossier_complaint_done(dossier=dossier, feedback=facts["rating"], **common)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def event_log_replay(
    source: str | Path | bytes | Iterable[str],
    *,
    dry_run: bool = False,
    progress: Callable[[Iterable[LogRow]], Iterator[LogRow]] | None = None,
) -> ReplaySummary:
    """Replay a whole log through the lifecycle services in one transaction; return what was done.

    ``source`` is a path, the CSV text, bytes, or an iterable of lines. Raises :class:`EventLogError` (and
    writes nothing) if any line fails to parse or any event is refused: parse errors are listed for the
    whole file, semantic errors up to the first one (later rows would depend on the refused one).
    ``dry_run`` applies everything, then rolls back: it checks a log without importing it.
    ``progress`` wraps the row iterator (the command passes tqdm on a terminal).
    """
    name, rows, issues = event_log_read(source)
    summary = ReplaySummary(source=name, dry_run=dry_run)
    if issues and issues[0].line == 1:  # no usable header: nothing to apply
        raise EventLogError(name, issues)
    first_bad = min((i.line for i in issues), default=None)
    runnable = [r for r in rows if first_bad is None or r.line < first_bad]
    replayer = _Replayer(summary)
    try:
        with transaction.atomic():
            for row in progress(runnable) if progress else runnable:
                try:
                    replayer.apply(row)
                except (LifecycleError, ValidationError, ValueError) as exc:
                    issues.append(LogIssue(row.line, _message(exc)))
                    raise _Refused from exc
                summary.rows += 1
            if issues or dry_run:
                raise _Refused
    except _Refused:
        if issues:
            raise EventLogError(name, issues) from None
    return summary
