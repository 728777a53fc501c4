"""Operational endpoints that belong to no single app."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from config.celery_app import app as celery_app
from config.tasks import HEARTBEAT_KEY
from metrics.trust import bearer_token_matches, request_is_local


def home(request: HttpRequest) -> HttpResponse:
    return redirect("admin:index")


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not reachable" for a load balancer
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 otherwise (for load balancers).

    The worker heartbeat age is reported but does not fail the check: a web node must stay in
    rotation while workers restart.

    Why a failed check says only "fail" to most callers: the driver's exception text names hosts, ports,
    database and user names — reconnaissance for an attacker (TCVN 11930:2017 asks that error messages not
    disclose system details). The text is shown to this host (:func:`metrics.trust.request_is_local`) and
    to a caller with ``Authorization: Bearer <HEALTHZ_TOKEN or METRICS_TOKEN>``; the JSON keys are the same.
    """
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(v is None for v in checks.values())
    beat = cache.get(HEARTBEAT_KEY)
    detailed = request_is_local(request) or bearer_token_matches(
        request, getattr(settings, "HEALTHZ_TOKEN", ""), getattr(settings, "METRICS_TOKEN", "")
    )
    body = {
        "status": "ok" if ok else "fail",
        "checks": {k: ("ok" if v is None else (v if detailed else "fail")) for k, v in checks.items()},
        "worker_heartbeat_age_seconds": round(time.time() - beat, 1) if beat else None,
    }
    return JsonResponse(body, status=200 if ok else 503)
