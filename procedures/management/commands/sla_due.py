"""``manage.py sla_due``: the due moment of a term, as the engine computes it (domain §2.2–2.3).

It lives in ``procedures`` rather than ``sla`` because ``--agency`` resolves an agency of the
catalogue (its own office hours and closures, and those of the agencies above it), and ``sla``
must not know the catalogue.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from procedures.models import Agency
from sla.calendar import CalendarOutOfRange, Cutoff, Unit
from sla.services import calendar_for


def _amount(raw: str, flag: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise CommandError(f"{flag}: cannot parse term {raw!r}; expected a number such as 5 or 0.5") from None
    if not value.is_finite() or value < 0:
        raise CommandError(f"{flag}: the term must be a non-negative number, got {raw!r}")
    return value


def _start(raw: str) -> datetime:
    try:
        start = datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            f"--start: cannot parse {raw!r}; expected ISO-8601 "
            "such as 2025-04-25T16:30 or 2025-04-25T16:30+07:00"
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return start


class Command(BaseCommand):
    help = (
        "Print the due moment (ISO-8601 with offset) of a term started at --start; --explain lists the rules."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--start", required=True, help="receipt moment, ISO-8601; no offset = Asia/Ho_Chi_Minh"
        )
        term = parser.add_mutually_exclusive_group(required=True)
        term.add_argument(
            "--working-days", metavar="N", help="term in working days (fractions allowed, 0 = same day)"
        )
        term.add_argument("--working-hours", metavar="N", help="term in working hours")
        term.add_argument(
            "--calendar-days", metavar="N", help="term in calendar days (Civil Code Art 148 k5 roll)"
        )
        parser.add_argument(
            "--cutoff",
            choices=[c.value for c in Cutoff],
            default=None,
            help=f"receipt cut-off rule (default {settings.SLA_DEFAULT_CUTOFF})",
        )
        parser.add_argument("--agency", metavar="CODE", help="use this agency's office hours and closures")
        parser.add_argument(
            "--explain", action="store_true", help="list every rule that moved the due moment"
        )

    def handle(self, *args, **opts) -> None:
        if opts["working_days"] is not None:
            unit, amount = Unit.WORKING_DAYS, _amount(opts["working_days"], "--working-days")
        elif opts["working_hours"] is not None:
            unit, amount = Unit.WORKING_HOURS, _amount(opts["working_hours"], "--working-hours")
        else:
            unit, amount = Unit.CALENDAR_DAYS, _amount(opts["calendar_days"], "--calendar-days")
        start = _start(opts["start"])
        agency = None
        if opts["agency"]:
            agency = Agency.objects.filter(code=opts["agency"]).first()
            if agency is None:
                raise CommandError(f"--agency: unknown agency code {opts['agency']!r}")
        cutoff = Cutoff(opts["cutoff"] or settings.SLA_DEFAULT_CUTOFF)
        calendar = calendar_for(agency)
        try:
            due, rules = calendar.explain(start, amount, unit, cutoff=cutoff)
        except CalendarOutOfRange as exc:
            raise CommandError(str(exc)) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(due.replace(microsecond=0).isoformat())
        if opts["explain"]:
            for rule in rules:
                self.stdout.write(f"- [{rule.kind}] {rule.text}")
