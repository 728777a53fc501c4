"""``manage.py access_log_purge``: delete personal-data access-log rows past their retention
(``PERSONAL_DATA_ACCESS_RETENTION_DAYS``, at least 730); each run is logged.

See :mod:`workflows.services.retention`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from workflows.services.retention import access_log_purge, purge_actor


class Command(BaseCommand):
    help = (
        "Xóa nhật ký truy cập dữ liệu cá nhân quá thời hạn lưu (ít nhất 730 ngày); mỗi lần xóa được ghi lại."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = access_log_purge(by=purge_actor("manage.py access_log_purge"))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"access_log_purge: {run.deleted} bản ghi trước {run.cutoff:%Y-%m-%d %H:%M} UTC đã xóa "
            f"(lưu {run.retention_days} ngày)."
        )
