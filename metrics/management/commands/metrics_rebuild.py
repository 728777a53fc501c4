"""``manage.py metrics_rebuild [--from YYYY-MM-DD]``: recount the monthly rollups from scratch.

Why: after a bulk load, a restore, a formula change or a calendar correction, the incremental rollups may
no longer match the facts; this recounts every month (one grouped query per month) in one transaction, so
readers see either the old rollups or the new ones, never a mix.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.rollups import rollups_rebuild, scores_refresh


class Command(BaseCommand):
    help = "Rebuild the indicator rollups (per agency × procedure × month) from the dossiers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="since", help="first month to recount (YYYY-MM-DD); default: all")

    def handle(self, *args, **opts) -> None:
        since = None
        if opts["since"]:
            try:
                since = date.fromisoformat(opts["since"]).replace(day=1)
            except ValueError:
                raise CommandError(f"“{opts['since']}” không phải ngày dạng YYYY-MM-DD.") from None
        progress = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            def progress(months):
                return tqdm(months, unit="tháng", file=sys.stderr)

        started = time.monotonic()
        done = rollups_rebuild(since=since, progress=progress)
        scores = scores_refresh()
        self.stdout.write(
            f"Đã tính lại {done['rows']} dòng tổng hợp của {done['months']} tháng (từ {done['from']}), "
            f"{scores} cơ quan cho Prometheus, trong {time.monotonic() - started:.1f} giây."
        )
