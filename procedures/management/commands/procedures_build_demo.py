"""``manage.py procedures_build_demo``: regenerate procedures/demo/*.csv from the shared reference data."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from procedures.reference import DEMO_DIR, PROCEDURES_FILE, STEPS_FILE, convert_reference, write_conversion


class Command(BaseCommand):
    # A plain string: argparse formats the description with a regex, which a lazy translation breaks.
    help = (
        "Rebuild the demo catalogue (procedures/demo/agencies.csv, procedures.csv, steps.csv) from the "
        "published reference data in shared/data, printing every row that was skipped and why. The mapping "
        "rules are documented in procedures/reference.py."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--shared",
            type=Path,
            default=settings.BASE_DIR.parent / "shared" / "data",
            help=_(
                "folder holding procedures_reference.csv and steps_reference.csv (default: ../shared/data)"
            ),
        )
        parser.add_argument(
            "--out", type=Path, default=DEMO_DIR, help=_("output folder (default: procedures/demo)")
        )

    def handle(self, *args, **options) -> None:
        shared: Path = options["shared"]
        for name in (PROCEDURES_FILE, STEPS_FILE):
            if not (shared / name).exists():
                raise CommandError(f"{shared / name} not found; pass --shared DIR")
        conversion = convert_reference(shared)
        paths = write_conversion(conversion, options["out"])
        if conversion.skipped:
            self.stdout.write(f"skipped ({len(conversion.skipped)}):")
            for skipped in conversion.skipped:
                self.stdout.write(f"  {skipped}")
        for path in paths:
            self.stdout.write(f"wrote {path}")
        self.stdout.write(self.style.SUCCESS(conversion.summary()))
