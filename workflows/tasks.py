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
