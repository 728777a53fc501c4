"""Login throttling (django-axes) hooks: which address a login comes from, and the Vietnamese lockout page."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The client address for login throttling: the header named by RATELIMIT_IP_META_KEY behind a proxy
    (the one the public pages' rate limits read, set by the proxy), REMOTE_ADDR otherwise.

    An IPv6 address is cut to its network (RATELIMIT_IPV6_MASK, default /64, as django-ratelimit does): one
    subscriber holds a whole /64, and counted per address it could try a password from each of 2^64 of them.
    """
    key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
    address = request.META.get(key) or request.META.get("REMOTE_ADDR")
    if not address or ":" not in address:
        return address
    try:
        mask = getattr(settings, "RATELIMIT_IPV6_MASK", 64)
        return str(ipaddress.ip_network(f"{address.strip()}/{mask}", strict=False).network_address)
    except ValueError:  # not an address: counted as given
        return address


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with the lockout page (how long, whom to ask), instead of django-axes' English one-liner."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(cooloff.total_seconds() // 60) if cooloff else 0,
    }
    return render(request, "registration/locked_out.html", context, status=429)
