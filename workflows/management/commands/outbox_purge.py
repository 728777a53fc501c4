"""``manage.py outbox_purge``: delete acknowledged outbox rows past ``OUTBOX_RETENTION_DAYS`` (90);
never pending or dead ones.

See :mod:`workflows.services.retention`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from workflows.services.retention import outbox_purge, purge_actor


class Command(BaseCommand):
    help = (
        "Xóa sự kiện đồng bộ đã được xác nhận quá thời hạn lưu (mặc định 90 ngày); không "
        "xóa lượt gửi còn chờ hoặc lỗi."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = outbox_purge(by=purge_actor("manage.py outbox_purge"))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"outbox_purge: {run.deleted} bản ghi trước {run.cutoff:%Y-%m-%d %H:%M} UTC đã xóa "
            f"(lưu {run.retention_days} ngày)."
        )
