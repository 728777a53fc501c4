"""/metrics (issue 4): access rules, engine instruments fed by real events, business gauges from real rows,
and prometheus-client's multiprocess mode with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from config.celery_app import app as celery_app
from metrics.collectors import agency_labels
from procedures.models import Agency, Procedure
from workflows import services as svc
from workflows.choices import Channel, NoticeThreshold
from workflows.flows import DossierFlow, process_of
from workflows.signals import notification_sent, sla_sweep_finished

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345")
ROOT = Path(django_settings.BASE_DIR)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _single_process_fresh_labels(monkeypatch, settings):
    """Each test starts with the in-process registry (no multiprocess dir), no token (loopback clients are
    served) and re-reads the agency tree: ids are reused between rolled-back tests on SQLite."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings.METRICS_TOKEN = ""
    agency_labels.clear()
    yield
    agency_labels.clear()


@pytest.fixture
def demo_catalogue(db):
    """The demo agencies and procedures plus the role groups (as ``manage.py demo_seed`` loads them)."""
    from procedures.services import catalogue_load_demo
    from workflows.roles import role_groups_sync

    catalogue_load_demo()
    role_groups_sync()


def receive(code: str, when: datetime, desk: str = "DEMO-TTPVHCC", **kw):
    return svc.dossier_receive(
        procedure=Procedure.objects.get(code=code),
        at=when,
        applicant=PERSON,
        reception_agency=Agency.objects.get(code=desk),
        **kw,
    )


def scrape(client, **extra) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def local(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- access ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_token_loopback_is_served_and_others_refused(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::1").status_code == 403
    # a reverse proxy on the same host forwards outside clients from loopback: refused too
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    )
    assert client.post("/metrics").status_code == 405


@pytest.mark.django_db
def test_with_token_a_bearer_token_is_required_from_everywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    missing = client.get("/metrics")  # loopback, but the token is what counts now
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-and-more").status_code == 401
    samples = scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert value(samples, "motcua_viewflow_timer_backlog") == 0


@pytest.mark.django_db
def test_openmetrics_is_served_when_asked_for(client):
    response = client.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.rstrip().endswith(b"# EOF")


# --- engine instruments fed by real events -----------------------------------------------------------------


def test_a_lifecycle_transition_is_counted_after_commit(demo_catalogue, django_capture_on_commit_callbacks):
    labels = {"event": "receive", "agency": "DEMO-SKHCN"}
    before = sum(local("motcua_transitions_total", **labels, channel=c) for c in ("", *Channel.values))
    with django_capture_on_commit_callbacks(execute=True):
        # 1.014453 is decided by a fund under the department: counted under the department
        receive("1.014453", at(2025, 9, 5, 9, 0))
    after = sum(local("motcua_transitions_total", **labels, channel=c) for c in ("", *Channel.values))
    assert after == before + 1


def test_nothing_is_counted_when_the_transaction_does_not_commit(
    demo_catalogue, django_capture_on_commit_callbacks
):
    before = local("motcua_transitions_total", event="receive", agency="DEMO-UBND", channel="")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receive("1.014431", at(2025, 9, 5, 9, 0))
    assert callbacks  # the news waits for the commit, which never comes here
    assert local("motcua_transitions_total", event="receive", agency="DEMO-UBND", channel="") == before


def test_step_duration_is_observed_in_working_hours(demo_catalogue, django_capture_on_commit_callbacks):
    d = receive("1.014431", at(2025, 9, 5, 9, 0))  # Friday 09:00, B2 (head of unit) starts
    labels = {"agency": "DEMO-UBND", "role": "head_of_unit"}
    count = local("motcua_step_duration_working_hours_count", **labels)
    total = local("motcua_step_duration_working_hours_sum", **labels)
    within_one = local("motcua_step_duration_working_hours_bucket", **labels, le="1.0")
    with django_capture_on_commit_callbacks(execute=True):
        svc.dossier_step_done(dossier=d, at=at(2025, 9, 5, 10, 0))
    assert local("motcua_step_duration_working_hours_count", **labels) == count + 1
    assert local("motcua_step_duration_working_hours_sum", **labels) == pytest.approx(total + 1.0)
    assert local("motcua_step_duration_working_hours_bucket", **labels, le="1.0") == within_one + 1


def test_sweep_and_notification_news_reach_the_instruments():
    runs = local("motcua_sla_sweep_runs_total", result="ok")
    failed = local("motcua_sla_sweep_runs_total", result="failed")
    observed = local("motcua_sla_sweep_duration_seconds_count")
    fired = local("motcua_viewflow_timers_fired_total")
    sla_sweep_finished.send(sender=None, seconds=0.2, ok=True, counts={"timers_fired": 2})
    stamp = local("motcua_sla_sweep_last_success_timestamp_seconds")
    sla_sweep_finished.send(sender=None, seconds=0.3, ok=False, counts={})
    assert local("motcua_sla_sweep_runs_total", result="ok") == runs + 1
    assert local("motcua_sla_sweep_runs_total", result="failed") == failed + 1
    assert local("motcua_sla_sweep_duration_seconds_count") == observed + 2
    assert local("motcua_viewflow_timers_fired_total") == fired + 2
    assert timezone.now().timestamp() - stamp < 60
    # a failed run leaves the last success where it was
    assert local("motcua_sla_sweep_last_success_timestamp_seconds") == stamp

    sent = local("motcua_notifications_total", kind="overdue", result="ok")
    lost = local("motcua_notifications_total", kind="overdue", result="failed")
    notification_sent.send(sender=None, kind="overdue", ok=True)
    notification_sent.send(sender=None, kind="overdue", ok=False)
    assert local("motcua_notifications_total", kind="overdue", result="ok") == sent + 1
    assert local("motcua_notifications_total", kind="overdue", result="failed") == lost + 1


def test_a_real_sweep_reports_its_run_and_its_notices(world):
    """The sweep of ``workflows`` sends its news; the instruments count the run and each notice sent."""
    from workflows.management.commands.demo_seed import demo_users_seed
    from workflows.services.sweep import sla_sweep_run

    demo_users_seed()  # someone to tell
    runs = local("motcua_sla_sweep_runs_total", result="ok")
    sent = {
        kind: local("motcua_notifications_total", kind=kind, result="ok") for kind in NoticeThreshold.values
    }
    with time_machine.travel(world["now"], tick=False):
        counts = sla_sweep_run(fire_timers=False)
    assert counts["notified"] >= 3  # two overdue dossiers and one due soon, at least
    assert local("motcua_sla_sweep_runs_total", result="ok") == runs + 1
    assert local("motcua_sla_sweep_last_success_timestamp_seconds") >= world["now"].timestamp()
    for kind, before in sent.items():
        assert (
            local("motcua_notifications_total", kind=kind, result="ok")
            == before + counts["by_threshold"][kind]
        )


@celery_app.task(name="tests.metrics.always_fails")
def always_fails() -> None:
    raise RuntimeError("boom")


def test_a_failed_celery_task_is_counted_by_name():
    before = local("motcua_celery_task_failures_total", task="tests.metrics.always_fails")
    result = always_fails.apply()  # the real tracer, which sends celery.signals.task_failure
    assert result.failed()
    assert local("motcua_celery_task_failures_total", task="tests.metrics.always_fails") == before + 1


# --- business gauges from real rows ------------------------------------------------------------------------


@pytest.fixture
def world(demo_catalogue):
    """Open dossiers in every SLA state as of ``now`` (the due-soon dossier's warning + 1 minute)."""
    receive("1.014431", at(2025, 8, 4, 8, 0))  # province, overdue
    receive("1.003583", at(2025, 8, 5, 8, 0), desk="DEMO-XA-A", channel=Channel.POSTAL)  # commune, overdue
    due_soon = receive("1.014431", at(2025, 9, 8, 8, 0))
    now = due_soon.due_soon_at + timedelta(minutes=1)
    paused = receive("1.014431", at(2025, 9, 9, 8, 0))
    svc.dossier_request_supplement(dossier=paused, reason="Thiếu bản sao", at=at(2025, 9, 9, 9, 0))
    receive("1.014453", now - timedelta(hours=1), channel=Channel.ONLINE)  # the fund under the department
    return {"now": now}


def test_open_and_overdue_dossiers_by_agency_state_and_channel(client, world):
    with time_machine.travel(world["now"], tick=False):
        samples = scrape(client)
    opened = {
        tuple(dict(labels)[k] for k in ("agency", "sla_state", "channel")): v
        for (name, labels), v in samples.items()
        if name == "motcua_open_dossiers"
    }
    assert opened == {
        ("DEMO-UBND", "overdue", "direct"): 1,
        ("DEMO-UBND", "due_soon", "direct"): 1,
        ("DEMO-UBND", "paused", "direct"): 1,
        ("DEMO-XA-A", "overdue", "postal"): 1,
        ("DEMO-SKHCN", "in_time", "online"): 1,
    }
    assert value(samples, "motcua_overdue_dossiers", agency="DEMO-UBND") == 1
    assert value(samples, "motcua_overdue_dossiers", agency="DEMO-XA-A") == 1
    # every label at the level has a series, zero included, so rates and deltas are continuous
    assert value(samples, "motcua_overdue_dossiers", agency="DEMO-SKHCN") == 0
    assert value(samples, "motcua_overdue_dossiers", agency="DEMO-QUY-KHCN") is None
    assert value(samples, "motcua_business_collector_up", section="dossiers") == 1


def test_agency_label_follows_the_configured_level(client, world, settings):
    settings.METRICS_AGENCY_LEVEL = "province"
    with time_machine.travel(world["now"], tick=False):
        samples = scrape(client)
    overdue = {
        dict(labels)["agency"]: v
        for (name, labels), v in samples.items()
        if name == "motcua_overdue_dossiers"
    }
    # the ministry is a root of its own; everything else is in the demo province
    assert overdue == {"DEMO-UBND": 2, "DEMO-BKHCN": 0}
    assert (
        value(samples, "motcua_open_dossiers", agency="DEMO-UBND", sla_state="in_time", channel="online") == 1
    )


def test_a_scrape_costs_a_fixed_handful_of_queries(client, world, django_assert_max_num_queries):
    """Aggregated in SQL, never per dossier: the agency tree (cached), open dossiers, timers, scores, and
    the outbox (subscribers, unacknowledged deliveries), the last audit check."""
    with django_assert_max_num_queries(7):
        scrape(client)
    for _ in range(20):  # more dossiers, same number of queries
        receive("1.014431", world["now"] - timedelta(hours=2))
    with django_assert_max_num_queries(6):  # the agency tree is cached now
        scrape(client)


def test_viewflow_timer_backlog_and_lag(client, world):
    process = process_of(Procedure.objects.get(code="1.014431").versions.first().dossier_set.first())
    now = world["now"]

    def timer(status: str, scheduled: datetime) -> Task:
        return Task.objects.create(
            process=process,
            flow_task=DossierFlow.end,
            flow_task_type="TIMER",
            status=status,
            scheduled=scheduled,
        )

    timer(STATUS.SCHEDULED, now - timedelta(minutes=10))
    timer(STATUS.SCHEDULED, now - timedelta(minutes=2))
    timer(STATUS.SCHEDULED, now + timedelta(minutes=5))  # not due yet
    timer(STATUS.DONE, now - timedelta(hours=1))  # already fired
    with time_machine.travel(now, tick=False):
        samples = scrape(client)
    assert value(samples, "motcua_viewflow_timer_backlog") == 2
    assert value(samples, "motcua_viewflow_timer_lag_seconds") == pytest.approx(600, abs=1)


def _has_current_scores() -> bool:
    try:
        from metrics.rollups import current_scores  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _has_current_scores(), reason="metrics.rollups.current_scores does not exist yet")
def test_current_scores_are_exported_as_gauges(client, world):
    """The beat task fills the scores of the label agencies; the scrape reads them back as gauges."""
    from metrics.rollups import current_scores
    from metrics.tasks import rollups_refresh_current

    with time_machine.travel(world["now"], tick=False):
        rollups_refresh_current()
        samples = scrape(client)
    expected = {code: (pct, score) for code, pct, score in current_scores()}
    assert "DEMO-SKHCN" in expected
    assert value(samples, "motcua_business_collector_up", section="scores") == 1
    for code, (pct, score) in expected.items():
        assert value(samples, "motcua_qd766_total_score", agency=code) == pytest.approx(score)
        ratio = value(samples, "motcua_on_time_ratio", agency=code)
        assert ratio == (None if pct is None else pytest.approx(pct / 100))


# --- several processes -----------------------------------------------------------------------------------

_CHILD = """
import sys
from metrics.instruments import SWEEP_LAST_SUCCESS, TRANSITIONS
TRANSITIONS.labels(event="receive", agency="DEMO-SKHCN", channel="direct").inc(int(sys.argv[1]))
SWEEP_LAST_SUCCESS.set(float(sys.argv[2]))
"""


@pytest.mark.django_db
def test_multiprocess_mode_sums_what_several_processes_counted(client, tmp_path, monkeypatch):
    """Two real processes (as two gunicorn or Celery workers would) write to the multiprocess directory; the
    scrape answers the sum of their counters and the newest sweep timestamp, plus the database gauges."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, n, stamp], env=env, cwd=ROOT)
        for n, stamp in (("1", "1700000000"), ("2", "1700000100"))
    ]
    assert [child.wait(timeout=60) for child in children] == [0, 0]
    assert len(list(tmp_path.glob("counter_*.db"))) == 2

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    assert (
        value(samples, "motcua_transitions_total", event="receive", agency="DEMO-SKHCN", channel="direct")
        == 3
    )
    assert value(samples, "motcua_sla_sweep_last_success_timestamp_seconds") == 1700000100
    assert value(samples, "motcua_viewflow_timer_backlog") == 0  # the database collector is there too


def test_outbox_backlog_by_subscriber_and_status(client, demo_catalogue):
    """Pending and dead deliveries per subscriber, zeros included; the oldest pending one's age."""
    from workflows.choices import DeliveryStatus
    from workflows.models import Delivery, Subscriber

    portal = Subscriber.objects.create(name="dvcqg", url="http://127.0.0.1:9/hook", secret="s", national=True)
    Subscriber.objects.create(name="idle", url="http://127.0.0.1:9/idle", secret="s")
    received = at(2025, 9, 8, 8, 0)
    dossier = receive("1.014431", received)
    svc.dossier_request_supplement(dossier=dossier, reason="Thiếu bản sao", at=received + timedelta(hours=1))
    first = Delivery.objects.filter(subscriber=portal).order_by("pk").first()
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.DEAD)
    Delivery.objects.filter(subscriber=portal).update(created_at=received)
    with time_machine.travel(received + timedelta(hours=2), tick=False):
        samples = scrape(client)
    assert value(samples, "motcua_outbox_deliveries", subscriber="dvcqg", status="dead") == 1
    assert value(samples, "motcua_outbox_deliveries", subscriber="dvcqg", status="pending") == 1
    assert value(samples, "motcua_outbox_deliveries", subscriber="idle", status="dead") == 0
    assert value(samples, "motcua_outbox_deliveries", subscriber="idle", status="pending") == 2
    assert value(samples, "motcua_outbox_oldest_pending_age_seconds", subscriber="dvcqg") == 7200
    assert value(samples, "motcua_business_collector_up", section="outbox") == 1
