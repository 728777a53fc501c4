"""``manage.py audit_verify [--dossier CODE] [--since DAYS]``: recompute the hash chains of the event log.

Prints the first broken link of each dossier (dossier code, event number and id, what is wrong) on stderr and
exits with status 1; with every chain intact, prints one summary line and exits 0. See
:mod:`workflows.services.audit`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from workflows.services.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Kiểm tra chuỗi băm của nhật ký sự kiện hồ sơ; mã thoát khác 0 nếu có liên kết bị phá vỡ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossier", metavar="CODE", help="chỉ kiểm tra hồ sơ này")
        parser.add_argument(
            "--since", metavar="DAYS", type=int, help="chỉ các hồ sơ có sự kiện trong DAYS ngày gần đây"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options.get("since")
        if days is not None and days < 0:
            raise CommandError("--since must be a number of days ≥ 0")
        since = timezone.now() - timedelta(days=days) if days is not None else None
        report = audit_chain_verify(dossier_code=options.get("dossier"), since=since)
        for link in report.broken:
            self.stderr.write(str(link))
        if not report.ok:
            raise CommandError(
                f"audit_verify: {len(report.broken)}/{report.dossiers} hồ sơ có chuỗi băm bị phá vỡ "
                f"({report.events} sự kiện đã kiểm tra).",
                returncode=1,
            )
        self.stdout.write(
            f"audit_verify: {report.dossiers} hồ sơ, {report.events} sự kiện, chuỗi băm nguyên vẹn."
        )
