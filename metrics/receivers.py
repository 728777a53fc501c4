"""Receivers that turn the news of ``workflows`` and Celery into Prometheus instruments.

Connected in :meth:`metrics.apps.MetricsConfig.ready`. ``workflows`` sends its signals after commit, so a
rolled-back transition is never counted. A receiver must never break the sender: each one swallows and logs
its own errors (a metric lost is better than a transition or a sweep reported as failed).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from metrics.collectors import agency_labels
from metrics.instruments import (
    CELERY_TASK_FAILURES,
    NOTIFICATIONS,
    STEP_DURATION,
    SWEEP_DURATION,
    SWEEP_LAST_SUCCESS,
    SWEEP_RUNS,
    TRANSITIONS,
    VIEWFLOW_TIMERS_FIRED,
)

logger = logging.getLogger(__name__)


def on_dossier_event(
    sender: Any, *, event: str, agency_id: int | None = None, steps: list | None = None, **news: Any
) -> None:
    """Count the event; observe each step it closed (``working_hours`` on the agency's calendar)."""
    try:
        agency = agency_labels.label(agency_id)
        TRANSITIONS.labels(event=event, agency=agency, channel=news.get("channel") or "").inc()
        for step in steps or ():
            hours = step.get("working_hours")
            if hours is not None:
                STEP_DURATION.labels(agency=agency, role=step.get("role") or "").observe(float(hours))
    except Exception:
        logger.exception("metrics: could not record dossier event %s", event)


def on_sla_sweep_finished(
    sender: Any, *, seconds: float, ok: bool, counts: dict | None = None, **_: Any
) -> None:
    try:
        SWEEP_DURATION.observe(float(seconds))
        SWEEP_RUNS.labels(result="ok" if ok else "failed").inc()
        if ok:
            SWEEP_LAST_SUCCESS.set(time.time())
        fired = (counts or {}).get("timers_fired")
        if fired:
            VIEWFLOW_TIMERS_FIRED.inc(fired)
    except Exception:
        logger.exception("metrics: could not record an SLA sweep")


def on_notification_sent(sender: Any, *, kind: str, ok: bool, **_: Any) -> None:
    try:
        NOTIFICATIONS.labels(kind=str(kind), result="ok" if ok else "failed").inc()
    except Exception:
        logger.exception("metrics: could not record a notification")


def on_celery_task_failure(sender: Any = None, **_: Any) -> None:
    """``celery.signals.task_failure``: the sender is the task; its registered name is a bounded label."""
    try:
        CELERY_TASK_FAILURES.labels(task=getattr(sender, "name", None) or "unknown").inc()
    except Exception:
        logger.exception("metrics: could not record a Celery task failure")


def on_worker_process_shutdown(**_: Any) -> None:
    """A Celery pool process exits: as gunicorn's ``child_exit``, drop its live-gauge files (multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def on_agency_changed(sender: Any, **_: Any) -> None:
    """The agency tree changed in this process: relabel from the next event or scrape on."""
    agency_labels.clear()


def connect() -> None:
    """Called once from ``MetricsConfig.ready`` (dispatch uids make a second call harmless)."""
    from celery.signals import task_failure, worker_process_shutdown
    from django.db.models.signals import post_delete, post_save

    from procedures.models import Agency
    from workflows.signals import dossier_event_recorded, notification_sent, sla_sweep_finished

    dossier_event_recorded.connect(on_dossier_event, dispatch_uid="metrics.dossier_event")
    sla_sweep_finished.connect(on_sla_sweep_finished, dispatch_uid="metrics.sla_sweep")
    notification_sent.connect(on_notification_sent, dispatch_uid="metrics.notification")
    task_failure.connect(on_celery_task_failure, weak=False, dispatch_uid="metrics.celery_task_failure")
    worker_process_shutdown.connect(
        on_worker_process_shutdown, weak=False, dispatch_uid="metrics.celery_exit"
    )
    post_save.connect(on_agency_changed, sender=Agency, dispatch_uid="metrics.agency_saved")
    post_delete.connect(on_agency_changed, sender=Agency, dispatch_uid="metrics.agency_deleted")
