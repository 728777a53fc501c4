"""Celery tasks of ``metrics``: thin and idempotent (architecture decision 4)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="metrics.tasks.rollups_refresh_current", ignore_result=True)
def rollups_refresh_current() -> dict:
    """Beat: the current month's rollups move with the clock; also retries any dirty slice left behind."""
    from metrics.rollups import rollups_refresh_current as run

    return run()


@shared_task(name="metrics.tasks.rollups_flush", ignore_result=True)
def rollups_flush() -> int:
    """Recount the rollup slices dirtied by committed events (safe on several workers: SKIP LOCKED)."""
    from metrics.rollups import rollups_flush as run

    return run()
