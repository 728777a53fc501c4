"""Prometheus instruments for what happens inside our processes (issue 4; architecture decision 5).

Counters and histograms are updated by the receivers of :mod:`metrics.receivers` as the news arrives
(lifecycle events after commit, SLA sweeps, notifications, Celery task failures). Business figures that
live in the database (open dossiers, overdue, on-time ratio, 766 score) are not instruments: the collector
of :mod:`metrics.collectors` reads them at scrape time, so they are right whichever process answers.

Label cardinality is bounded by design: ``agency`` is the deciding agency's ancestor at
``METRICS_AGENCY_LEVEL`` (tens of values for a province), ``event``, ``channel``, ``role``, ``kind`` and
``task`` come from closed lists. Never a dossier, an officer or a procedure.

This module imports only ``prometheus_client``: under gunicorn or several Celery workers it must be imported
*after* ``PROMETHEUS_MULTIPROC_DIR`` is set (prometheus-client picks its storage at import time), and a
subprocess can import it without Django being set up.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TRANSITIONS = Counter(
    "motcua_transitions",
    "Lifecycle and fact events recorded on dossiers (after commit), by event name, agency and channel.",
    ["event", "agency", "channel"],
)

# Working hours on the agency's calendar; allotted times run from half a day to several weeks.
STEP_DURATION_BUCKETS = (0.5, 1, 2, 4, 8, 16, 24, 40, 80, 160)
STEP_DURATION = Histogram(
    "motcua_step_duration_working_hours",
    "Duration of a closed internal step (quy trình nội bộ) in working hours, by agency and role.",
    ["agency", "role"],
    buckets=STEP_DURATION_BUCKETS,
)

SWEEP_DURATION = Histogram(
    "motcua_sla_sweep_duration_seconds",
    "Wall-clock duration of one SLA sweep (classification, claims, notices, viewflow timers).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
SWEEP_RUNS = Counter("motcua_sla_sweep_runs", "SLA sweeps finished, by result (ok | failed).", ["result"])
# "max" in multiprocess mode: the newest success of any worker, still reported after that worker exited.
SWEEP_LAST_SUCCESS = Gauge(
    "motcua_sla_sweep_last_success_timestamp_seconds",
    "Unix time at which the last successful SLA sweep finished (0 = none since the metrics were cleared).",
    multiprocess_mode="max",
)
VIEWFLOW_TIMERS_FIRED = Counter(
    "motcua_viewflow_timers_fired", "viewflow Timer tasks fired by the SLA sweep's timer run."
)

NOTIFICATIONS = Counter(
    "motcua_notifications",
    "Notifications sent by the SLA sweep, by kind (threshold) and result (ok | failed).",
    ["kind", "result"],
)

CELERY_TASK_FAILURES = Counter(
    "motcua_celery_task_failures", "Celery tasks that raised, by registered task name.", ["task"]
)

__all__ = [
    "CELERY_TASK_FAILURES",
    "NOTIFICATIONS",
    "STEP_DURATION",
    "STEP_DURATION_BUCKETS",
    "SWEEP_DURATION",
    "SWEEP_LAST_SUCCESS",
    "SWEEP_RUNS",
    "TRANSITIONS",
    "VIEWFLOW_TIMERS_FIRED",
]
