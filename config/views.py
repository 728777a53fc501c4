"""Operational endpoints that belong to no single app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    return redirect("admin:index")


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
