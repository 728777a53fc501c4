"""deploy/prometheus and deploy/grafana stay in step with the metrics the code exports (issue 4).

promtool checks the syntax and the behaviour of the rules (scripts/promtool_check.sh); this keeps the names:
a renamed metric would otherwise leave an alert that can never fire and a dashboard panel that stays empty.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

from metrics import instruments
from metrics.collectors import BusinessCollector

yaml = pytest.importorskip("yaml")

DEPLOY = Path(settings.BASE_DIR) / "deploy"
METRIC_NAME = re.compile(r"\bmotcua_[a-z0-9_]+")


def exported_families() -> set[str]:
    families = {m.name for m in BusinessCollector().describe()}
    for value in vars(instruments).values():
        if isinstance(value, Counter | Gauge | Histogram):
            families.update(m.name for m in value.describe())
    return families


def exported_series() -> set[str]:
    """Names a query can use: counters get ``_total``, histograms ``_bucket``/``_sum``/``_count``."""
    names: set[str] = set()
    for value in vars(instruments).values():
        if isinstance(value, Counter):
            names.update(f"{m.name}_total" for m in value.describe())
        elif isinstance(value, Histogram):
            names.update(
                f"{m.name}{suffix}" for m in value.describe() for suffix in ("_bucket", "_sum", "_count")
            )
        elif isinstance(value, Gauge):
            names.update(m.name for m in value.describe())
    names.update(m.name for m in BusinessCollector().describe())
    return names


def alert_rules() -> list[dict]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "motcua.json").read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_every_instrument_and_gauge_is_prefixed_and_known():
    series = exported_series()
    assert all(name.startswith("motcua_") for name in series)
    assert {
        "motcua_transitions_total",
        "motcua_step_duration_working_hours_bucket",
        "motcua_sla_sweep_duration_seconds_count",
        "motcua_sla_sweep_last_success_timestamp_seconds",
        "motcua_notifications_total",
        "motcua_celery_task_failures_total",
        "motcua_open_dossiers",
        "motcua_overdue_dossiers",
        "motcua_viewflow_timer_backlog",
        "motcua_viewflow_timer_lag_seconds",
        "motcua_on_time_ratio",
        "motcua_qd766_total_score",
    } <= series


def test_alert_rules_use_exported_metrics_and_say_it_in_both_languages():
    series = exported_series()
    rules = alert_rules()
    assert {
        "MotcuaOverdueDossiersRising",
        "MotcuaSlaSweepStale",
        "MotcuaViewflowTimerBacklog",
        "MotcuaOnTimeRatioBelowTarget",
    } <= {rule["alert"] for rule in rules}
    for rule in rules:
        used = set(METRIC_NAME.findall(rule["expr"]))
        assert used, rule["alert"]
        assert used <= series, (rule["alert"], used - series)
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        summary = rule["annotations"]["summary"]
        # Vietnamese first, then English, separated by " / "
        assert " / " in summary and re.search(
            r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", summary
        )


def test_alert_unit_tests_feed_exported_series():
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yml").read_text(encoding="utf-8"))["tests"]
    used = {
        name
        for case in tests
        for series in case["input_series"]
        for name in METRIC_NAME.findall(series["series"])
    }
    assert used <= exported_series(), used - exported_series()
    tested = {check["alertname"] for case in tests for check in case["alert_rule_test"]}
    assert tested == {rule["alert"] for rule in alert_rules()}


def test_dashboard_is_valid_json_on_exported_metrics_with_an_input_datasource():
    raw = (DEPLOY / "grafana" / "motcua.json").read_text(encoding="utf-8")
    dashboard = json.loads(raw)
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    assert all(panel["datasource"]["uid"] == "${DS_PROMETHEUS}" for panel in panels)
    exprs = dashboard_exprs()
    used = {name for expr in exprs for name in METRIC_NAME.findall(expr)}
    series = exported_series()
    assert used <= series, used - series
    # every family we export is on the dashboard somewhere
    assert {
        family for family in exported_families() if not any(name.startswith(family) for name in used)
    } == set()
