"""Who counts as "on this host" for /healthz details and /metrics: one rule, shared by both endpoints.

A request is local when it comes from loopback and no proxy relayed it (any forwarding header), or when it
comes from a proxy listed in ``METRICS_TRUSTED_PROXIES`` that reports a loopback client in
``X-Forwarded-For``. Everyone else sees /healthz without details and gets 403 from /metrics (no token).
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.celery_app import app as celery_app
from metrics.trust import FORWARDING_HEADERS, request_is_local

OUTSIDER = "203.0.113.7"


@pytest.fixture(autouse=True)
def _no_tokens_no_proxies(settings):
    settings.METRICS_TOKEN = ""
    settings.HEALTHZ_TOKEN = ""
    settings.METRICS_TRUSTED_PROXIES = []


def _request(remote: str = "127.0.0.1", **headers: str):
    return RequestFactory().get("/metrics", REMOTE_ADDR=remote, **headers)


# --- the rule -----------------------------------------------------------------------------------------------


def test_loopback_without_forwarding_headers_is_local():
    assert request_is_local(_request("127.0.0.1"))
    assert request_is_local(_request("::1"))
    assert request_is_local(_request("::ffff:127.0.0.1"))
    assert not request_is_local(_request(OUTSIDER))
    assert not request_is_local(_request(""))
    assert not request_is_local(_request("not-an-address"))


@pytest.mark.parametrize(
    "header",
    [
        "HTTP_VIA",
        "HTTP_TRUE_CLIENT_IP",
        "HTTP_CF_CONNECTING_IP",
        "HTTP_FORWARDED",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_REAL_IP",
        "HTTP_X_CLIENT_IP",
        "HTTP_X_CLUSTER_CLIENT_IP",
        "HTTP_FASTLY_CLIENT_IP",
        "HTTP_X_ORIGINAL_FORWARDED_FOR",
    ],
)
def test_any_forwarding_header_from_an_untrusted_peer_is_not_local(header):
    """A reverse proxy on the same host connects from loopback on behalf of an outside client."""
    assert not request_is_local(_request("127.0.0.1", **{header: "127.0.0.1"}))


def test_the_named_headers_are_all_recognised():
    for header in ("HTTP_VIA", "HTTP_TRUE_CLIENT_IP", "HTTP_CF_CONNECTING_IP", "HTTP_FORWARDED"):
        assert header in FORWARDING_HEADERS


def test_a_trusted_proxy_is_believed_about_its_client(settings):
    settings.METRICS_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    # Prometheus on the proxy's host, relayed by the proxy: local
    assert request_is_local(_request("10.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.1"))
    # An outside client relayed by the same proxy: not local, whatever else it claims
    assert not request_is_local(_request("10.0.0.5", HTTP_X_FORWARDED_FOR=OUTSIDER))
    assert not request_is_local(
        _request("10.0.0.5", HTTP_X_FORWARDED_FOR=OUTSIDER, HTTP_TRUE_CLIENT_IP="127.0.0.1")
    )
    # A client cannot prepend "127.0.0.1": the rightmost address not of a trusted proxy is the client
    assert not request_is_local(_request("10.0.0.5", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {OUTSIDER}"))
    assert not request_is_local(_request("10.0.0.5", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {OUTSIDER}, 10.0.0.9"))
    # Through two trusted proxies from loopback: local
    assert request_is_local(_request("127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 10.0.0.9"))
    # A trusted proxy that does not say who the client is: not local (fail closed)
    assert not request_is_local(_request("10.0.0.5", HTTP_VIA="1.1 nginx"))
    assert not request_is_local(_request("10.0.0.5", HTTP_X_FORWARDED_FOR="unknown"))
    # A trusted proxy that is not itself on loopback, asking for itself: not local
    assert not request_is_local(_request("10.0.0.5"))
    # An untrusted peer's X-Forwarded-For is never read
    assert not request_is_local(_request("192.0.2.1", HTTP_X_FORWARDED_FOR="127.0.0.1"))


# --- /metrics -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_VIA", "HTTP_TRUE_CLIENT_IP", "HTTP_CF_CONNECTING_IP"])
def test_metrics_refuses_relayed_requests_from_loopback(client, header):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", **{header: OUTSIDER}).status_code == 403


@pytest.mark.django_db
def test_metrics_answers_a_loopback_client_behind_a_trusted_proxy(client, settings):
    settings.METRICS_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=OUTSIDER).status_code == 403


# --- /healthz -----------------------------------------------------------------------------------------------


@pytest.fixture
def broker_down(monkeypatch):
    # Nothing listens on port 9; patch both URLs because a started worker pins the write URL.
    for key in ("broker_url", "broker_write_url"):
        monkeypatch.setitem(celery_app.conf, key, "redis://127.0.0.1:9/0")


@pytest.mark.django_db
def test_healthz_hides_the_failure_text_from_outsiders(client, broker_down):
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDER)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"] == {"database": "ok", "broker": "fail"}
    assert "worker_heartbeat_age_seconds" in body
    assert "127.0.0.1" not in response.content.decode() and "Error" not in response.content.decode()
    # relayed by a proxy on this host: an outsider too
    relayed = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_VIA="1.1 proxy")
    assert relayed.json()["checks"]["broker"] == "fail"


@pytest.mark.django_db
def test_healthz_shows_the_failure_text_to_loopback_and_to_a_token(client, settings, broker_down):
    local = client.get("/healthz", REMOTE_ADDR="127.0.0.1").json()
    assert local["checks"]["broker"] not in ("ok", "fail")  # the exception text
    settings.HEALTHZ_TOKEN = "health-token"
    settings.METRICS_TOKEN = "metrics-token"
    for token in ("health-token", "metrics-token"):
        detailed = client.get("/healthz", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert detailed["checks"]["broker"] not in ("ok", "fail")
    wrong = client.get("/healthz", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 503 and wrong.json()["checks"]["broker"] == "fail"


def test_a_malformed_trusted_proxy_entry_trusts_no_one(settings):
    settings.METRICS_TRUSTED_PROXIES = ["not-a-network", "10.0.0.5"]
    assert not request_is_local(_request("192.0.2.1", HTTP_X_FORWARDED_FOR="127.0.0.1"))
    assert request_is_local(_request("10.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.1"))
