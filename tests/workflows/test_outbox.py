"""The status-sync outbox (issue 5): written with the event, delivered by signed webhook in order per dossier,
surviving a subscriber that is down and then back; dead letters and replay; 766 indicator 1.4 from acks.

The subscriber is a real HTTP server on 127.0.0.1 (a random port) in a thread: no mock of the HTTP layer.
Time is moved with time-machine past the back-off; ``time.monotonic`` (socket timeouts) is not moved.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from procedures.models import Agency, Procedure
from procedures.services import catalogue_load_demo
from tests.lifecycle_steps import first_step_decides
from workflows import services as svc
from workflows.choices import Decision, DeliveryStatus, DossierStatus
from workflows.models import Delivery, Dossier, DossierEvent, OutboxEvent, Subscriber
from workflows.roles import role_groups_sync
from workflows.services import outbox
from workflows.services.outbox import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    outbox_deliver_due,
    outbox_replay,
    payload_body,
    sign,
    verify_signature,
)
from workflows.signals import dossier_changed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345", phone="0912345678")
SECRET = "bí-mật-chia-sẻ"
T0 = datetime(2025, 9, 8, 8, 0, tzinfo=TZ)  # a Monday


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


# --- a real subscriber ---------------------------------------------------------------------------------


class Hook:
    """A webhook receiver on 127.0.0.1: bound at once (so a connection is *refused* until :meth:`up`), then
    answering each POST with ``policy(event_id, n)`` (n = how many times this event id came before)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.requests: list[dict] = []
        self.policy: Callable[[int, int], int] = lambda event_id, n: 200
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
            )

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = int(self.headers[EVENT_ID_HEADER])
                with hook._lock:
                    seen = sum(1 for r in hook.requests if r["event_id"] == event_id)
                    status = hook.policy(event_id, seen)
                    hook.requests.append(
                        {
                            "event_id": event_id,
                            "body": body,
                            "payload": json.loads(body),
                            "content_type": self.headers["Content-Type"],
                            "valid": verify_signature(
                                hook.secret,
                                self.headers[TIMESTAMP_HEADER],
                                body,
                                self.headers[SIGNATURE_HEADER],
                            ),
                            "status": status,
                        }
                    )
                answer = b'{"ok":true}' if status < 300 else b'{"error":"busy"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.server_bind()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/motcua"

    def up(self) -> Hook:
        self.server.server_activate()
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
        self.server.server_close()

    def acked(self) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]


@pytest.fixture
def hooks():
    made: list[Hook] = []

    def make(secret: str = SECRET) -> Hook:
        made.append(Hook(secret))
        return made[-1]

    yield make
    for hook in made:
        hook.close()


@pytest.fixture
def catalogue(db, settings):
    settings.OUTBOX_TIMEOUT_SECONDS = 2
    catalogue_load_demo()
    role_groups_sync()
    procedure = Procedure.objects.get(code="1.014431")
    first_step_decides(procedure)  # short lives: receive → decide at B2 → return
    return procedure


@pytest.fixture
def desk(catalogue):
    return Agency.objects.get(code="DEMO-TTPVHCC")


def subscriber(hook: Hook, name: str = "portal", **kw) -> Subscriber:
    return Subscriber.objects.create(name=name, url=hook.url, secret=hook.secret, **kw)


def received(procedure, desk, when: datetime) -> Dossier:
    return svc.dossier_receive(procedure=procedure, at=when, reception_agency=desk, applicant=PERSON)


def full_life(procedure, desk, when: datetime) -> Dossier:
    """Five events: receive, supplement asked and done, decided, result returned."""
    d = received(procedure, desk, when)
    d = svc.dossier_request_supplement(dossier=d, reason="Thiếu bản sao", at=when + timedelta(hours=1))
    d = svc.dossier_supplement_done(dossier=d, at=when + timedelta(hours=2))
    d = svc.dossier_decide(dossier=d, outcome=Decision.APPROVED, at=when + timedelta(hours=3))
    return svc.dossier_return_result(dossier=d, at=when + timedelta(hours=4))


def sweep_until_idle(traveller, *, step: timedelta, rounds: int = 40, between=None) -> list[dict]:
    """Run the delivery service, moving the clock past any back-off, until nothing is pending."""
    runs = []
    for n in range(rounds):
        if between is not None:
            between(n)
        runs.append(outbox_deliver_due())
        if not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
            break
        traveller.shift(step)
    return runs


def assert_in_order_per_dossier(requests: list[dict]) -> None:
    by_dossier: dict[str, list[int]] = defaultdict(list)
    for r in requests:
        by_dossier[r["payload"]["MaHoSo"]].append(r["event_id"])
    for code, ids in by_dossier.items():
        assert ids == sorted(ids), f"{code}: acknowledged out of order {ids}"


# --- (a) written with the event; the national shape ----------------------------------------------------


def test_every_event_has_its_outbox_row_with_the_national_fields(catalogue, desk, hooks):
    portal = subscriber(hooks(), active=True)
    subscriber(hooks(), name="tắt", active=False)
    d = received(catalogue, desk, at(2025, 9, 5, 9, 0))
    first = OutboxEvent.objects.get(event__dossier=d)
    p = first.payload
    assert (p["MaHoSo"], p["MaTTHC"], p["KenhThucHien"], p["TrangThaiHoSo"]) == (d.code, "1.014431", 1, 2)
    assert p["NgayTiepNhan"] == "2025-09-05T09:00:00+07:00"
    assert p["NgayHenTra"] == d.due_at.astimezone(TZ).isoformat(timespec="seconds")
    assert p["NgayKetThucXuLy"] is None and p["event_id"] == first.event_id
    assert p["SuKien"]["Ma"] == "receive" and p["SuKien"]["SangTrangThai"] == 2

    d = svc.dossier_decide(dossier=d, outcome=Decision.APPROVED, at=at(2025, 9, 8, 10, 30))
    last = OutboxEvent.objects.filter(dossier=d).order_by("pk").last()
    assert (last.payload["TrangThaiHoSo"], last.kind, last.seq) == (9, "decide", 2)
    assert last.payload["NgayKetThucXuLy"] == "2025-09-08T10:30:00+07:00"
    assert last.payload["NgayTiepNhan"] == p["NgayTiepNhan"]
    # one outbox row per event, one delivery per *active* subscriber
    assert DossierEvent.objects.count() == OutboxEvent.objects.count() == 2
    assert set(OutboxEvent.objects.values_list("event_id", flat=True)) == set(
        DossierEvent.objects.values_list("pk", flat=True)
    )
    assert list(Delivery.objects.values_list("subscriber_id", flat=True)) == [portal.pk, portal.pk]


def test_a_failing_lifecycle_call_leaves_no_outbox_row(catalogue, desk, hooks):
    subscriber(hooks())
    d = received(catalogue, desk, at(2025, 9, 5, 9, 0))
    before = (DossierEvent.objects.count(), OutboxEvent.objects.count(), Delivery.objects.count())

    def boom(**kwargs):  # raised inside the event's transaction, after the outbox row was written
        raise RuntimeError("listener failed")

    dossier_changed.connect(boom, dispatch_uid="test-outbox-boom")
    try:
        with pytest.raises(RuntimeError):
            svc.dossier_decide(dossier=d, outcome=Decision.APPROVED, at=at(2025, 9, 8, 10, 0))
    finally:
        dossier_changed.disconnect(dispatch_uid="test-outbox-boom")
    assert (DossierEvent.objects.count(), OutboxEvent.objects.count(), Delivery.objects.count()) == before
    assert Dossier.objects.get(pk=d.pk).status == DossierStatus.RECEIVED


def run_outbox_callbacks(callbacks: list) -> None:
    """Run only the outbox's after-commit hooks (the rollups' would publish to the shared dev broker)."""
    ours = [cb for cb in callbacks if cb is outbox.outbox_deliver_soon]
    assert len(ours) >= 1
    for callback in ours:
        callback()


def test_a_burst_of_events_enqueues_one_delivery_task_after_commit(
    catalogue, desk, hooks, monkeypatch, django_capture_on_commit_callbacks
):
    from workflows import tasks

    sent: list[dict] = []
    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", lambda **kw: sent.append(kw))
    cache.delete(outbox.ENQUEUE_KEY)
    with django_capture_on_commit_callbacks() as callbacks:
        received(catalogue, desk, at(2025, 9, 5, 9, 0))  # no subscriber yet: nothing to enqueue
    assert outbox.outbox_deliver_soon not in callbacks

    subscriber(hooks())
    with django_capture_on_commit_callbacks() as callbacks:
        d = received(catalogue, desk, at(2025, 9, 5, 9, 5))
        svc.dossier_decide(dossier=d, outcome=Decision.APPROVED, at=at(2025, 9, 5, 9, 10))
    run_outbox_callbacks(callbacks)
    assert sent == [{"countdown": outbox.ENQUEUE_WINDOW_SECONDS, "retry": False}]


def test_a_broker_error_on_enqueue_does_not_break_the_event(
    catalogue, desk, hooks, monkeypatch, django_capture_on_commit_callbacks
):
    from workflows import tasks

    def down(**kw):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", down)
    cache.delete(outbox.ENQUEUE_KEY)
    subscriber(hooks())
    with django_capture_on_commit_callbacks() as callbacks:
        d = received(catalogue, desk, at(2025, 9, 5, 9, 0))
    run_outbox_callbacks(callbacks)
    assert Delivery.objects.filter(dossier=d, status=DeliveryStatus.PENDING).count() == 1


# --- (b) a subscriber down, then back ------------------------------------------------------------------


def test_subscriber_down_then_up_loses_nothing_duplicates_nothing_keeps_order(
    catalogue, desk, hooks, settings, capsys
):
    settings.OUTBOX_MAX_ATTEMPTS = 100  # this test is about surviving, not about dead letters
    flaky, steady = hooks(), hooks().up()
    subscriber(flaky, "flaky")
    subscriber(steady, "steady")
    with time_machine.travel(T0, tick=False) as traveller:
        dossiers = [full_life(catalogue, desk, T0 - timedelta(days=3, minutes=n)) for n in range(8)]
        events = list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True))
        assert len(events) == 40

        def phases(n: int) -> None:
            if n == 2:  # after two runs with the connection refused: up, but answering 503
                flaky.policy = lambda event_id, seen: 503
                flaky.up()
            elif n == 4:  # then mostly fine, with every third attempt failing once
                flaky.policy = lambda event_id, seen: 500 if (event_id % 3 == 0 and seen == 0) else 200

        started = time.monotonic()
        runs = sweep_until_idle(traveller, step=timedelta(hours=7), between=phases)
        seconds = time.monotonic() - started

    # the steady subscriber was never held up by the flaky one: everything in the first run
    assert sorted(r["event_id"] for r in steady.acked()) == events
    assert runs[0]["skipped"] > 0 and runs[0]["delivered"] == 40
    # nothing lost, nothing acknowledged twice, order kept per dossier
    acked = flaky.acked()
    assert sorted(r["event_id"] for r in acked) == events
    assert max(Counter(r["event_id"] for r in acked).values()) == 1
    assert_in_order_per_dossier(acked)
    assert_in_order_per_dossier(steady.acked())
    assert all(r["valid"] for r in flaky.requests + steady.requests)
    assert all(r["payload"]["event_id"] == r["event_id"] for r in flaky.requests)
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
    assert sum(r["failed"] for r in runs) > 0 and sum(r["dead"] for r in runs) == 0
    assert {d.code for d in dossiers} == {r["payload"]["MaHoSo"] for r in acked}
    attempts = Delivery.objects.filter(subscriber__name="flaky").values_list("attempts", flat=True)
    assert max(attempts) > 1
    with capsys.disabled():
        print(
            f"\n[outbox] down-then-up: {len(flaky.requests)} requests, {len(acked)} acks, {len(runs)} runs, "
            f"{seconds:.2f} s ({(len(acked) + len(steady.acked())) / seconds:.0f} acks/s overall); "
            f"run seconds {[r['seconds'] for r in runs]}"
        )


def test_back_off_grows_exponentially_with_jitter_and_is_capped(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 30
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 600
    for attempts, expected in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (12, 600)]:
        values = [outbox._backoff_seconds(attempts) for _ in range(50)]
        assert all(expected * 0.9 <= v <= expected * 1.1 for v in values), (attempts, values)
        assert len(set(values)) > 1  # jitter


def test_a_claimed_row_is_leased_and_a_crashed_workers_lease_expires(catalogue, desk, hooks):
    hook = hooks().up()
    subscriber(hook)
    received(catalogue, desk, at(2025, 9, 5, 9, 0))
    now = timezone.now()
    (job,) = outbox._claim(now, 10, set())  # a worker claims, then dies before sending
    assert not outbox.deliveries_due(now).exists()
    assert outbox_deliver_due(now=now)["rounds"] == 0  # a second worker keeps off the leased row
    later = now + timedelta(seconds=2 * outbox._timeout() + outbox.LEASE_MARGIN_SECONDS)
    assert outbox_deliver_due(now=later)["delivered"] == 1
    assert [r["event_id"] for r in hook.acked()] == [job.outbox_event_id]


# --- (c) dead letters, holding back, replay ------------------------------------------------------------


def test_dead_letter_holds_its_dossier_back_others_flow_then_replay_delivers_in_order(catalogue, desk, hooks):
    hook = hooks().up()
    portal = subscriber(hook, max_attempts=3)
    with time_machine.travel(T0, tick=False) as traveller:
        poisoned = full_life(catalogue, desk, T0 - timedelta(days=3))
        healthy = full_life(catalogue, desk, T0 - timedelta(days=2))
        first_of_poisoned = OutboxEvent.objects.filter(dossier=poisoned).order_by("pk").first().pk
        hook.policy = lambda event_id, seen: 500 if event_id == first_of_poisoned else 200
        runs = sweep_until_idle(traveller, step=timedelta(hours=7))

        dead = Delivery.objects.get(status=DeliveryStatus.DEAD)
        assert (dead.outbox_event_id, dead.attempts, dead.last_status_code) == (first_of_poisoned, 3, 500)
        assert "HTTP 500" in dead.last_error and sum(r["dead"] for r in runs) == 1
        held = Delivery.objects.filter(dossier=poisoned, status=DeliveryStatus.PENDING)
        assert held.count() == 4 and set(held.values_list("attempts", flat=True)) == {0}
        # the held events never left; the healthy dossier went through
        assert {r["payload"]["MaHoSo"] for r in hook.acked()} == {healthy.code}
        assert [r["event_id"] for r in hook.requests if r["payload"]["MaHoSo"] == poisoned.code] == [
            first_of_poisoned
        ] * 3
        # while it is dead, a new run sends nothing of the poisoned dossier
        traveller.shift(timedelta(days=1))
        assert outbox_deliver_due()["delivered"] == 0

        hook.policy = lambda event_id, seen: 200  # the subscriber is fixed
        out = StringIO()
        call_command("outbox_replay", "--subscriber", portal.name, "--dry-run", stdout=out)
        assert out.getvalue().strip() == "would reset: 1"
        call_command("outbox_replay", "--subscriber", portal.name, "--dossier", poisoned.code, stdout=out)
        assert "reset: 1" in out.getvalue()
        out = StringIO()
        call_command("outbox_deliver", stdout=out)
        assert "delivered: 5" in out.getvalue() and "dead 0" in out.getvalue()

    poisoned_acks = [r["event_id"] for r in hook.acked() if r["payload"]["MaHoSo"] == poisoned.code]
    assert poisoned_acks == list(
        OutboxEvent.objects.filter(dossier=poisoned).order_by("pk").values_list("pk", flat=True)
    )
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


def test_replay_missing_gives_a_late_subscriber_the_past_and_delivered_events_can_be_resent(
    catalogue, desk, hooks
):
    first = hooks().up()
    subscriber(first, "first")
    d = full_life(catalogue, desk, at(2025, 9, 1, 9, 0))
    outbox_deliver_due()
    late = hooks().up()
    subscriber(late, "late")
    assert Delivery.objects.filter(subscriber__name="late").count() == 0

    out = StringIO()
    call_command("outbox_replay", "--subscriber", "late", "--missing", "--dry-run", stdout=out)
    assert (
        "would create: 5" in out.getvalue() and Delivery.objects.filter(subscriber__name="late").count() == 0
    )
    assert outbox_replay(subscriber="late", missing=True) == {"reset": 0, "created": 5}
    assert outbox_replay(subscriber="late", missing=True) == {"reset": 0, "created": 0}  # idempotent
    outbox_deliver_due()
    assert [r["event_id"] for r in late.acked()] == [r["event_id"] for r in first.acked()]

    # re-send what was delivered to "first" for this dossier: allowed, the subscriber dedupes by id
    call_command(
        "outbox_replay", "--subscriber", "first", "--dossier", d.code, "--status", "delivered", stdout=out
    )
    assert outbox_deliver_due()["delivered"] == 5
    assert Counter(r["event_id"] for r in first.acked()) == Counter({r["event_id"]: 2 for r in late.acked()})
    assert_in_order_per_dossier(first.acked()[5:])


def test_replay_command_refuses_an_unknown_subscriber_and_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("outbox_replay", "--subscriber", "nobody")
    with pytest.raises(CommandError):
        call_command("outbox_replay", "--since", "1/9/2025")


def test_an_unreachable_subscriber_does_not_stop_the_others(catalogue, desk, hooks):
    never = hooks()  # bound, never listening: connection refused
    ok = hooks().up()
    subscriber(never, "never")
    subscriber(ok, "ok")
    Subscriber.objects.create(name="bad-url", url="http://", secret="x")
    for n in range(6):
        received(catalogue, desk, at(2025, 9, 5, 9, n))
    counts = outbox_deliver_due()
    assert len(ok.acked()) == 6
    # three refused tries open the circuit; the other three rows wait, unattempted, for the next run
    never_rows = Delivery.objects.filter(subscriber__name="never")
    assert sorted(never_rows.values_list("attempts", flat=True)) == [0, 0, 0, 1, 1, 1]
    assert "ConnectionError" in never_rows.filter(attempts=1).first().last_error
    assert Delivery.objects.filter(subscriber__name="bad-url", attempts=1).count() == 6
    assert (counts["delivered"], counts["skipped"], counts["failed"]) == (6, 3, 9)


# --- (d) the signature ---------------------------------------------------------------------------------


def test_signature_verifies_and_a_tampered_body_does_not(catalogue, desk, hooks):
    hook = hooks().up()
    subscriber(hook)
    received(catalogue, desk, at(2025, 9, 5, 9, 0))
    outbox_deliver_due()
    (request,) = hook.requests
    assert request["valid"] and request["content_type"].startswith("application/json")
    body = request["body"]
    assert "Nguyễn".encode() not in body  # no personal data in the sync shape…
    assert "giờ làm việc".encode() in body  # …and Vietnamese travels as UTF-8, not \\u escapes
    assert body == payload_body(OutboxEvent.objects.get().payload)

    stamp = 1_757_300_000
    signature = sign(SECRET, stamp, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature(SECRET, stamp, body, signature)
    assert verify_signature(SECRET, str(stamp), body.decode(), signature)
    assert not verify_signature(
        SECRET, stamp, body.replace(b'"TrangThaiHoSo":2', b'"TrangThaiHoSo":9'), signature
    )
    assert not verify_signature(SECRET, stamp + 1, body, signature)
    assert not verify_signature("other secret", stamp, body, signature)
    assert not verify_signature(SECRET, "soon", body, signature)
    assert verify_signature(SECRET, stamp, body, signature, tolerance_seconds=300, now=stamp + 299)
    assert not verify_signature(SECRET, stamp, body, signature, tolerance_seconds=300, now=stamp + 301)


# --- (e) 766 indicator 1.4 from the national subscriber's acknowledgements -----------------------------


def indicator_14(agency_code: str) -> dict:
    out = StringIO()
    call_command(
        "indicators",
        "--agency",
        agency_code,
        "--from",
        "2025-09-01",
        "--to",
        "2025-09-30",
        "--format",
        "json",
        "--source",
        "raw",
        stdout=out,
    )
    return json.loads(out.getvalue())["qd766"]["1.4"]


def test_national_acknowledgements_count_for_766_indicator_1_4(catalogue, desk, hooks):
    from metrics.models import RollupDirty

    other, national = hooks().up(), hooks()
    subscriber(other, "other")
    subscriber(national, "portal", national=True)
    dossiers = [received(catalogue, desk, at(2025, 9, 5, 9, n)) for n in range(3)]
    agency = catalogue.agency.code
    before = indicator_14(agency)
    assert (before["numerator"], before["denominator"]) == (0, 3)

    outbox_deliver_due()  # only the non-national subscriber acknowledges: nothing is synced yet
    assert len(other.acked()) == 3 and indicator_14(agency)["numerator"] == 0
    assert not Dossier.objects.filter(synced_at__isnull=False).exists()

    RollupDirty.objects.all().delete()
    national.up()
    acked_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)  # past the refused try's back-off
    with time_machine.travel(acked_at, tick=False):
        outbox_deliver_due()
    after = indicator_14(agency)
    assert (after["numerator"], after["denominator"], after["ratio"]) == (3, 3, 100.0)
    synced = set(Dossier.objects.values_list("synced_at", flat=True))
    assert synced == {acked_at}
    # the rollups were told, in the acknowledgement's transaction, from the dossier's receipt on
    dirty = RollupDirty.objects.all()
    assert dirty.count() == 3 and {r.since for r in dirty} == {d.received_at for d in dossiers}

    # a later acknowledgement keeps the first sync time and does not mark the rollups again
    RollupDirty.objects.all().delete()
    svc.dossier_decide(dossier=dossiers[0], outcome=Decision.APPROVED, at=at(2025, 9, 10, 9, 0))
    RollupDirty.objects.all().delete()
    with time_machine.travel(acked_at + timedelta(days=1), tick=False):
        assert outbox_deliver_due()["delivered"] == 2
    assert Dossier.objects.get(pk=dossiers[0].pk).synced_at == acked_at
    assert not RollupDirty.objects.exists()


# --- several workers at once (PostgreSQL: SKIP LOCKED is what makes this safe) --------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_deliver_each_event_once_and_in_order(hooks, settings, capsys, monkeypatch):
    from django.db import connection

    from metrics import tasks as metrics_tasks
    from workflows import tasks

    # committed for real here: keep the after-commit enqueues off the shared development broker
    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", lambda **kw: None)
    monkeypatch.setattr(metrics_tasks.rollups_flush, "delay", lambda *a, **kw: None)

    if connection.vendor != "postgresql":
        pytest.skip("row locks between workers are exercised on PostgreSQL (CI runs this suite on it too)")
    settings.OUTBOX_TIMEOUT_SECONDS = 5
    catalogue_load_demo()
    role_groups_sync()
    procedure = Procedure.objects.get(code="1.014431")
    first_step_decides(procedure)
    desk = Agency.objects.get(code="DEMO-TTPVHCC")
    hook = hooks().up()
    subscriber(hook, "a")
    other = hooks().up()
    subscriber(other, "b")
    for n in range(20):
        full_life(procedure, desk, at(2025, 9, 1, 9, 0) + timedelta(minutes=n))
    total = OutboxEvent.objects.count() * 2
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(200):
                if (
                    outbox_deliver_due(limit=7)["rounds"] == 0
                    and not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()
                ):
                    return
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    seconds = time.monotonic() - started
    assert not errors, errors
    for h in (hook, other):
        ids = [r["event_id"] for r in h.acked()]
        assert sorted(ids) == list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True))
        assert len(ids) == len(set(ids)), "an event was acknowledged twice"
        assert_in_order_per_dossier(h.acked())
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == total
    with capsys.disabled():
        print(f"\n[outbox] 4 workers: {total} deliveries in {seconds:.2f} s ({total / seconds:.0f}/s)")


# --- a real Celery worker ------------------------------------------------------------------------------


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_outbox(hooks, settings, monkeypatch):
    """The beat/after-commit task on a real worker. A private queue: the development broker is shared."""
    import uuid

    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app as celery_app
    from metrics import tasks as metrics_tasks
    from workflows import tasks

    monkeypatch.setattr(metrics_tasks.rollups_flush, "delay", lambda *a, **kw: None)
    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", lambda **kw: None)  # no stray default-queue run
    catalogue_load_demo()
    role_groups_sync()
    procedure = Procedure.objects.get(code="1.014431")
    first_step_decides(procedure)
    hook = hooks().up()
    subscriber(hook)
    d = full_life(procedure, Agency.objects.get(code="DEMO-TTPVHCC"), at(2025, 9, 1, 9, 0))
    monkeypatch.undo()
    queue = f"test-outbox-{uuid.uuid4().hex[:8]}"
    # start_worker(queues=…) narrows the *app's* queue selection for good; put it back so a later worker in
    # this process consumes from the default queue again (tests/config/test_celery_worker.py).
    consume_from = celery_app.amqp.queues._consume_from
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]
        ):
            tasks.outbox_deliver.apply_async(queue=queue)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(hook.acked()) < 5:
                time.sleep(0.1)
    finally:
        celery_app.amqp.queues._consume_from = consume_from
        celery_app.amqp.queues.pop(queue, None)
    assert [r["payload"]["MaHoSo"] for r in hook.acked()] == [d.code] * 5
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


# --- admin ---------------------------------------------------------------------------------------------


def test_admin_lists_the_outbox_and_replays_selected_deliveries(catalogue, desk, hooks, admin_client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from workflows.models import PersonalDataAccess

    hook = hooks()  # down: the delivery fails and is replayed from the admin
    portal = subscriber(hook, max_attempts=1)
    d = received(catalogue, desk, at(2025, 9, 5, 9, 0))
    PersonalDataAccess.objects.create(
        user=get_user_model().objects.get(username="admin"), dossier=d, purpose="desk_page", ip="127.0.0.1"
    )
    assert outbox_deliver_due()["dead"] == 1
    for model in (OutboxEvent, Subscriber, Delivery, PersonalDataAccess):
        url = reverse(f"admin:workflows_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get(reverse("admin:workflows_subscriber_change", args=[portal.pk])).status_code == 200
    assert admin_client.get(reverse("admin:workflows_delivery_add")).status_code == 403
    assert admin_client.get(reverse("admin:workflows_personaldataaccess_add")).status_code == 403

    dead = Delivery.objects.get()
    response = admin_client.post(
        reverse("admin:workflows_delivery_changelist"),
        {"action": "replay", "_selected_action": [dead.pk]},
        follow=True,
    )
    assert response.status_code == 200
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (DeliveryStatus.PENDING, 0)
    hook.up()
    assert outbox_deliver_due()["delivered"] == 1
