"""``manage.py outbox_deliver [--limit N] [--json]``: one outbox delivery run by hand or from cron.

Architecture decision 4: every periodic Celery sweep also has a command, so a province without a broker
still syncs to the national portal. Safe to run while workers deliver too (rows are claimed, not shared).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from workflows.services.outbox import outbox_backlog, outbox_deliver_due


class Command(BaseCommand):
    help = "Send the due outbox events to the subscribers (webhooks); print what happened and what is left."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most N attempts (OUTBOX_BATCH)")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")

    def handle(self, *args, **opts) -> None:
        counts = outbox_deliver_due(limit=opts["limit"])
        counts["backlog"] = outbox_backlog()
        if opts["json"]:
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
            return
        for key in ("delivered", "failed", "dead", "skipped", "errors", "rounds", "seconds"):
            self.stdout.write(f"{key}: {counts[key]}")
        self.stdout.write("backlog: " + ", ".join(f"{k} {v}" for k, v in counts["backlog"].items()))
