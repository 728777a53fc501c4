"""``manage.py outbox_replay``: send outbox events again — after a subscriber's outage ran its deliveries into
the dead-letter state, or to a subscriber added later (``--missing``).

Re-delivering an event that was already acknowledged is allowed: subscribers deduplicate by event id
(``X-Motcua-Event-Id``). The order per dossier still holds: a replayed event holds back the later ones.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.models import Subscriber
from workflows.services.outbox import REPLAY_STATUSES, outbox_replay


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since: not a date YYYY-MM-DD: {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Reset matching deliveries to pending (0 attempts, due now); with --missing also create the "
        "deliveries a subscriber never had. Prints how many."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscriber", help="only this subscriber (its name)")
        parser.add_argument("--dossier", help="only this dossier (its code, mã hồ sơ)")
        parser.add_argument("--since", help="only events written to the outbox on or after this local date")
        parser.add_argument(
            "--status", choices=sorted(REPLAY_STATUSES), default="dead", help="which deliveries (dead)"
        )
        parser.add_argument(
            "--missing",
            action="store_true",
            help="also create deliveries of past events for subscribers that never had them",
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")

    def handle(self, *args, **opts) -> None:
        name = opts["subscriber"]
        if name and not Subscriber.objects.filter(name=name).exists():
            raise CommandError(f"--subscriber: no subscriber named {name!r}")
        counts = outbox_replay(
            subscriber=name,
            dossier_code=opts["dossier"],
            since=_parse_date(opts["since"]),
            status=opts["status"],
            missing=opts["missing"],
            dry_run=opts["dry_run"],
        )
        prefix = "would reset" if opts["dry_run"] else "reset"
        self.stdout.write(f"{prefix}: {counts['reset']}")
        if opts["missing"]:
            self.stdout.write(f"{'would create' if opts['dry_run'] else 'created'}: {counts['created']}")
