"""Operational tasks: a heartbeat proves that beat schedules and a worker executes."""

from __future__ import annotations

import time

from celery import shared_task
from django.core.cache import cache

HEARTBEAT_KEY = "motcua:worker-heartbeat"


@shared_task(name="config.tasks.heartbeat", ignore_result=True)
def heartbeat() -> float:
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now
