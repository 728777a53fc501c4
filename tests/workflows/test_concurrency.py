"""Several processes transitioning the same dossiers at once on PostgreSQL: no lost or illegal transition.

Each worker process loads the dossiers fresh and fires step_done / request_payment / payment_done / decide
at them as fast as it can. Locking (row lock + revision check + django-fsm's state check) must make every
accepted transition legal and recorded exactly once: the audit trail of each dossier is a gap-free chain
whose ``from_status`` is always the previous event's ``to_status``, the worker-side success count equals
the events written, and viewflow holds at most one open task, matching the current step.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from viewflow.workflow.status import STATUS

from procedures.models import Agency, Procedure
from procedures.services import catalogue_load_demo
from workflows import services as svc
from workflows.flows import process_of
from workflows.models import Dossier, DossierEvent
from workflows.roles import role_groups_sync

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
DOSSIERS = 6

WORKER = r"""
import json, random, sys
import django
django.setup()
from django.db import OperationalError
from workflows import services as svc
from workflows.models import Dossier
codes, seed = json.loads(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
ok = {c: 0 for c in codes}
refused = 0
for _ in range(40):
    code = rng.choice(codes)
    d = Dossier.objects.get(code=code)
    action = rng.choice(["step_done", "step_done", "step_done", "request_payment", "payment_done", "decide"])
    try:
        if action == "step_done":
            svc.dossier_step_done(dossier=d, actor=f"w{seed}")
        elif action == "request_payment":
            svc.dossier_request_payment(dossier=d, actor=f"w{seed}")
        elif action == "payment_done":
            svc.dossier_payment_done(dossier=d, actor=f"w{seed}")
        else:
            svc.dossier_decide(dossier=d, outcome="approved", actor=f"w{seed}")
        ok[code] += 1
    except svc.LifecycleError:
        refused += 1
print(json.dumps({"ok": ok, "refused": refused}))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_processes_never_lose_or_break_a_transition():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across processes are exercised on PostgreSQL (CI runs this suite on it too)")
    catalogue_load_demo()
    role_groups_sync()
    procedure = Procedure.objects.get(code="1.014431")
    desk = Agency.objects.get(code="DEMO-TTPVHCC")
    start = datetime(2025, 9, 5, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    codes = [
        svc.dossier_receive(
            procedure=procedure,
            at=start,
            reception_agency=desk,
            applicant=svc.Applicant(),
            validate_applicant=False,
        ).code
        for _ in range(DOSSIERS)
    ]
    s = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(codes), str(seed)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(WORKERS)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    accepted = sum(sum(r["ok"].values()) for r in results)
    assert accepted > DOSSIERS  # the workers really raced and progressed
    written = DossierEvent.objects.exclude(event="receive").count()
    assert written == accepted, "every accepted transition is recorded exactly once"
    for code in codes:
        d = Dossier.objects.get(code=code)
        events = list(d.events.order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status, f"{code}: broken chain at #{after.seq}"
        assert events[-1].to_status == d.status
        assert d.steps.filter(finished_at__isnull=True).count() <= 1
        open_tasks = process_of(d).task_set.filter(
            flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
        )
        assert open_tasks.count() <= 1
        if d.current_step_id and d.status != "payment":
            assert open_tasks.get().data.get("dossier_step") == d.current_step_id
