"""Benchmark: full dossier lifecycles through ``workflows.services`` vs a bare viewflow five-step flow.

Run from the repository root (``make bench`` runs it after the calendar benchmark)::

    .venv/bin/python bench/lifecycle.py [--n 200] [--repeat 2]

On the configured database (``DATABASE_URL``; SQLite by default) it creates a throw-away test database
(``test_<name>``, migrated), then, in the same run:

* **ours** — N dossiers of a procedure with five routed steps: receive (Mẫu 01, clock started, route
  snapshot, viewflow process started), four ``step_done`` (each closes the step's clock with its
  early/on-time/late mark, opens the next with its 50%/75% thresholds, appends an audit event and moves the
  viewflow task), ``decide`` by the fifth step's holder (completes it) and ``return_result`` at the desk:
  7 lifecycle transitions and 6 human viewflow tasks per dossier;
* **baseline** — N processes of a bare viewflow flow ``start → 5 View tasks → end`` (``bench/flows.py``),
  each task assigned, started and executed under viewflow's own lock: what viewflow alone costs for the
  same routing, with no clock, no audit and no state machine.

It prints dossiers/s, transitions/s and the ratio ours/baseline in dossiers per second (target ≥ 1.0×).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("MOTCUA_VAR_DIR", str(ROOT / "var" / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="dossiers (and baseline processes) per round")
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best round of each side counts")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return _run(args, settings)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _fixture():
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion

    root = Agency.objects.create(
        code="BENCH", name="Cơ quan benchmark", level="department", e_id="B00.000.00"
    )
    unit = Agency.objects.create(code="BENCH-P1", name="Phòng 1", level="unit", parent=root)
    # The desk must be one that may receive the procedure (Decree 118/2025): in the same tree.
    desk = Agency.objects.create(code="BENCH-DESK", name="Một cửa", level="department", parent=root)
    procedure = Procedure.objects.create(
        code="DEMO.900001", name="Thủ tục benchmark", level="province", agency=root
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        effective_from="2020-01-01",
        statutory_term_amount=10,
        statutory_term_unit="working_days",
        committed_term_amount=7,
        committed_term_unit="working_days",
    )
    roles = ["Lãnh đạo phòng", "Chuyên viên", "Lãnh đạo phòng", "Lãnh đạo Sở", "Văn thư"]
    for no, role in enumerate(roles, start=1):
        ProcedureStep.objects.create(
            version=version,
            step_no=no,
            name=f"Bước {no}",
            role=role,
            unit=unit,
            allotted_working_hours=Decimal("8"),
        )
    user = get_user_model().objects.create_user("bench")
    return procedure, desk, user


def _ours(procedure, desk, n: int) -> tuple[float, int]:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from workflows import services as svc

    t0 = datetime(2025, 9, 1, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    transitions = 0
    start = time.perf_counter()
    for i in range(n):
        at = t0 + timedelta(minutes=i)
        d = svc.dossier_receive(
            procedure=procedure,
            at=at,
            reception_agency=desk,
            applicant=svc.Applicant(),
            validate_applicant=False,
        )
        for k in range(4):
            d = svc.dossier_step_done(dossier=d, at=at + timedelta(hours=k + 1))
        # the fifth step's holder records the result: decide completes it
        d = svc.dossier_decide(dossier=d, outcome="approved", at=at + timedelta(hours=6))
        svc.dossier_return_result(dossier=d, at=at + timedelta(hours=7))
        transitions += 7
    return time.perf_counter() - start, transitions


def _baseline(user, n: int) -> float:
    from django.db import transaction
    from viewflow.workflow.status import STATUS

    from bench.flows import FiveStepFlow

    start = time.perf_counter()
    for _ in range(n):
        with transaction.atomic():
            process = FiveStepFlow.start.run()
        while True:
            task = process.task_set.filter(flow_task_type="HUMAN", status=STATUS.NEW).first()
            if task is None:
                break
            with FiveStepFlow.lock(process.pk), transaction.atomic():
                activation = task.flow_task.activation_class(task)
                activation.assign(user)
                activation.start(None)
                activation.execute()
    return time.perf_counter() - start


def _run(args, settings) -> int:
    from django.db import connection

    procedure, desk, user = _fixture()
    vendor = connection.vendor
    print(f"database: {vendor} ({settings.DATABASES['default']['NAME']}), n={args.n}, repeat={args.repeat}")
    best_ours = best_base = float("inf")
    transitions = 0
    for r in range(args.repeat):
        base = _baseline(user, args.n)
        ours, transitions = _ours(procedure, desk, args.n)
        print(f"  round {r + 1}: ours {ours:.2f} s, bare viewflow {base:.2f} s")
        best_ours, best_base = min(best_ours, ours), min(best_base, base)
    ours_dps, base_dps = args.n / best_ours, args.n / best_base
    print(f"ours:          {ours_dps:8.1f} dossiers/s  {transitions / best_ours:8.1f} transitions/s")
    print(f"bare viewflow: {base_dps:8.1f} processes/s ({6 * args.n / best_base:8.1f} task completions/s)")
    print(f"ratio ours/bare viewflow (dossiers/s): {ours_dps / base_dps:.2f}× (target ≥ 1.0×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
