"""``manage.py dossier_show CODE [--format json|text]``: one dossier as the JSON of issue 3, or for a human.

Why: support staff and scripts (tests, the replay's users) need the dossier's clock, marks and audit trail
without the web UI; the JSON is :func:`workflows.selectors.dossier_as_json` so the keys stay in one place.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from workflows.selectors import dossier_as_json, dossier_by_code
from workflows.services.event_log import parse_aware


def _text(data: dict) -> str:
    lines = [f"{key}: {'-' if value is None else value}" for key, value in data.items() if key != "events"]
    lines.append("events:")
    for e in data["events"]:
        detail = f" — {e['detail']}" if e["detail"] else ""
        lines.append(
            f"  {e['seq']:>3}. {e['at']}  {e['event']:<18} {e['from_status']} → {e['to_status']}"
            f"  ({e['actor']}){detail}"
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Show one dossier (by code): state, clock, SLA mark and events, as JSON or text."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="dossier code (mã hồ sơ)")
        parser.add_argument("--format", choices=["json", "text"], default="json")
        parser.add_argument(
            "--now",
            help="judge the SLA state as of this ISO-8601 moment with offset (default: now)",
        )

    def handle(self, *args, **opts) -> None:
        dossier = dossier_by_code(opts["code"])
        if dossier is None:
            raise CommandError(f"Không có hồ sơ mã {opts['code']}.")
        try:
            now = parse_aware(opts["now"]) if opts["now"] else timezone.now()
        except ValueError as exc:
            raise CommandError(f"--now: {exc}") from None
        data = dossier_as_json(dossier, now=now)
        if opts["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(_text(data))
