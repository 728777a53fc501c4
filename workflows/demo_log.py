"""A synthetic event log for the demo province: a few hundred dossiers in every state of domain §1.2.

Why a log and not rows: the demo then goes through ``dossiers_import`` — the same lifecycle services as the
desk — so demo dossiers have real clocks, step rows, SLA marks and audit trails, and the generator cannot
produce a state the rules forbid (the replay would refuse it).

Pure Python apart from its inputs: the procedures (as :class:`DemoProcedure`), a working calendar
(:class:`sla.calendar.WorkingCalendar`, for office-hour timestamps and due moments), ``now`` and a seed. The
same inputs give the same log. Each dossier is given a fate (returned, decided, open, due soon, overdue, not
received, withdrawn, stopped, submitted only), its events are laid out on the calendar, and whatever would
happen after ``now`` is cut off — every prefix of a legal sequence is legal, so recent dossiers are simply
still open.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sla.calendar import WorkingCalendar
from workflows.services.event_log import COLUMNS

# Demo dossier codes: ``<agency e-ID>-YYMMDD-99NNNN`` — "99" sits where TT 04/2025 puts the two system digits
# (domain §7), so demo codes never collide with desk codes and can be recognised (idempotent demo load).
DEMO_SYSTEM_DIGITS = "99"
DEMO_CODE_REGEX = r"-[0-9]{6}-99[0-9]{4}$"

DESK = "Nguyễn Thị Một Cửa"
SPECIALIST = "Trần Văn Chuyên"
HEAD = "Lê Thị Trưởng Phòng"
DIRECTOR = "Phạm Văn Giám Đốc"
APPLICANTS = ["Nguyễn Văn An", "Trần Thị Bình", "Công ty TNHH Sao Mai", "Lê Văn Cường", "Phạm Thị Dung"]

# Fates and their weights (out of 100): history-like mix, with enough open dossiers to fill the inboxes.
FATES: list[tuple[str, int]] = [
    ("returned", 38),
    ("decided", 10),
    ("open", 22),
    ("due_soon", 5),
    ("overdue", 6),
    ("not_received", 6),
    ("withdrawn", 4),
    ("stopped", 4),
    ("submitted", 5),
]
SUPPLEMENT_REASONS = [
    "Thiếu bản sao quyết định thành lập",
    "Bản thuyết minh chưa đủ nội dung theo mẫu",
    "Thiếu xác nhận của cơ quan chủ quản",
]
REFUSALS = [
    "supplement: Thiếu đơn đề nghị theo mẫu",
    "supplement: Giấy tờ chứng thực đã hết hạn",
    "competence: Không thuộc thẩm quyền giải quyết của tỉnh",
]


@dataclass(frozen=True)
class DemoProcedure:
    """What the generator needs of a procedure: its codes, channels, routed steps and term."""

    code: str
    agency_code: str
    agency_e_id: str
    online: bool
    steps: int
    term_amount: Decimal
    term_unit: str
    cutoff: str


@dataclass(frozen=True)
class LogLine:
    dossier_code: str
    procedure_code: str
    agency_code: str
    channel: str
    event: str
    at: datetime
    actor: str
    detail: str = ""

    def cells(self) -> list[str]:
        return [
            self.dossier_code,
            self.procedure_code,
            self.agency_code,
            self.channel,
            self.event,
            self.at.isoformat(),
            self.actor,
            self.detail,
        ]


DEMO_RESULT_URL = "https://ketqua.demo.motcua.local"


class _Life:
    """The events of one dossier, laid out on the calendar in time order."""

    def __init__(self, gen: _Generator, proc: DemoProcedure, channel: str, fate: str) -> None:
        self.proc, self.channel, self.fate = proc, channel, fate
        self.cal = gen.cal
        self.events: list[tuple[datetime, str, str, str]] = []

    def add(self, at: datetime, event: str, actor: str, detail: str = "") -> None:
        self.events.append((at, event, actor, detail))

    def advance(self, t: datetime, hours: float) -> datetime:
        """``hours`` of office time after ``t``, on the minute (events happen in office hours)."""
        minutes = max(0, round(hours * 60))
        return self.cal.add_working_time(t, minutes / 60, "working_hours", cutoff="none")

    def due(self, receipt: datetime) -> datetime:
        return self.cal.add_working_time(
            receipt, self.proc.term_amount, self.proc.term_unit, cutoff=self.proc.cutoff
        )

    def hours(self, a: datetime, b: datetime) -> float:
        return max(0.0, self.cal.working_time_between(a, b).total_seconds() / 3600)


class _Generator:
    def __init__(self, procedures: Sequence[DemoProcedure], cal: WorkingCalendar, now: datetime, seed: int):
        self.procs = list(procedures)
        self.online_procs = [p for p in self.procs if p.online]
        self.cal = cal
        self.now = now.astimezone(cal.tz).replace(second=0, microsecond=0)
        self.rng = random.Random(seed)

    # --- picking -------------------------------------------------------------------------------------

    def office_time(self, day_offset_max: int, day_offset_min: int = 1) -> datetime:
        """A random office-hour instant on a working day ``day_offset_min..max`` days before now."""
        rng = self.rng
        day = (self.now - timedelta(days=rng.randint(day_offset_min, day_offset_max))).date()
        opening = self.cal.next_opening(datetime.combine(day, datetime.min.time(), tzinfo=self.cal.tz))
        minutes = rng.randrange(0, 8 * 60, 5)
        return self.cal.add_working_time(opening, minutes / 60, "working_hours", cutoff="none")

    def channel_for(self, proc: DemoProcedure) -> str:
        if proc.online and self.rng.random() < 0.65:
            return "online"
        return "postal" if self.rng.random() < 0.12 else "direct"

    # --- one dossier ---------------------------------------------------------------------------------

    def life(self, n: int) -> _Life:
        rng = self.rng
        fate = rng.choices([f for f, _w in FATES], weights=[w for _f, w in FATES])[0]
        if fate == "submitted" and self.online_procs:
            proc = rng.choice(self.online_procs)
        else:  # procedures offered online are the busy ones: about half the dossiers come online
            proc = rng.choices(self.procs, weights=[3 if p.online else 1 for p in self.procs])[0]
        life = _Life(self, proc, "online" if fate == "submitted" else self.channel_for(proc), fate)
        if fate == "submitted":
            at = self.now - timedelta(minutes=rng.randrange(30, 36 * 60, 5))
            life.add(at, "submit", rng.choice(APPLICANTS))
            return life
        receipt = self.receipt(life, fate)
        if fate == "not_received":
            self.reception(life, receipt, refuse=True)
            return life
        receipt = self.reception(life, receipt)
        self.processing(life, receipt, fate)
        return life

    def receipt(self, life: _Life, fate: str) -> datetime:
        """When the complete dossier is received: spread over ~90 days, or placed relative to its due date."""
        rng = self.rng
        if fate not in ("open", "due_soon", "overdue"):
            return self.office_time(90, 2)
        span = life.hours(self.now, life.due(self.now)) or 4.0  # the term in office hours, received now
        if fate == "open":
            back = span * rng.uniform(0.05, 0.9)
        elif fate == "due_soon":
            back = max(0.5, span - rng.uniform(2, 20))
        else:  # overdue: the appointment passed 4–80 office hours ago
            back = span + rng.uniform(4, 80)
        back = min(back, 60 * 8)
        return self.cal.subtract_working_time(self.now, round(back * 12) / 12).replace(
            second=0, microsecond=0
        )

    def reception(self, life: _Life, receipt: datetime, *, refuse: bool = False) -> datetime:
        rng = self.rng
        if life.channel == "online":
            # Submitted online, sometimes in the evening or at the weekend; the desk checks it the same or the
            # next working period (domain §1.3: the clock starts at the next opening).
            submitted = receipt - timedelta(minutes=rng.randrange(20, 14 * 60, 5))
            life.add(submitted, "submit", rng.choice(APPLICANTS))
            receipt = max(receipt, submitted)
        if refuse:
            life.add(receipt, "refuse_receipt", DESK, rng.choice(REFUSALS))
        else:
            life.add(receipt, "receive", DESK)
        return receipt

    def processing(self, life: _Life, receipt: datetime, fate: str) -> None:
        rng = self.rng
        proc = life.proc
        due0 = life.due(receipt)
        span = life.hours(receipt, due0) or 2.0
        finished = fate in ("returned", "decided")
        if finished:
            kind = rng.random()
            share = rng.uniform(0.2, 0.85) if kind < 0.6 else rng.uniform(0.9, 1.0) if kind < 0.85 else None
            share = share if share is not None else rng.uniform(1.05, 1.6)
        else:
            share = rng.uniform(1.1, 1.8)
        late = share > 1.0
        legacy = rng.random() < 0.1  # a legacy-style log: no step events, the decision closes every step
        supplements = 0
        if fate not in ("withdrawn", "stopped") and rng.random() < 0.2:
            supplements = 2 if rng.random() < 0.15 else 1
        payment = fate not in ("withdrawn", "stopped") and rng.random() < 0.08
        self.intake_facts(life, receipt)
        parts = max(1, proc.steps)
        t = receipt
        last_step = parts - 1  # the decision closes the last step
        stop_after = rng.randint(0, last_step) if fate in ("withdrawn", "stopped") else None
        apology = late and not (supplements or payment or stop_after is not None) and rng.random() < 0.5
        supplement_at = {rng.randint(0, last_step) for _ in range(supplements)}
        pending_supplements = supplements
        for i in range(parts):
            if stop_after is not None and i == stop_after:
                t = life.advance(t, span * share / parts * rng.uniform(0.2, 1.0))
                if fate == "withdrawn":
                    life.add(t, "withdraw", DESK, "Tổ chức, cá nhân xin rút hồ sơ")
                else:
                    life.add(t, "stop", DESK, "Theo đề nghị dừng giải quyết của tổ chức, cá nhân")
                return
            while pending_supplements and (i in supplement_at or i == last_step):
                t = life.advance(t, span * share / parts * rng.uniform(0.1, 0.5))
                life.add(t, "request_supplement", SPECIALIST, rng.choice(SUPPLEMENT_REASONS))
                t = life.advance(t, rng.uniform(6, 60))
                life.add(t, "supplement_done", DESK)
                pending_supplements -= 1
                supplement_at.discard(i)
            t = life.advance(t, span * share / parts)
            if i < last_step and not legacy:
                life.add(t, "step_done", HEAD if i == 0 else SPECIALIST)
                if i == 0 and parts > 2 and rng.random() < 0.1:
                    t = life.advance(t, rng.uniform(1, 6))
                    life.add(t, "return_step", SPECIALIST, "Đề nghị phân công lại chuyên viên")
                    t = life.advance(t, rng.uniform(1, 4))
                    life.add(t, "step_done", HEAD)
        if payment:
            life.add(t, "request_payment", SPECIALIST, "Nộp lệ phí theo thông báo")
            t = life.advance(t, rng.uniform(2, 24))
            life.add(t, "payment_done", DESK)
            t = life.advance(t, rng.uniform(0.5, 4))
        if apology:
            self.apologize(life, receipt, due0)
        if not finished:
            return  # open: the decision lies after now (cut below) or never comes in the demo
        decision = "refused" if rng.random() < 0.08 else "approved"
        life.add(t, "decide", DIRECTOR, decision)
        if rng.random() < 0.7:
            number = rng.randint(100000, 999999)
            life.add(life.advance(t, 0.2), "e_result", DIRECTOR, f"KQ{number} {DEMO_RESULT_URL}/{number}.pdf")
        if fate == "returned":
            t = life.advance(t, rng.uniform(0.5, 24))
            via = {"online": "online", "postal": "postal"}.get(life.channel, "direct")
            life.add(t, "return_result", DESK, via)
        self.feedback_facts(life, life.advance(t, 1))

    def intake_facts(self, life: _Life, receipt: datetime) -> None:
        """Facts of the indicators (issue 4): sync, VNeID, digitised components, fees and online payment."""
        rng = self.rng
        t = life.advance(receipt, 0.1)
        if rng.random() < 0.9:
            life.add(t, "sync", DESK)
        if life.channel == "online" and rng.random() < 0.8:
            life.add(t, "vneid", DESK)
        flags = [
            flag
            for flag, share in (("attachments", 0.7 if life.channel == "online" else 0.4), ("reused", 0.3))
            if rng.random() < share
        ]
        if flags:
            life.add(t, "digitised", DESK, "|".join(flags))
        if rng.random() < 0.35:
            online = life.channel == "online" and rng.random() < 0.6
            life.add(t, "fee", DESK, "50000|online" if online else rng.choice(["50000", "0"]))

    def feedback_facts(self, life: _Life, t: datetime) -> None:
        """The citizen's rating, and now and then a complaint (PAKN) handled or still open."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            life.add(t, "rate", DESK, "like")
        elif roll < 0.5:
            life.add(t, "rate", DESK, "dislike")
        if rng.random() < 0.04:
            life.add(t, "complaint", DESK, rng.choice(["staff", "regulation", "other"]))
            if rng.random() < 0.8:
                life.add(
                    life.advance(t, rng.uniform(4, 140)),
                    "complaint_done",
                    DESK,
                    rng.choice(["like", "dislike", ""]),
                )

    def apologize(self, life: _Life, receipt: datetime, due0: datetime) -> None:
        """Mẫu 04 before the due date (domain §1.7), sometimes on the due day itself (flagged late)."""
        rng, cal = self.rng, self.cal
        latest = cal.close_of(cal.previous_working_day(due0.astimezone(cal.tz).date()))
        if rng.random() < 0.8 and life.hours(receipt, latest) > 2:
            at = life.advance(receipt, life.hours(receipt, latest) * rng.uniform(0.5, 0.95))
        elif life.hours(receipt, due0) > 2:
            at = life.advance(receipt, life.hours(receipt, due0) - rng.uniform(0.5, 1.5))
        else:
            return
        new_due = cal.add_working_time(due0, rng.choice([16, 24, 40]), "working_hours", cutoff="none")
        life.add(at, "apologize", HEAD, new_due.isoformat())

    # --- all ------------------------------------------------------------------------------------------

    def lines(self, count: int) -> list[LogLine]:
        out: list[tuple[datetime, int, int, LogLine]] = []
        for n in range(1, count + 1):
            life = self.life(n)
            events = sorted(
                (e for e in life.events if e[0] <= self.now), key=lambda e: e[0]
            )  # stable: same-time events keep their order
            if not events:
                continue
            first = events[0][0].astimezone(self.cal.tz)
            prefix = life.proc.agency_e_id or life.proc.agency_code
            code = f"{prefix}-{first:%y%m%d}-{DEMO_SYSTEM_DIGITS}{n:04d}"
            for k, (at, event, actor, detail) in enumerate(events):
                line = LogLine(
                    code, life.proc.code, life.proc.agency_code, life.channel, event, at, actor, detail
                )
                out.append((at, n, k, line))
        out.sort(key=lambda item: item[:3])
        return [item[3] for item in out]


def demo_log_lines(
    procedures: Sequence[DemoProcedure],
    *,
    calendar: WorkingCalendar,
    now: datetime,
    seed: int = 2025,
    count: int = 300,
) -> list[LogLine]:
    """The demo log's events in time order; the same inputs give the same lines."""
    if not procedures:
        return []
    return _Generator(procedures, calendar, now, seed).lines(count)


def demo_log_csv(lines: Sequence[LogLine]) -> str:
    """The ``dossiers_import`` CSV text of ``lines`` (header row first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(line.cells())
    return buffer.getvalue()
