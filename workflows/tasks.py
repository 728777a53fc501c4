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


@shared_task(name="workflows.tasks.audit_verify", ignore_result=True)
def audit_verify(days: int | None = None) -> int:
    """Recompute the hash chains of the dossiers with events in the last ``AUDIT_VERIFY_DAYS`` days; the
    result is stored for ``motcua_audit_broken_chains``. Returns the number of broken chains."""
    from workflows.services.audit import audit_check_run

    return audit_check_run(days=days).broken


@shared_task(name="workflows.tasks.idempotency_purge", ignore_result=True)
def idempotency_purge() -> int:
    from workflows.services.retention import idempotency_keys_purge, purge_actor

    return idempotency_keys_purge(by=purge_actor("celery beat")).deleted


@shared_task(name="workflows.tasks.outbox_purge", ignore_result=True)
def outbox_purge() -> int:
    from workflows.services.retention import outbox_purge as purge
    from workflows.services.retention import purge_actor

    return purge(by=purge_actor("celery beat")).deleted


@shared_task(name="workflows.tasks.access_log_purge", ignore_result=True)
def access_log_purge() -> int:
    from workflows.services.retention import access_log_purge as purge
    from workflows.services.retention import purge_actor

    return purge(by=purge_actor("celery beat")).deleted
