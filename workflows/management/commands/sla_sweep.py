"""``manage.py sla_sweep [--now ISO]``: one SLA sweep by hand or from cron (architecture decision 4: every
periodic Celery sweep also has a command, so a province without a broker still gets its warnings)."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from workflows.services.sweep import sla_sweep_run


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: not an ISO 8601 moment: {value!r}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Notify SLA crossings (50%/75% of a step, due soon, overdue) once each, then fire viewflow timers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="sweep as of this moment (ISO 8601; naive = local time)")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")
        parser.add_argument("--no-timers", action="store_true", help="do not fire viewflow timers")

    def handle(self, *args, **opts) -> None:
        counts = sla_sweep_run(now=_parse_now(opts["now"]), fire_timers=not opts["no_timers"])
        if opts["json"]:
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
            return
        self.stdout.write(f"notified: {counts['notified']}")
        for threshold, n in counts["by_threshold"].items():
            self.stdout.write(f"  {threshold}: {n}")
        for key in ("candidates", "claimed", "no_recipient", "failed", "timers_fired", "seconds"):
            self.stdout.write(f"{key}: {counts[key]}")
