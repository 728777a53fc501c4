"""``manage.py demo_dossiers``: a few hundred demo dossiers in every state, loaded through the log replay.

Why through the replay: the demo must show what the engine really does (clocks, steps, SLA marks, audit
trail), so the generated log (:mod:`workflows.demo_log`) is written to ``VAR_DIR/demo/dossiers.csv`` and
replayed by :func:`workflows.services.event_log.event_log_replay`, the same code as ``dossiers_import``.
Idempotent: if demo dossiers already exist it does nothing. Needs the demo catalogue (``demo_seed``) first.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from procedures.models import Procedure
from procedures.selectors import version_in_force
from sla.services import calendar_for
from workflows.demo_log import DEMO_CODE_REGEX, DemoProcedure, demo_log_csv, demo_log_lines
from workflows.management.commands.dossiers_import import tqdm_on_tty
from workflows.models import Dossier
from workflows.routing import route_for_version
from workflows.services.event_log import EventLogError, event_log_replay, parse_aware

DEMO_AGENCY_PREFIX = "DEMO-"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Hữu", "Thanh", "Quang", "Bảo"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam"]
STREETS = ["Lê Lợi", "Trần Phú", "Nguyễn Huệ", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt"]


def demo_applicants(seed: int) -> int:
    """Give the replayed demo dossiers made-up applicants (the event log carries none).

    The public lookup needs a phone number or an ID to check the citizen's second factor, and the desk
    pages and slips need a name; these are invented, deterministic for a seed, and valid by domain §7.
    """
    rng = random.Random(seed)
    dossiers = list(Dossier.objects.filter(code__regex=DEMO_CODE_REGEX, applicant_name="").order_by("pk"))
    for dossier in dossiers:
        dossier.applicant_name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        province, gender_century, year = rng.randint(1, 96), rng.choice("0123"), rng.randint(0, 99)
        dossier.applicant_id_number = f"{province:03d}{gender_century}{year:02d}{rng.randint(0, 999999):06d}"
        dossier.applicant_phone = f"09{rng.randint(0, 99_999_999):08d}"
        dossier.applicant_address = f"Số {rng.randint(1, 300)} đường {rng.choice(STREETS)}"
    Dossier.objects.bulk_update(
        dossiers, ["applicant_name", "applicant_id_number", "applicant_phone", "applicant_address"], 500
    )
    return len(dossiers)


def demo_procedures(now) -> list[DemoProcedure]:
    """The demo catalogue's procedures in force at ``now``, as the generator needs them."""
    out = []
    day = timezone.localtime(now).date()
    procedures = Procedure.objects.filter(agency__code__startswith=DEMO_AGENCY_PREFIX).select_related(
        "agency"
    )
    for procedure in procedures.order_by("code"):
        version = version_in_force(procedure, day)
        if version is None:
            continue
        term = version.committed_term
        out.append(
            DemoProcedure(
                code=procedure.code,
                agency_code=procedure.agency.code,
                agency_e_id=procedure.agency.e_id,
                online=version.online_level != "none",
                steps=len(route_for_version(version)),
                term_amount=term.amount,
                term_unit=term.unit,
                cutoff=version.clock_cutoff or settings.SLA_DEFAULT_CUTOFF,
            )
        )
    return out


class Command(BaseCommand):
    help = "Generate and import demo dossiers (all lifecycle states, last ~90 days); skipped if present."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=300, help="number of dossiers (default 300)")
        parser.add_argument("--seed", type=int, default=2025, help="random seed (same seed, same log)")
        parser.add_argument("--now", help="ISO-8601 moment with offset to generate up to (default: now)")
        parser.add_argument(
            "--output", type=Path, help="where to write the log (default VAR_DIR/demo/dossiers.csv)"
        )

    def handle(self, *args, **opts) -> None:
        if Dossier.objects.filter(code__regex=DEMO_CODE_REGEX).exists():
            self.stdout.write("demo dossiers already loaded: nothing to do")
            return
        now = parse_aware(opts["now"]) if opts["now"] else timezone.now()
        procedures = demo_procedures(now)
        if not procedures:
            raise CommandError("Chưa có danh mục thủ tục demo: chạy manage.py demo_seed trước.")
        started = time.monotonic()
        lines = demo_log_lines(
            procedures, calendar=calendar_for(None), now=now, seed=opts["seed"], count=opts["count"]
        )
        path: Path = opts["output"] or settings.VAR_DIR / "demo" / "dossiers.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(demo_log_csv(lines), encoding="utf-8")
        generated = time.monotonic()
        try:
            summary = event_log_replay(path, progress=tqdm_on_tty(sys.stderr))
        except EventLogError as exc:
            raise CommandError(str(exc)) from None
        done = time.monotonic()
        demo_applicants(opts["seed"])
        self.stdout.write(str(summary))
        by_status = Counter(
            Dossier.objects.filter(code__regex=DEMO_CODE_REGEX).values_list("status", flat=True)
        )
        self.stdout.write("by status: " + ", ".join(f"{s} {n}" for s, n in sorted(by_status.items())))
        self.stdout.write(
            f"generated in {generated - started:.1f} s, "
            f"replayed {summary.rows} rows in {done - generated:.1f} s"
        )
        sample = Dossier.objects.filter(code__regex=DEMO_CODE_REGEX).exclude(status="draft").order_by("pk")
        for code, phone in sample.values_list("code", "applicant_phone")[:3]:
            self.stdout.write(f"try the public lookup: /tra-cuu/?code={code}&verify={phone[-4:]}")
