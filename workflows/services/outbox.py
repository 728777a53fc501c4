"""The transactional outbox: every lifecycle event, in the national sync shape, delivered to subscribers.

Legal basis: domain §4.3 — the sync fields the portal spec names (``MaHoSo, MaTTHC, KenhThucHien,
TrangThaiHoSo, NgayNopHoSo, NgayTiepNhan, NgayHenTra, NgayKetThucXuLy, …``) plus the status history with a
timestamp for each state; 766 indicator 1.4 (Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG, domain §4.2).

Writing. ``outbox_append`` runs inside the event's own transaction (called by ``lifecycle._record``): the
event, its outbox row and one pending ``Delivery`` per active subscriber commit together or not at all, so
no event is lost between the database and the broker. After commit it enqueues ``outbox_deliver`` on
Celery (at most one message per ``ENQUEUE_WINDOW_SECONDS``; a broker that is down only delays delivery until
beat's next sweep — it never fails the desk's transaction).

Delivering (``outbox_deliver_due``; Celery ``workflows.tasks.outbox_deliver``, beat, and ``manage.py
outbox_deliver``). At-least-once, **in order per (subscriber, dossier)**: a delivery is eligible only when
no earlier event of the same dossier to the same subscriber is still undelivered (pending *or* dead) — one
``NOT EXISTS`` in SQL. A run goes in rounds: each round claims the eligible due rows (``SELECT … FOR UPDATE
SKIP LOCKED``, several workers may run at once) and *leases* them by moving ``next_attempt_at`` past the
time the round can take, in a short transaction; then it POSTs without holding any lock (one thread per
subscriber, so a slow subscriber does not hold up the others) and records each result in its own small
transaction. The next round picks up the events that the previous round's acknowledgements unblocked, so
a dossier's burst of events leaves in one run. A worker that dies mid-round leaves leases that simply
expire: the rows are retried (a subscriber may then see an event twice — it deduplicates by event id).

Wire format (what a subscriber implements)::

    POST <subscriber url>
    Content-Type: application/json; charset=utf-8
    User-Agent: motcua-outbox/1
    X-Motcua-Event-Id: <outbox event id>           (also "event_id" in the body; the deduplication key)
    X-Motcua-Timestamp: <unix seconds of sending>
    X-Motcua-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

    <body: the payload as compact UTF-8 JSON (ensure_ascii=False, separators "," and ":")>

The signature covers the timestamp so a captured request cannot be replayed later: check it with
:func:`verify_signature` (constant-time compare, optional freshness window). Any 2xx answer acknowledges the
event. Everything else — another status (redirects are not followed), a timeout, a refused connection — is a
failed attempt, retried after ``min(OUTBOX_BACKOFF_MAX_SECONDS, OUTBOX_BACKOFF_BASE_SECONDS × 2^(n−1))``
seconds (n = attempts so far) ± 10 % jitter, so the retries of many rows do not arrive in lockstep. After the
subscriber's ``max_attempts`` (default ``OUTBOX_MAX_ATTEMPTS``) the delivery is *dead*: it and every later
event of its dossier for that subscriber wait for ``manage.py outbox_replay`` (or the admin action "Gửi lại").
We do not treat 4xx or 410 Gone specially (no auto-deactivation): an administrator decides, in the admin,
whether a subscriber is gone. A subscriber that refuses connections or times out ``CIRCUIT_FAILURES`` times in
a row during a run is left alone for the rest of that run (its remaining claimed rows are released
unattempted, counted as ``skipped``), so one dead endpoint costs a run seconds, not ``batch × timeout``.
Deliveries of inactive subscribers stay pending and leave when it is reactivated.

Replaying re-sends events that were already delivered as well: allowed, since subscribers deduplicate by
event id (the order per dossier is kept: a replayed event holds back the later ones until it is through).

766 indicator 1.4 counts dossiers whose events **the national subscriber** (``Subscriber.national``)
acknowledged: the first acknowledgement sets ``Dossier.synced_at`` (a plain UPDATE, not the ``dossier_sync``
fact, which would write a new event and loop back into the outbox) and sends
``workflows.signals.dossier_changed`` in the same transaction, so the rollups recount that dossier's slice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from workflows.choices import CHANNEL_NATIONAL_CODE, NATIONAL_STATUS, DeliveryStatus, DossierStatus
from workflows.models import Delivery, Dossier, DossierEvent, OutboxEvent, Subscriber
from workflows.signals import dossier_changed

logger = logging.getLogger(__name__)

# Domain §4.3 ``DonViTinh``: the unit of ``ThoiGianGiaiQuyet`` — we report working hours (giờ làm việc).
TIME_UNIT = "giờ làm việc"

EVENT_ID_HEADER = "X-Motcua-Event-Id"
TIMESTAMP_HEADER = "X-Motcua-Timestamp"
SIGNATURE_HEADER = "X-Motcua-Signature"
SIGNATURE_PREFIX = "sha256="
USER_AGENT = "motcua-outbox/1"

# A burst of desk events enqueues one delivery task per window; the task runs after the window closes, so
# it sees every event committed inside it (those committed later enqueue the next one).
ENQUEUE_KEY = "workflows:outbox-deliver-queued"
ENQUEUE_WINDOW_SECONDS = 1
# Consecutive transport failures (refused, timeout) after which a subscriber is left alone for the run.
CIRCUIT_FAILURES = 3
# Added to a lease beyond the worst-case time of the round (every claimed row timing out).
LEASE_MARGIN_SECONDS = 60
# At most this many subscribers are called at once (one thread each; no database work in the threads).
MAX_PARALLEL_SUBSCRIBERS = 8
ERROR_CHARS = 500
JITTER = 0.1


# --- the payload (domain §4.3) -------------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return timezone.localtime(at).isoformat(timespec="seconds") if at else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def outbox_payload(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    """The dossier as the national portal wants it after ``event`` (domain §4.3), plus the event itself.

    Dates are ISO 8601 with the Vietnam offset. ``NgayHenTra`` is the appointment printed on Mẫu 01
    (the 766 reference, domain §1.7); an apology's new date travels as ``NgayHenTraMoi``.
    """
    version = dossier.procedure_version
    procedure = version.procedure
    status = NATIONAL_STATUS.get(dossier.status)
    fee = dossier.fee_total_vnd
    return {
        "event_id": event.pk,
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaDonVi": dossier.agency.e_id or dossier.agency.code,
        "KenhThucHien": CHANNEL_NATIONAL_CODE.get(dossier.channel, 1),
        "TrangThaiHoSo": status,
        "NgayNopHoSo": _iso(dossier.submitted_at or dossier.received_at),
        "NgayTiepNhan": _iso(dossier.received_at),
        "NgayHenTra": _iso(dossier.appointment_at or dossier.due_at),
        "NgayHenTraMoi": _iso(dossier.new_due_at),
        "NgayKetThucXuLy": _iso(dossier.finished_at),
        "NgayTraKetQua": _iso(dossier.returned_at),
        "ThoiGianGiaiQuyet": _number(dossier.working_hours_used),
        "DonViTinh": TIME_UNIT,
        "MaKetQua": dossier.e_result_code or None,
        "DuongDanTepTinKetQua": dossier.e_result_url or None,
        "DuocThanhToanTrucTuyen": dossier.paid_online or None,
        "DanhSachPhiLePhi": [] if fee is None else [{"Gia": fee}],
        "HoSoCoThanhPhanSoHoa": int(dossier.digitised_attachments),
        "TaiLieuNop": [
            {
                "DuocSoHoa": int(dossier.digitised_reused),
                "DuocLayTuKhoDMQG": int(dossier.digitised_from_store),
            }
        ],
        "TaiKhoanDuocXacThucVoiVNeID": int(dossier.vneid_verified),
        "SuKien": {
            "Ma": event.event,
            "STT": event.seq,
            "ThoiDiem": _iso(event.at),
            "TuTrangThai": NATIONAL_STATUS.get(event.from_status),
            "SangTrangThai": NATIONAL_STATUS.get(event.to_status),
            "TuTrangThaiNoiBo": event.from_status,
            "SangTrangThaiNoiBo": event.to_status,
        },
    }


# --- writing: in the event's transaction ---------------------------------------------------------------


def outbox_append(*, dossier: Dossier, event: DossierEvent) -> OutboxEvent:
    """Write the event to the outbox and fan it out to the active subscribers — in the caller's transaction.

    A dossier still in the desk's draft never leaves the building: its first real event comes next. With no
    active subscriber nothing is enqueued (a province without webhooks pays one SELECT per event).
    """
    row = OutboxEvent.objects.create(
        dossier=dossier, event=event, seq=event.seq, kind=event.event, payload=outbox_payload(dossier, event)
    )
    if dossier.status == DossierStatus.DRAFT:
        return row
    now = timezone.now()
    subscriber_ids = list(Subscriber.objects.filter(active=True).values_list("pk", flat=True))
    if not subscriber_ids:
        return row
    Delivery.objects.bulk_create(
        Delivery(outbox_event=row, subscriber_id=sid, dossier=dossier, next_attempt_at=now)
        for sid in subscriber_ids
    )
    transaction.on_commit(outbox_deliver_soon, robust=True)
    return row


def outbox_deliver_soon() -> None:
    """Enqueue one delivery task for a burst of committed events; never raise (beat is the safety net).

    ``retry=False``: with the broker down the desk's request must not wait for kombu's publish retries.
    """
    try:
        from django.core.cache import cache

        from workflows.tasks import outbox_deliver  # tasks import services: import here, not at the top

        if cache.add(ENQUEUE_KEY, 1, timeout=ENQUEUE_WINDOW_SECONDS):
            outbox_deliver.apply_async(countdown=ENQUEUE_WINDOW_SECONDS, retry=False)
    except Exception:
        logger.warning("outbox: could not enqueue a delivery run (beat will deliver)", exc_info=True)


# --- the wire format -----------------------------------------------------------------------------------


def payload_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are POSTed and signed: compact UTF-8 JSON, Vietnamese left as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode(
        "utf-8"
    )


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 keyed with ``secret`` over ``"<timestamp>.<body>"``."""
    message = f"{timestamp}.".encode() + _as_bytes(body)
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    signature: str,
    *,
    tolerance_seconds: float | None = None,
    now: float | None = None,
) -> bool:
    """True when ``signature`` (the ``X-Motcua-Signature`` header) signs this timestamp and body.

    For subscribers and tests. Give ``tolerance_seconds`` (e.g. 300) to also refuse a request whose
    timestamp is that far from ``now`` (unix seconds; default the current time): a replayed capture.
    """
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if tolerance_seconds is not None:
        current = time.time() if now is None else now
        if abs(current - stamp) > tolerance_seconds:
            return False
    return hmac.compare_digest(sign(secret, stamp, body), str(signature or ""))


# --- delivering ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """A claimed delivery with what the sending thread needs (no ORM objects cross threads)."""

    delivery_id: int
    outbox_event_id: int
    dossier_id: int
    subscriber_id: int
    url: str
    secret: str
    national: bool
    max_attempts: int
    attempts: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Result:
    job: _Job
    outcome: str  # "ok" | "failed" | "skipped"
    status_code: int | None = None
    error: str = ""
    transport: bool = False  # refused / timeout / TLS…: counts toward the circuit


def _earlier_undelivered() -> Exists:
    """An earlier event of the same dossier to the same subscriber that is not acknowledged yet."""
    return Exists(
        Delivery.objects.filter(
            subscriber_id=OuterRef("subscriber_id"),
            dossier_id=OuterRef("dossier_id"),
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.DEAD),
            outbox_event_id__lt=OuterRef("outbox_event_id"),
        )
    )


def deliveries_due(now: datetime) -> QuerySet[Delivery]:
    """Pending deliveries that may be sent at ``now``: due, subscriber active, first in line for their
    (subscriber, dossier) — all in SQL, oldest event first."""
    return (
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, subscriber__active=True
        )
        .filter(~_earlier_undelivered())
        .order_by("outbox_event_id")
    )


def _timeout() -> float:
    return float(settings.OUTBOX_TIMEOUT_SECONDS)


def _claim(now: datetime, limit: int, exclude_subscribers: set[int]) -> list[_Job]:
    """Lock the due rows (skipping those another worker holds) and lease them for the round's duration."""
    with transaction.atomic():
        rows = list(
            deliveries_due(now)
            .exclude(subscriber_id__in=exclude_subscribers)
            .select_related("subscriber", "outbox_event")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if not rows:
            return []
        per_subscriber: dict[int, int] = defaultdict(int)
        for row in rows:
            per_subscriber[row.subscriber_id] += 1
        # Long enough for the busiest subscriber's rows to time out one after the other, in every wave of
        # MAX_PARALLEL_SUBSCRIBERS threads: an unexpired lease is what keeps a second worker off these rows.
        waves = -(-len(per_subscriber) // MAX_PARALLEL_SUBSCRIBERS)
        worst = _timeout() * max(per_subscriber.values()) * waves
        lease = now + timedelta(seconds=worst + LEASE_MARGIN_SECONDS)
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(next_attempt_at=lease)
    default_max = int(settings.OUTBOX_MAX_ATTEMPTS)
    return [
        _Job(
            delivery_id=row.pk,
            outbox_event_id=row.outbox_event_id,
            dossier_id=row.dossier_id,
            subscriber_id=row.subscriber_id,
            url=row.subscriber.url,
            secret=row.subscriber.secret,
            national=row.subscriber.national,
            max_attempts=row.subscriber.max_attempts or default_max,
            attempts=row.attempts,
            payload=row.outbox_event.payload,
        )
        for row in rows
    ]


def _post(session: requests.Session, job: _Job) -> _Result:
    body = payload_body(job.payload)
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(job.outbox_event_id),
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(job.secret, stamp, body),
    }
    try:
        response = session.post(
            job.url, data=body, headers=headers, timeout=_timeout(), allow_redirects=False
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        return _Result(job, "failed", error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS], transport=True)
    except requests.RequestException as exc:  # a malformed URL and the like: this row fails, the run goes on
        return _Result(job, "failed", error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
    if 200 <= response.status_code < 300:
        return _Result(job, "ok", status_code=response.status_code)
    return _Result(
        job,
        "failed",
        status_code=response.status_code,
        error=f"HTTP {response.status_code}: {response.text[:ERROR_CHARS]}",
    )


def _send_all(jobs: list[_Job]) -> list[_Result]:
    """One subscriber's rows, in order, on one keep-alive session; stop calling a subscriber that is down."""
    results: list[_Result] = []
    down = 0
    with requests.Session() as session:
        for job in jobs:
            if down >= CIRCUIT_FAILURES:
                results.append(_Result(job, "skipped", error="circuit open"))
                continue
            try:
                result = _post(session, job)
            except Exception as exc:  # never lose the other rows' results to one surprise
                logger.exception("outbox: sending event %s failed unexpectedly", job.outbox_event_id)
                result = _Result(job, "failed", error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
            down = down + 1 if result.transport else 0
            results.append(result)
    return results


def _backoff_seconds(attempts: int) -> float:
    """Seconds before try ``attempts + 1``: exponential, capped, ±10 % jitter."""
    base = float(settings.OUTBOX_BACKOFF_BASE_SECONDS)
    cap = float(settings.OUTBOX_BACKOFF_MAX_SECONDS)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


def _mark_synced(job: _Job, at: datetime) -> None:
    """766 1.4: the national portal acknowledged an event of this dossier — first time counts."""
    updated = Dossier.objects.filter(pk=job.dossier_id, synced_at__isnull=True).update(synced_at=at)
    if not updated:
        return
    row = Dossier.objects.values("agency_id", "procedure_version__procedure_id", "received_at").get(
        pk=job.dossier_id
    )
    dossier_changed.send(
        sender=Dossier,
        dossier_id=job.dossier_id,
        agency_id=row["agency_id"],
        procedure_id=row["procedure_version__procedure_id"],
        since=min(at, row["received_at"] or at),
    )


def _record(result: _Result, at: datetime) -> str:
    """Write one result in its own transaction; returns the counter it belongs to."""
    job = result.job
    mine = Delivery.objects.filter(pk=job.delivery_id, status=DeliveryStatus.PENDING)
    with transaction.atomic():
        if result.outcome == "skipped":
            mine.update(next_attempt_at=at)  # release the lease: the next run takes it
            return "skipped"
        attempts = job.attempts + 1
        if result.outcome == "ok":
            done = mine.update(
                status=DeliveryStatus.DELIVERED,
                attempts=attempts,
                delivered_at=at,
                last_status_code=result.status_code,
                last_error="",
            )
            if done and job.national:
                _mark_synced(job, at)
            return "delivered"
        dead = attempts >= job.max_attempts
        mine.update(
            status=DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING,
            attempts=attempts,
            next_attempt_at=at if dead else at + timedelta(seconds=_backoff_seconds(attempts)),
            last_status_code=result.status_code,
            last_error=result.error,
        )
        if dead:
            logger.warning(
                "outbox: event %s to subscriber %s is dead after %s attempts: %s",
                job.outbox_event_id,
                job.subscriber_id,
                attempts,
                result.error,
            )
        return "dead" if dead else "failed"


def outbox_deliver_due(*, limit: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Send every due delivery (at most ``limit`` attempts, default ``OUTBOX_BATCH``); return the counts.

    Safe to run on several workers at once and to run twice (see the module docstring). ``now`` fixes the
    clock for the whole run (tests, the command); by default each round and each result reads the clock.
    """
    limit = int(settings.OUTBOX_BATCH if limit is None else limit)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    started = time.monotonic()
    counts: dict[str, Any] = {"delivered": 0, "failed": 0, "dead": 0, "skipped": 0, "errors": 0, "rounds": 0}
    circuit_open: set[int] = set()
    budget = limit
    while budget > 0:
        jobs = _claim(clock(), budget, circuit_open)
        if not jobs:
            break
        counts["rounds"] += 1
        budget -= len(jobs)
        by_subscriber: dict[int, list[_Job]] = defaultdict(list)
        for job in jobs:
            by_subscriber[job.subscriber_id].append(job)
        workers = min(len(by_subscriber), MAX_PARALLEL_SUBSCRIBERS)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox") as pool:
            futures = [pool.submit(_send_all, group) for group in by_subscriber.values()]
            for future in as_completed(futures):
                try:
                    results = future.result()
                except Exception:  # _send_all isolates rows; this is a last resort — the leases expire
                    counts["errors"] += 1
                    logger.exception("outbox: a sending thread failed")
                    continue
                for result in results:
                    if result.outcome == "skipped":
                        circuit_open.add(result.job.subscriber_id)
                    try:
                        counts[_record(result, clock())] += 1
                    except Exception:  # per-row isolation: the lease expires and the row is retried
                        counts["errors"] += 1
                        logger.exception("outbox: could not record delivery %s", result.job.delivery_id)
    counts["seconds"] = round(time.monotonic() - started, 3)
    return counts


# --- replaying -----------------------------------------------------------------------------------------


REPLAY_STATUSES = {
    "dead": (DeliveryStatus.DEAD,),
    "delivered": (DeliveryStatus.DELIVERED,),
    "all": (DeliveryStatus.DEAD, DeliveryStatus.DELIVERED, DeliveryStatus.PENDING),
}


def _since_moment(since: date | None) -> datetime | None:
    if since is None:
        return None
    return timezone.make_aware(datetime(since.year, since.month, since.day))


def deliveries_reset(*, deliveries: QuerySet[Delivery], now: datetime | None = None) -> int:
    """Send these deliveries again from scratch (pending, 0 attempts, due now); returns how many.

    Used by ``outbox_replay`` and the admin action "Gửi lại". Resetting a delivered row re-sends it (the
    subscriber deduplicates by event id); ``Dossier.synced_at`` keeps its first acknowledgement.
    """
    now = now or timezone.now()
    with transaction.atomic():
        changed = deliveries.update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_status_code=None,
            last_error="",
            delivered_at=None,
        )
    if changed:
        transaction.on_commit(outbox_deliver_soon, robust=True)
    return changed


def _missing_pairs(
    subscribers: Iterable[Subscriber], events: QuerySet[OutboxEvent]
) -> Iterable[tuple[int, int, int]]:
    """(subscriber id, outbox event id, dossier id) of past events that a subscriber never got."""
    for subscriber in subscribers:
        missing = events.filter(
            ~Exists(Delivery.objects.filter(outbox_event_id=OuterRef("pk"), subscriber_id=subscriber.pk))
        )
        for event_id, dossier_id in missing.values_list("pk", "dossier_id").order_by("pk").iterator():
            yield subscriber.pk, event_id, dossier_id


def outbox_replay(
    *,
    subscriber: str | None = None,
    dossier_code: str | None = None,
    since: date | None = None,
    status: str = "dead",
    missing: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> dict[str, int]:
    """Reset matching deliveries to pending and, with ``missing``, create the deliveries a subscriber added
    later never had (every past event, except those recorded while a dossier was still a draft).

    ``since`` is a local date compared with the outbox row's creation (when the event was written here).
    Returns ``{"reset": n, "created": m}``; with ``dry_run`` nothing is written and the counts say what
    would be.
    """
    if status not in REPLAY_STATUSES:
        raise ValueError(f"status must be one of {sorted(REPLAY_STATUSES)}")
    now = now or timezone.now()
    deliveries = Delivery.objects.filter(status__in=REPLAY_STATUSES[status])
    events = OutboxEvent.objects.exclude(event__to_status=DossierStatus.DRAFT)
    subscribers = Subscriber.objects.all() if subscriber else Subscriber.objects.filter(active=True)
    if subscriber:
        subscribers = subscribers.filter(name=subscriber)
        deliveries = deliveries.filter(subscriber__name=subscriber)
    if dossier_code:
        deliveries = deliveries.filter(dossier__code=dossier_code)
        events = events.filter(dossier__code=dossier_code)
    moment = _since_moment(since)
    if moment is not None:
        deliveries = deliveries.filter(outbox_event__created_at__gte=moment)
        events = events.filter(created_at__gte=moment)
    if dry_run:
        created = sum(1 for _ in _missing_pairs(subscribers, events)) if missing else 0
        return {"reset": deliveries.count(), "created": created}
    reset = deliveries_reset(deliveries=deliveries, now=now)
    created = 0
    if missing:
        batch: list[Delivery] = []
        with transaction.atomic():
            for subscriber_id, event_id, dossier_id in _missing_pairs(list(subscribers), events):
                batch.append(
                    Delivery(
                        outbox_event_id=event_id,
                        subscriber_id=subscriber_id,
                        dossier_id=dossier_id,
                        next_attempt_at=now,
                    )
                )
                if len(batch) >= 1000:
                    created += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
                    batch = []
            created += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
            if created:
                transaction.on_commit(outbox_deliver_soon, robust=True)
    return {"reset": reset, "created": created}


def outbox_backlog() -> dict[str, int]:
    """Deliveries by status (for the commands and the admin): what is waiting, what is dead."""
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    for row in Delivery.objects.values("status").annotate(n=Count("pk")).order_by():
        counts[row["status"]] = row["n"]
    return counts


__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "deliveries_due",
    "deliveries_reset",
    "outbox_append",
    "outbox_backlog",
    "outbox_deliver_due",
    "outbox_deliver_soon",
    "outbox_payload",
    "outbox_replay",
    "payload_body",
    "sign",
    "verify_signature",
]
