"""``manage.py dossiers_import FILE.csv``: replay a dossier event log, all or nothing.

Why a command: migrations from a legacy one-stop system and the demo data arrive as logs; the replay itself
is :func:`workflows.services.event_log.event_log_replay` (the same lifecycle services as the desk). Exit
status is non-zero, and nothing of the file is written, when any line is refused; each error reads
``FILE line N: reason``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.services.event_log import EventLogError, event_log_replay


def tqdm_on_tty(stream):
    """A tqdm wrapper when ``stream`` is a terminal, else None (no progress noise in logs and CI)."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    from tqdm import tqdm

    return lambda rows: tqdm(rows, unit="dòng", file=stream)


class Command(BaseCommand):
    help = (
        "Replay a dossier event log (CSV: dossier_code,procedure_code,agency_code,channel,event,at,actor,"
        "detail) through the lifecycle; the whole file or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV event log, UTF-8, header row required")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every event, then roll back (nothing is written)"
        )

    def handle(self, *args, **opts) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: không tìm thấy tệp.")
        try:
            summary = event_log_replay(path, dry_run=opts["dry_run"], progress=tqdm_on_tty(sys.stderr))
        except EventLogError as exc:
            raise CommandError(str(exc)) from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: không đọc được theo mã UTF-8 ({exc}).") from None
        self.stdout.write(str(summary))
