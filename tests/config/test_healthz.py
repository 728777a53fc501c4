"""/healthz answers for load balancers against the real database and the real broker."""

import pytest

from config.celery_app import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_ok_with_real_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}


def test_healthz_fails_when_the_broker_is_unreachable(client, monkeypatch):
    # Nothing listens on port 9; patch both URLs because a started worker pins the write URL.
    for key in ("broker_url", "broker_write_url"):
        monkeypatch.setitem(celery_app.conf, key, "redis://127.0.0.1:9/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"
