"""Load test of the public pages: 50 citizens browsing the catalogue and looking up their dossiers.

Run with ``make loadtest`` (scripts/loadtest.sh): it boots gunicorn on loopback over PostgreSQL + Redis
with the demo province, writes the dossiers to look up to ``$LOAD_DATA`` and runs this file headless for a
bounded time. Target (issue 5): p95 < 200 ms and no errors for lookup + catalogue.

Each simulated citizen has its own address (``X-Real-IP``; the server trusts it only because the load test
sets ``RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP``, as a deployment behind a proxy does), so the per-IP rate
limits stay on at their production values and are exercised, not switched off.
"""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

from locust import HttpUser, between, task

_DATA = json.loads(Path(os.environ["LOAD_DATA"]).read_text(encoding="utf-8"))
_ADDRESSES = iter(range(1, 1_000_000))
_LOCK = threading.Lock()
WORDS = ["hộ tịch", "khai sinh", "đất đai", "kinh doanh", "xây dựng", "giấy phép", "chứng thực", "đăng ký"]


class Citizen(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        with _LOCK:
            n = next(_ADDRESSES)
        self.client.headers["X-Real-IP"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    @task(3)
    def catalogue(self) -> None:
        self.client.get("/thu-tuc/", name="/thu-tuc/")

    @task(2)
    def catalogue_search(self) -> None:
        self.client.get("/thu-tuc/", params={"q": random.choice(WORDS)}, name="/thu-tuc/?q=")

    @task(3)
    def procedure(self) -> None:
        code = random.choice(_DATA["procedures"])
        self.client.get(f"/thu-tuc/{code}/", name="/thu-tuc/<code>/")

    @task(4)
    def lookup(self) -> None:
        code, verify = random.choice(_DATA["dossiers"])
        params = {"code": code, "verify": verify}
        name = "/tra-cuu/?code&verify"
        with self.client.get("/tra-cuu/", params=params, name=name, catch_response=True) as answer:
            if answer.status_code == 200 and code not in answer.text:
                answer.failure("the lookup did not show the dossier")
