"""The SLA sweep: each crossing (50 % / 75 % of a step, due soon, overdue) is mailed once, to the right
people."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import close_old_connections, connection

from procedures.models import Agency, Procedure
from workflows import services as svc
from workflows.choices import NoticeThreshold
from workflows.models import SlaNotice
from workflows.services.sweep import sla_crossings_pending, sla_sweep_run

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def staff(demo_users):
    """Demo users with e-mail addresses (demo_seed leaves them empty)."""
    for username, user in demo_users.items():
        user.email = f"{username}@motcua.test"
        user.save(update_fields=["email"])
    return demo_users


@pytest.fixture
def procedure(demo_catalogue):
    return Procedure.objects.get(code="1.014431")


def receive(procedure, when: datetime):
    return svc.dossier_receive(
        procedure=procedure,
        at=when,
        applicant=PERSON,
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
    )


def sweep(moment: datetime) -> dict:
    """Sweep with the clock frozen at ``moment`` (the claim timestamps use the real clock too)."""
    with time_machine.travel(moment, tick=False):
        return sla_sweep_run()


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


# Received Monday 08/09/2025 08:00; the first step is B2 (head of QLCN, 0.5 day): its marks come from sla.


def test_step_half_notified_once_to_assignee_and_supervisor(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    step = d.current_step
    assert step.half_at < step.three_quarters_at < step.due_at

    counts = sweep(step.half_at + timedelta(minutes=1))
    assert counts["notified"] == 1 and counts["by_threshold"][NoticeThreshold.HALF] == 1
    (message,) = mail.outbox
    assert d.code in message.subject and "50%" in message.subject
    # unassigned step: the heads of unit covering QLCN; the supervisor of the province above the agency
    assert message.to == ["truongphong@motcua.test"]
    assert message.cc == ["giamsat@motcua.test"]
    assert "1.014431" in message.body and f"/ho-so/{d.code}/" in message.body
    assert "Hẹn trả kết quả" in message.body

    again = sweep(step.half_at + timedelta(minutes=6))
    assert again["notified"] == 0 and len(mail.outbox) == 1
    notice = SlaNotice.objects.get(dossier=d, step_seq=step.seq, threshold=NoticeThreshold.HALF)
    assert notice.recipients == "truongphong@motcua.test, giamsat@motcua.test"


def test_step_three_quarters_follows_half(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    step = d.current_step
    sweep(step.half_at + timedelta(minutes=1))
    counts = sweep(step.three_quarters_at + timedelta(minutes=1))
    assert counts["by_threshold"] == {"half": 0, "three_quarters": 1, "due_soon": 0, "overdue": 0}
    assert "75%" in mail.outbox[-1].subject
    assert SlaNotice.objects.filter(dossier=d).count() == 2


def test_catching_up_sends_only_the_mark_that_holds_now(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    counts = sweep(d.current_step.three_quarters_at + timedelta(minutes=1))
    assert counts["by_threshold"]["half"] == 0 and counts["by_threshold"]["three_quarters"] == 1


def test_assigned_step_mails_its_owner(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    step = d.current_step
    step.owner = staff["chuyenvien"]
    step.save(update_fields=["owner"])
    sweep(step.half_at + timedelta(minutes=1))
    assert mail.outbox[0].to == ["chuyenvien@motcua.test"]


def test_due_soon_then_overdue_on_the_dossier_clock(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    counts = sweep(d.due_soon_at + timedelta(minutes=1))
    assert counts["by_threshold"]["due_soon"] == 1
    due_soon = [m for m in mail.outbox if "sắp đến hạn" in m.subject]
    assert len(due_soon) == 1 and "giamsat@motcua.test" in due_soon[0].recipients()
    assert "Mẫu 04" in due_soon[0].body

    counts = sweep(d.due_at + timedelta(minutes=1))
    assert counts["by_threshold"]["overdue"] == 1 and counts["by_threshold"]["due_soon"] == 0
    overdue = [m for m in mail.outbox if "quá hạn" in m.subject]
    assert len(overdue) == 1 and d.code in overdue[0].subject
    # the step still open at B2 gets its assignee on the dossier notices too
    assert overdue[0].to == ["truongphong@motcua.test"]

    assert sweep(d.due_at + timedelta(days=3))["notified"] == 0
    assert SlaNotice.objects.filter(dossier=d, step_seq=0).count() == 2


def test_paused_and_finished_dossiers_are_not_notified(staff, procedure):
    paused = receive(procedure, at(2025, 9, 8, 8, 0))
    paused = svc.dossier_request_supplement(dossier=paused, reason="Thiếu bản sao", at=at(2025, 9, 8, 9, 0))
    stopped = receive(procedure, at(2025, 9, 8, 8, 5))
    svc.dossier_stop(dossier=stopped, reason="Dừng theo đề nghị", at=at(2025, 9, 8, 9, 0))
    counts = sweep(at(2025, 12, 1, 9, 0))
    assert counts["candidates"] == 0 and mail.outbox == []


def test_a_failing_send_is_isolated_and_retried_next_run(staff, procedure, caplog):
    first = receive(procedure, at(2025, 9, 8, 8, 0))
    second = receive(procedure, at(2025, 9, 8, 8, 0))
    moment = first.current_step.half_at + timedelta(minutes=1)
    real_send = mail.EmailMessage.send
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(self.subject)
        if first.code in self.subject:
            raise OSError("SMTP down")
        return real_send(self, *args, **kwargs)

    with mock.patch.object(mail.EmailMessage, "send", flaky):
        counts = sweep(moment)
    assert counts["failed"] == 1 and counts["notified"] == 1
    assert [m.subject for m in mail.outbox if second.code in m.subject]
    assert "SMTP down" in caplog.text
    assert not SlaNotice.objects.filter(dossier=first).exists()  # claim released

    counts = sweep(moment + timedelta(minutes=5))
    assert counts["notified"] == 1 and first.code in mail.outbox[-1].subject


def test_candidates_are_capped_per_run(staff, procedure, settings):
    settings.SLA_SWEEP_MAX_NOTICES = 2
    for _i in range(3):
        receive(procedure, at(2025, 9, 8, 8, 0))
    moment = at(2025, 9, 8, 10, 30)
    assert len(sla_crossings_pending(moment)) == 2
    assert sweep(moment)["notified"] == 2
    assert sweep(moment)["notified"] == 1


def test_stale_claims_of_a_crashed_worker_are_released(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    moment = d.current_step.half_at + timedelta(minutes=1)
    with time_machine.travel(moment, tick=False):
        SlaNotice.objects.create(
            dossier=d, step_seq=d.current_step.seq, threshold=NoticeThreshold.HALF, recipients="claim:dead"
        )
    assert sweep(moment + timedelta(minutes=5))["notified"] == 0
    assert sweep(moment + timedelta(hours=1))["notified"] == 1


def test_management_command_prints_the_counts(staff, procedure):
    d = receive(procedure, at(2025, 9, 8, 8, 0))
    out = StringIO()
    moment = (d.current_step.half_at + timedelta(minutes=1)).isoformat()
    with time_machine.travel(at(2025, 9, 8, 12, 0), tick=False):
        call_command("sla_sweep", "--now", moment, stdout=out)
    assert "notified: 1" in out.getvalue() and "half: 1" in out.getvalue()
    out = StringIO()
    with time_machine.travel(at(2025, 9, 8, 12, 0), tick=False):
        call_command("sla_sweep", "--now", moment, "--json", stdout=out)
    assert json.loads(out.getvalue())["notified"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_notify_each_crossing_exactly_once(staff, procedure):
    """Several workers at once: the unique claim row, not a lock, decides who mails."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with a database-wide lock; run on PostgreSQL (DATABASE_URL)")
    dossiers = [receive(procedure, at(2025, 9, 8, 8, 0)) for _i in range(12)]
    moment = dossiers[0].due_at + timedelta(minutes=1)  # overdue + the open step's three quarters each
    barrier = threading.Barrier(6)
    results: list[dict] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(sla_sweep_run(now=moment, fire_timers=False))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    crossings = SlaNotice.objects.count()
    assert crossings == 24
    assert sum(r["notified"] for r in results) == crossings == len(mail.outbox)
    assert len({m.subject for m in mail.outbox}) == crossings
