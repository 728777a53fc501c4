"""``manage.py procedures_export``: write the catalogue in the import format (CSV folder or one xlsx)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from procedures.services import CatalogueExportError, catalogue_export


class Command(BaseCommand):
    # A plain string: argparse formats the description with a regex, which a lazy translation breaks.
    help = (
        "Export agencies, procedures and steps in the format procedures_import reads. A path ending in .xlsx "
        "gets one workbook with the sheets agencies, procedures and steps; any other path is a folder that "
        "receives agencies.csv, procedures.csv and steps.csv."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", type=Path, help=_("output folder, or a file name ending in .xlsx"))
        parser.add_argument(
            "--agency", metavar="CODE", help=_("only the procedures of this agency and the agencies below it")
        )

    def handle(self, *args, **options) -> None:
        try:
            report = catalogue_export(target=options["target"], agency_code=options["agency"])
        except CatalogueExportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(report))
