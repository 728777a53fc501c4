"""``manage.py idempotency_purge``: delete idempotency keys past ``IDEMPOTENCY_KEY_RETENTION_DAYS`` (7).

See :mod:`workflows.services.retention`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from workflows.services.retention import idempotency_keys_purge, purge_actor


class Command(BaseCommand):
    help = "Xóa khóa idempotency quá thời hạn lưu (mặc định 7 ngày)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = idempotency_keys_purge(by=purge_actor("manage.py idempotency_purge"))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"idempotency_purge: {run.deleted} bản ghi trước {run.cutoff:%Y-%m-%d %H:%M} UTC đã xóa "
            f"(lưu {run.retention_days} ngày)."
        )
