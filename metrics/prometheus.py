"""The ``/metrics`` endpoint Prometheus scrapes (issue 4).

Access: when ``METRICS_TOKEN`` is set, a scrape must send ``Authorization: Bearer <token>`` (compared in
constant time), from anywhere. Without a token only requests from this host are answered, by the rule of
:mod:`metrics.trust` (loopback and not relayed by a proxy, or relayed by a proxy listed in
``METRICS_TRUSTED_PROXIES`` for a loopback client): a reverse proxy on the same host would otherwise make
every outside client look local.

Several processes: prometheus-client keeps each process's instruments apart. When
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn with several workers, Celery workers — see
``config/gunicorn.conf.py`` and ``scripts/run.sh``) every process writes its values to files in that
directory and the answer merges them with ``MultiProcessCollector``, so it does not depend on which worker
Prometheus reached and includes what the Celery workers counted. Otherwise the process's own default
registry is answered. In both cases the database collector (:mod:`metrics.collectors`) is added.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from metrics.collectors import business_collector
from metrics.trust import bearer_token_matches, request_is_local


class _Union:
    """Collectors answered together without registering the database collector in the global registry."""

    def __init__(self, *collectors: Collector | CollectorRegistry) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator:
        for collector in self._collectors:
            yield from collector.collect()


@functools.lru_cache(maxsize=4)
def _multiprocess_registry(path: str) -> CollectorRegistry:
    """One registry per directory: the multiprocess files are re-read at every collect."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    registry.register(business_collector)
    return registry


def metrics_source() -> CollectorRegistry | _Union:
    """What a scrape answers, chosen per request (the environment decides the mode)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        return _multiprocess_registry(path)
    return _Union(REGISTRY, business_collector)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    token = getattr(settings, "METRICS_TOKEN", "") or ""
    if token:
        if bearer_token_matches(request, token):
            return None
        response = HttpResponse("bearer token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request_is_local(request):
        return None
    return HttpResponse(
        "metrics are served to loopback clients only unless METRICS_TOKEN is set\n",
        status=403,
        content_type="text/plain",
    )


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus (or OpenMetrics, if asked for) exposition of engine instruments and business gauges."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(metrics_source()), content_type=content_type)
