"""Idempotent intake under concurrent retries: several processes, one key, at once — exactly one dossier.

A real server (gunicorn, 4 worker processes × 2 threads, so requests really run in parallel against the
database) and 8 client processes released together by a barrier, all POSTing the same body with the same
``Idempotency-Key``. On PostgreSQL the server uses the test database (``DATABASE_URL`` of this run); on SQLite
(whose test database lives in this process's memory) it gets its own migrated file in a temporary directory.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.api import http_worker
from tests.api.conftest import SUBMIT_BODY

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8

SETUP = """
import django
django.setup()
from django.contrib.auth import get_user_model
from procedures.services import catalogue_load_demo
from workflows.models import ApiClient
from workflows.roles import role_groups_sync
catalogue_load_demo()
role_groups_sync()
user = get_user_model().objects.create_user("portal-concurrent")
scopes = ["dossiers:submit", "dossiers:read"]
_client, key = ApiClient.objects.create_key(name="portal", user=user, scopes=scopes)
print(key)
"""

COUNT = """
import json
import django
django.setup()
from workflows.models import Dossier, IdempotencyKey
print(json.dumps({"dossiers": list(Dossier.objects.values_list("code", flat=True)),
                  "keys": IdempotencyKey.objects.count()}))
"""


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_env(tmp_path, transactional_db) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "MOTCUA_VAR_DIR": str(tmp_path)}
    env.pop("CELERY_BROKER_URL", None)
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
    elif connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-3000:]
    else:
        pytest.skip(f"no cross-process setup for {connection.vendor}")
    return env


@pytest.fixture
def server(server_env, tmp_path):
    """``(base URL, api key, env)`` of a gunicorn serving the API; stopped (TERM, then KILL) afterwards."""
    key = _run(SETUP, server_env)
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115  (closed below)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "4",
         "--threads", "2", "--timeout", "120"],
        cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/schema/", timeout=5).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
                time.sleep(0.25)
        yield base, key, server_env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=15)
        log.close()


def _race(url: str, key: str, api_key: str, body: dict) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(CLIENTS), ctx.Queue()
    procs = [
        ctx.Process(target=http_worker.post_when_released, args=(url, key, api_key, body, barrier, results))
        for _ in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    answers = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return answers


def test_concurrent_retries_create_one_dossier(server):
    base, api_key, env = server
    url = f"{base}/api/v1/dossiers/"
    answers = _race(url, "same-key-for-all", api_key, SUBMIT_BODY)

    assert all(status == 201 for status, _code, _replayed in answers), answers
    codes = {code for _status, code, _replayed in answers}
    assert len(codes) == 1, answers
    assert sum(replayed != "true" for _s, _c, replayed in answers) == 1, "one creator, the others replayed"
    stored = json.loads(_run(COUNT, env))
    assert stored["dossiers"] == list(codes) and stored["keys"] == 1

    # A later, sequential retry gets the same answer; the same key with another body is refused.
    again = _race(url, "same-key-for-all", api_key, SUBMIT_BODY)
    assert {(s, c, r) for s, c, r in again} == {(201, codes.pop(), "true")}
    other = _race(url, "same-key-for-all", api_key, {**SUBMIT_BODY, "request_summary": "khác"})
    assert {status for status, _c, _r in other} == {422}
    assert len(json.loads(_run(COUNT, env))["dossiers"]) == 1

    # Another key in the same race creates exactly one more.
    fresh = _race(url, "another-key", api_key, SUBMIT_BODY)
    assert {status for status, _c, _r in fresh} == {201} and len({c for _s, c, _r in fresh}) == 1
    assert len(json.loads(_run(COUNT, env))["dossiers"]) == 2
