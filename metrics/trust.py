"""Whether a request comes from this host: the one rule behind ``/metrics`` access and ``/healthz`` details.

Operational endpoints answer more to the host itself (Prometheus or a health probe on the same machine)
than to the world. "From this host" cannot be read off ``REMOTE_ADDR`` alone: a reverse proxy on the same
machine connects from loopback on behalf of every outside client. So the rule is:

1. ``REMOTE_ADDR`` is loopback and the request carries **no forwarding header** (``Forwarded``, any
   ``X-Forwarded-*``, ``X-Real-IP``, ``Via``, ``True-Client-IP``, ``CF-Connecting-IP`` and the other
   client-address headers in :data:`FORWARDING_HEADERS`) → local;
2. otherwise, when ``REMOTE_ADDR`` is one of the trusted proxies (setting ``METRICS_TRUSTED_PROXIES``: IP
   addresses or networks, default none) and the request has forwarding headers, the client is the proxy's
   ``X-Forwarded-For`` read from the right, skipping the trusted proxies themselves (a client can write
   anything at the left of that header, only the proxies append to its right); local when that client is
   loopback. A trusted proxy that names no client, or names something that is not an address, is not
   believed;
3. anything else → not local.

Client-address headers other than ``X-Forwarded-For`` (``True-Client-IP``, ``X-Real-IP``…) are never
believed: a proxy that does not strip them would pass a client's own value through.

Lives in ``metrics`` (below ``config`` in the layer order) so both ``metrics.prometheus`` and
``config.views`` use it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers (as Django's META keys) by which proxies and CDNs say a request was relayed or for whom. Any
# ``HTTP_X_FORWARDED_*`` header also counts (see ``_relayed``).
FORWARDING_HEADERS: frozenset[str] = frozenset(
    {
        "HTTP_FORWARDED",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_REAL_IP",
        "HTTP_VIA",
        "HTTP_TRUE_CLIENT_IP",
        "HTTP_CF_CONNECTING_IP",
        "HTTP_X_CLIENT_IP",
        "HTTP_CLIENT_IP",
        "HTTP_X_CLUSTER_CLIENT_IP",
        "HTTP_FASTLY_CLIENT_IP",
        "HTTP_X_ORIGINAL_FORWARDED_FOR",
        "HTTP_X_ORIGINATING_IP",
        "HTTP_X_REMOTE_IP",
        "HTTP_X_REMOTE_ADDR",
        "HTTP_X_PROXYUSER_IP",
        "HTTP_X_ENVOY_EXTERNAL_ADDRESS",
    }
)


def _address(text: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _is_loopback(ip: IPAddress | None) -> bool:
    return ip is not None and ip.is_loopback


def _networks(entries: Iterable[str]) -> list[IPNetwork]:
    networks: list[IPNetwork] = []
    for entry in entries:
        if not entry or not entry.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:  # a typo must not open the door nor break the endpoint: that entry trusts no one
            logger.warning("METRICS_TRUSTED_PROXIES: %r is not an IP address or network; ignored", entry)
    return networks


def _trusted(ip: IPAddress | None, networks: list[IPNetwork]) -> bool:
    return ip is not None and any(ip.version == net.version and ip in net for net in networks)


def _relayed(meta: dict) -> bool:
    return any(
        value and (key in FORWARDING_HEADERS or key.startswith("HTTP_X_FORWARDED_"))
        for key, value in meta.items()
    )


def request_is_local(request: HttpRequest) -> bool:
    """True when the request comes from this host by the rule of the module docstring."""
    peer = _address(request.META.get("REMOTE_ADDR", "") or "")
    if not _relayed(request.META):
        return _is_loopback(peer)
    proxies = _networks(getattr(settings, "METRICS_TRUSTED_PROXIES", []) or [])
    if not _trusted(peer, proxies):
        return False
    chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not chain:
        return False
    addresses = [_address(part) for part in chain]
    if any(ip is None for ip in addresses):
        return False
    untrusted = [ip for ip in addresses if not _trusted(ip, proxies)]
    client = untrusted[-1] if untrusted else addresses[0]
    return _is_loopback(client)


def bearer_token_matches(request: HttpRequest, *tokens: str) -> bool:
    """``Authorization: Bearer <t>`` with ``t`` equal to one of the non-empty ``tokens`` (constant time)."""
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    presented = given.strip().encode()
    return any(token and hmac.compare_digest(presented, token.encode()) for token in tokens)
