"""``manage.py procedures_import``: load a procedure catalogue from CSV or xlsx (thin: the work is a
service)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from procedures.catalogue_format import AGENCY_COLUMNS, PROCEDURE_COLUMNS, STEP_COLUMNS
from procedures.choices import AgencyLevel, OnlineLevel, ProcedureLevel, TermUnit
from procedures.services import CatalogueImportError, catalogue_import

HELP = f"""Import agencies, procedures (one row per version) and internal steps.

Files: .csv (UTF-8, a byte-order mark is accepted) or .xlsx. A single .xlsx given as PROCEDURES may hold the
sheets 'agencies', 'procedures' and 'steps' (its 'procedures' sheet, or else its first sheet, is read as
procedures); a separate .xlsx given with --steps or --agencies is read from its sheet named after the kind, or
else its first sheet. A file given with --steps/--agencies wins over a sheet of the same name.

Columns (all required in the header, extra columns are ignored):
  agencies:   {",".join(AGENCY_COLUMNS)}
  procedures: {",".join(PROCEDURE_COLUMNS)}
  steps:      {",".join(STEP_COLUMNS)}
  optional:   steps.deciding (true|false, empty = false: the last processing step decides)

Values:
  code            national code d.dddddd (no local suffix such as .H38) or a demo code DEMO.dddddd
  agency level    {"|".join(AgencyLevel.values)}
  procedure level {"|".join(ProcedureLevel.values)}
  *_unit          {"|".join(TermUnit.values)} (steps: working_days|working_hours only)
  *_time          non-negative decimal, '.' or ',' as decimal separator (quote "0,5" in a CSV)
  committed_time  empty = same as the statutory term; an empty unit next to a time = the statutory unit
  online_time     empty = online dossiers use the committed term
  online_level    {"|".join(OnlineLevel.values)} (empty = none)
  full_online_eligible  true|false|1|0|yes|no (empty = false)
  fees_vnd        whole đồng (250000 or 250.000), empty = unknown, 0 = free
  effective_from  YYYY-MM-DD
  allotted_time   empty = step not counted ("không tính thời gian"); stored in working hours (1 day = 8 h)

Keys: agencies by code; versions by (code, effective_from); steps by (code, effective_from, step_no). A row
with a new effective_from adds a version and closes the previous one the day before; a row with an existing
effective_from updates that version. The steps of every (code, effective_from) present in the steps file
replace that version's steps; versions absent from it keep theirs. Re-importing the same files changes
nothing.

Every problem of every row is reported as '<file> line N, column C: reason' and nothing is written unless all
files are valid (one transaction). Steps longer than their version's committed term are reported on the step
line where the running total first exceeds it.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("procedures", type=Path, help=_("procedures file (.csv or .xlsx)"))
        parser.add_argument("--steps", type=Path, help=_("steps file (.csv or .xlsx)"))
        parser.add_argument("--agencies", type=Path, help=_("agencies file (.csv or .xlsx)"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("validate and count the changes, write nothing")
        )

    def handle(self, *args, **options) -> None:
        try:
            report = catalogue_import(
                procedures=options["procedures"],
                steps=options["steps"],
                agencies=options["agencies"],
                dry_run=options["dry_run"],
            )
        except CatalogueImportError as exc:
            count = len(exc.issues)
            raise CommandError(
                f"{count} problem(s) found; nothing was imported:\n" + "\n".join(str(i) for i in exc.issues)
            ) from None
        for line in report.lines():
            self.stdout.write(line)
