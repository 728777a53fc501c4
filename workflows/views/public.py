"""Public pages about one dossier (no login): lookup, rating, PAKN."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's answer when a public page is asked too often (429, in Vietnamese)."""
    return render(request, "public/rate_limited.html", status=429)
