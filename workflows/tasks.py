"""Celery tasks of ``workflows``: thin, idempotent, one service call each (architecture decision 4)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="workflows.tasks.sla_sweep", ignore_result=True)
def sla_sweep() -> dict:
    from workflows.services.sweep import sla_sweep_run

    return sla_sweep_run()


@shared_task(name="workflows.tasks.fire_viewflow_timers", ignore_result=True)
def fire_viewflow_timers() -> None:
    """viewflow 2.4's free edition ships no Celery task for its timers; beat calls them here."""
    from viewflow.workflow.timers import fire_due_timers

    fire_due_timers()


@shared_task(name="workflows.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(limit: int | None = None) -> dict:
    """Send the due outbox deliveries; beat runs it every ``OUTBOX_DELIVER_SECONDS`` and ``outbox_append``
    enqueues it after commit. Safe on several workers at once (rows are claimed with SKIP LOCKED)."""
    from workflows.services.outbox import outbox_deliver_due

    return outbox_deliver_due(limit=limit)
