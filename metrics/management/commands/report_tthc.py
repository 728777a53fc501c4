"""``manage.py report_tthc --agency CODE [--include-children] --from D --to D --by unit|field -o FILE.xlsx``.

Why a command: the periodic TT 01/2020 report (domain §6.3) is due every month, quarter and year; a
scheduler (or an officer without a browser) writes the very file the dashboard's download button gives,
from :func:`metrics.reports.report_xlsx` — the invariants are checked before the file is written.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.indicators import IndicatorError, Period, scope_for
from metrics.reports import check_invariants, report_rows, rows_xlsx


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” không phải ngày dạng YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Báo cáo tình hình, kết quả giải quyết TTHC (TT 01/2020/TT-VPCP) ra tệp Excel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="mã cơ quan (Agency.code)")
        parser.add_argument("--include-children", action="store_true", help="gồm cả các đơn vị trực thuộc")
        parser.add_argument("--from", dest="start", required=True, help="từ ngày YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="đến ngày YYYY-MM-DD")
        parser.add_argument(
            "--by", choices=("unit", "field"), default="unit", help="theo đơn vị (06a) hoặc lĩnh vực (07a)"
        )
        parser.add_argument("-o", "--output", required=True, type=Path, help="tệp .xlsx sẽ ghi")

    def handle(self, *args, **opts) -> None:
        start, end = _date(opts["start"]), _date(opts["end"])
        try:
            period = Period(start, end)
            scope = scope_for(opts["agency"], include_children=opts["include_children"])
            rows = report_rows(scope, period, opts["by"])
            check_invariants(rows)
            data = rows_xlsx(rows, scope, period, opts["by"])
        except IndicatorError as exc:
            raise CommandError(str(exc)) from None
        except ValueError as exc:  # a broken identity: never write the file
            raise CommandError(str(exc)) from None
        path: Path = opts["output"]
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp {path}: {exc}") from None
        total = rows[-1]
        self.stdout.write(
            f"{path}: {scope.agency.code} {start:%d/%m/%Y}–{end:%d/%m/%Y}, {len(rows) - 1} dòng "
            f"({'đơn vị' if opts['by'] == 'unit' else 'lĩnh vực'}); nhận {total['received_total']}, "
            f"đã giải quyết {total['resolved_total']}, đang giải quyết {total['in_progress_total']}."
        )
