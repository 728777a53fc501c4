"""A real worker consumes from the configured broker (filesystem by default, Redis in CI)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from config.celery_app import app as celery_app
from config.tasks import HEARTBEAT_KEY, heartbeat


@pytest.mark.celery
def test_heartbeat_task_runs_on_a_real_worker():
    cache.delete(HEARTBEAT_KEY)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        sent_at = time.time()
        heartbeat.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            beat = cache.get(HEARTBEAT_KEY)
            if beat:
                break
            time.sleep(0.1)
    assert beat is not None, "the worker never ran the heartbeat task"
    assert beat >= sent_at
