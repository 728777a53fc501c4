"""The demo event log: deterministic, legal (it replays), realistic, and loaded once by ``demo_dossiers``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from procedures.services import catalogue_load_demo
from sla.services import calendar_for
from workflows.demo_log import DEMO_CODE_REGEX, demo_log_csv, demo_log_lines
from workflows.management.commands.demo_dossiers import demo_procedures
from workflows.models import Dossier
from workflows.services.event_log import event_log_replay

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def procedures():
    catalogue_load_demo()
    return demo_procedures(NOW)


def test_same_seed_same_log_and_another_seed_another(procedures):
    cal = calendar_for(None)
    one = demo_log_csv(demo_log_lines(procedures, calendar=cal, now=NOW, seed=1, count=60))
    assert one == demo_log_csv(demo_log_lines(procedures, calendar=cal, now=NOW, seed=1, count=60))
    assert one != demo_log_csv(demo_log_lines(procedures, calendar=cal, now=NOW, seed=2, count=60))


def test_events_are_in_office_hours_in_the_past_and_in_order(procedures):
    cal = calendar_for(None)
    lines = demo_log_lines(procedures, calendar=cal, now=NOW, seed=3, count=200)
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    assert all(line.at <= NOW for line in lines)
    assert all(line.at.utcoffset().total_seconds() == 7 * 3600 for line in lines)
    for line in lines:
        if line.event == "submit":  # online submissions may come at any hour
            continue
        local = line.at.astimezone(cal.tz)
        assert cal.is_working_day(local.date()), line
        assert time(7) <= local.time() <= time(11, 30) or time(13, 30) <= local.time() <= time(17), line
    channels = Counter(line.channel for line in lines if line.event in ("receive", "refuse_receipt"))
    assert 0.3 < channels["online"] / sum(channels.values()) < 0.7


def test_the_log_replays_and_covers_the_states(procedures):
    lines = demo_log_lines(procedures, calendar=calendar_for(None), now=NOW, seed=2025, count=150)
    summary = event_log_replay(demo_log_csv(lines))
    assert summary.dossiers_created == Dossier.objects.count() == len({line.dossier_code for line in lines})
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert {
        "submitted",
        "not_received",
        "received",
        "in_process",
        "decided",
        "returned",
        "withdrawn",
        "stopped",
    } <= statuses
    assert Dossier.objects.filter(code__regex=DEMO_CODE_REGEX).count() == Dossier.objects.count()
    assert Dossier.objects.exclude(apology_at=None).exists()


def test_demo_dossiers_command_is_idempotent(tmp_path):
    catalogue_load_demo()
    out = StringIO()
    args = ["--count", "30", "--now", NOW.isoformat(), "--output", str(tmp_path / "d.csv")]
    call_command("demo_dossiers", *args, stdout=out)
    assert "by status:" in out.getvalue()
    count = Dossier.objects.count()
    assert count > 0 and (tmp_path / "d.csv").read_text(encoding="utf-8").startswith("dossier_code,")
    out = StringIO()
    call_command("demo_dossiers", *args, stdout=out)
    assert "nothing to do" in out.getvalue()
    assert Dossier.objects.count() == count
