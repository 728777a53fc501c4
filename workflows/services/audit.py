"""Verifying the hash chains of the dossiers' events (``manage.py audit_verify`` and the daily beat task).

Why: the append-only triggers stop the application and anyone without the owner role; a holder of the owner
role can drop them, change rows and put them back (see :mod:`workflows.audit`). Recomputing the chains is
how such a change is found afterwards — Decree 85/2016/NĐ-CP and TCVN 11930:2017 (level 3) ask that the
integrity of audit records be checked, not only presumed.

One pass, no per-dossier queries: the events are streamed ordered by (dossier, seq) with their dossier's code
and status joined in, so the work is one indexed scan (the unique (dossier, seq) index) whatever the number
of dossiers. For each dossier the *first* broken link is reported; what comes after it cannot be trusted
either, and one line per dossier is what an operator acts on.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.audit import GENESIS, chain_hash
from workflows.models import AuditCheck, Dossier, DossierEvent

logger = logging.getLogger(__name__)

CHUNK = 2000


@dataclass(frozen=True)
class BrokenLink:
    """The first link of one dossier's chain that does not hold."""

    dossier_code: str
    seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        if self.event_id is None:
            return f"{self.dossier_code}: {self.problem}"
        return f"{self.dossier_code}: sự kiện #{self.seq} (id {self.event_id}): {self.problem}"


@dataclass
class ChainReport:
    dossiers: int = 0
    events: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


_FIELDS = (
    "pk",
    "dossier_id",
    "dossier__code",
    "dossier__status",
    "dossier__last_event_at",
    "seq",
    "event",
    "at",
    "actor_id",
    "actor_name",
    "from_status",
    "to_status",
    "note",
    "payload",
    "prev_hash",
    "hash",
)


class _Dossier:
    """The running state of one dossier's chain while its events stream past."""

    def __init__(self, row: dict) -> None:
        self.id, self.code = row["dossier_id"], row["dossier__code"]
        self.status, self.last_event_at = row["dossier__status"], row["dossier__last_event_at"]
        self.expected_seq, self.prev_hash = 1, GENESIS
        self.last: tuple[int, int, str, datetime] | None = None  # (seq, id, to_status, at)
        self.broken: BrokenLink | None = None

    def check(self, row: dict) -> None:
        if self.broken is not None:
            return
        seq, pk = row["seq"], row["pk"]
        problem = None
        if seq != self.expected_seq:
            problem = (
                _("thiếu sự kiện #%(expected)s (đã bị xóa?)") % {"expected": self.expected_seq}
                if seq > self.expected_seq
                else _("số thứ tự lặp lại hoặc lùi (chờ #%(expected)s)") % {"expected": self.expected_seq}
            )
        elif row["prev_hash"] != self.prev_hash:
            problem = _(
                "prev_hash không khớp mã băm của sự kiện trước (#%(prev)s): sự kiện trước đã bị sửa hoặc thay"
            ) % {"prev": seq - 1}
        else:
            computed = chain_hash(
                dossier_id=self.id,
                dossier_code=self.code,
                seq=seq,
                event=row["event"],
                at=row["at"],
                actor_id=row["actor_id"],
                actor_name=row["actor_name"],
                from_status=row["from_status"],
                to_status=row["to_status"],
                note=row["note"],
                payload=row["payload"],
                prev_hash=row["prev_hash"],
            )
            if computed != row["hash"]:
                problem = _("nội dung không khớp mã băm đã lưu: bản ghi đã bị sửa")
        if problem is not None:
            self.broken = BrokenLink(self.code, seq, pk, problem)
            return
        self.expected_seq, self.prev_hash = seq + 1, row["hash"]
        self.last = (seq, pk, row["to_status"], row["at"])

    def finish(self) -> BrokenLink | None:
        """The tail: a deleted last event leaves an intact but shorter chain, so the last event must have left
        the dossier in the status it is in now, at the moment the dossier says its last event happened (every
        service sets ``last_event_at`` with the event). Not caught: a deleted last event that had the same
        status and the same instant as the one before it."""
        if self.broken is not None or self.last is None:
            return self.broken
        seq, pk, to_status, at = self.last
        if self.last_event_at is not None and at != self.last_event_at:
            self.broken = BrokenLink(
                self.code,
                seq,
                pk,
                _(
                    "sự kiện cuối lúc %(at)s nhưng hồ sơ ghi sự kiện cuối lúc %(last)s: "
                    "các sự kiện sau đó đã bị xóa"
                )
                % {"at": at.isoformat(), "last": self.last_event_at.isoformat()},
            )
        elif to_status != self.status:
            self.broken = BrokenLink(
                self.code,
                seq,
                pk,
                _(
                    "sự kiện cuối đưa hồ sơ sang trạng thái “%(to)s” nhưng hồ sơ đang ở trạng thái "
                    "“%(status)s”: các sự kiện sau đó đã bị xóa"
                )
                % {"to": to_status, "status": self.status},
            )
        return self.broken


def audit_chain_verify(*, dossier_code: str | None = None, since: datetime | None = None) -> ChainReport:
    """Verify every dossier's chain (or one dossier's, or those with events since ``since``)."""
    events = DossierEvent.objects.all()
    orphans = Dossier.objects.filter(~Exists(DossierEvent.objects.filter(dossier_id=OuterRef("pk"))))
    if dossier_code:
        events = events.filter(dossier__code=dossier_code)
        orphans = orphans.filter(code=dossier_code)
    if since is not None:
        # recorded_at: when the row was written here (an imported legacy event is recent too); indexed
        recent = DossierEvent.objects.filter(recorded_at__gte=since).values("dossier_id")
        events = events.filter(dossier_id__in=recent)
        orphans = orphans.filter(updated_at__gte=since)
    report = ChainReport()
    current: _Dossier | None = None
    rows = events.order_by("dossier_id", "seq").values(*_FIELDS).iterator(chunk_size=CHUNK)
    for row in rows:
        if current is None or row["dossier_id"] != current.id:
            if current is not None and (link := current.finish()):
                report.broken.append(link)
            current = _Dossier(row)
            report.dossiers += 1
        report.events += 1
        current.check(row)
    if current is not None and (link := current.finish()):
        report.broken.append(link)
    for code in orphans.order_by("code").values_list("code", flat=True):
        report.dossiers += 1
        report.broken.append(BrokenLink(code, None, None, _("hồ sơ không còn sự kiện nào trong nhật ký")))
    return report


def audit_check_run(*, days: int | None = None, now: datetime | None = None) -> AuditCheck:
    """The daily check (beat): the dossiers with events in the last ``days`` (``AUDIT_VERIFY_DAYS``), the
    result stored for the Prometheus collector (``motcua_audit_broken_chains``) and logged as an error."""
    days = int(settings.AUDIT_VERIFY_DAYS if days is None else days)
    since = (now or timezone.now()) - timedelta(days=days)
    report = audit_chain_verify(since=since)
    check = AuditCheck.objects.create(
        since=since,
        dossiers=report.dossiers,
        events=report.events,
        broken=len(report.broken),
        report=[asdict(link) for link in report.broken[:100]],
    )
    for link in report.broken:
        logger.error("audit chain broken: %s", link)
    return check


__all__ = ["BrokenLink", "ChainReport", "audit_chain_verify", "audit_check_run"]
