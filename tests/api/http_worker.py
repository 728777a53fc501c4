"""A client process of the concurrent idempotency test: standard library only (it runs under ``spawn``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def post_when_released(url: str, key: str, api_key: str, body: dict, barrier, results) -> None:
    """Wait for every worker, then POST at once; report (status, dossier code, replayed)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Api-Key {api_key}",
            "Idempotency-Key": key,
        },
    )
    barrier.wait(timeout=60)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
            results.put((response.status, payload.get("code"), response.headers.get("Idempotent-Replayed")))
    except urllib.error.HTTPError as exc:
        results.put((exc.code, exc.read().decode()[:500], None))
    except Exception as exc:  # reported to the test, which fails with it
        results.put((0, repr(exc), None))
