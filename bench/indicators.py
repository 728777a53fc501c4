"""Benchmark: the 766 scorecard of every agency × 12 months from rollups vs by raw GROUP BY; rebuild; scrape.

Run from the repository root on PostgreSQL (``make bench-indicators``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua .venv/bin/python bench/indicators.py [--n 1000000]

It creates a throw-away test database (``test_<name>``, migrated), inserts N synthetic dossiers of 2025 in
bulk with one ``INSERT … SELECT generate_series`` (25 agencies × 40 procedures, every state, channel and
fact in plausible shares), then measures in the same run:

* **rebuild** — ``rollups_rebuild()`` from scratch (target < 60 s);
* **rollups** — ``scorecards_bulk(all agencies, 12 months, source="rollup")``: the full scorecard (report
  row, 766 indicators, online, time reduction, PCI proxies) of every agency for every month, warm, best of
  ``--repeat`` (target < 100 ms);
* **raw** — the same figures with ``source="raw"``: one grouped ``COUNT … FILTER`` query per month over the
  dossier table (the baseline); the ratio raw / rollups must be ≥ 10×;
* **scrape** — ``GET /metrics`` through the Django test client from loopback (target < 100 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MOTCUA_VAR_DIR", str(ROOT / "var" / "bench"))

AGENCIES = 25
PROCEDURES_PER_AGENCY = 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="synthetic dossiers")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds of each read; the best counts")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        print("bench/indicators.py needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return _run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _catalogue() -> tuple[list, list]:
    from decimal import Decimal

    from procedures.choices import AgencyLevel, OnlineLevel, ProcedureLevel, TermUnit
    from procedures.models import Agency, Procedure, ProcedureVersion

    province = Agency.objects.create(code="BENCH-P", name="Tỉnh thử tải", level=AgencyLevel.PROVINCE)
    agencies = [province] + [
        Agency.objects.create(
            code=f"BENCH-D{n:02d}", name=f"Sở {n}", level=AgencyLevel.DEPARTMENT, parent=province
        )
        for n in range(1, AGENCIES)
    ]
    levels = [OnlineLevel.FULL, OnlineLevel.PARTIAL, OnlineLevel.NONE]
    versions = []
    for a, agency in enumerate(agencies):
        for p in range(PROCEDURES_PER_AGENCY):
            procedure = Procedure.objects.create(
                code=f"DEMO.{a:02d}{p:04d}", name=f"Thủ tục {a}-{p}", field=f"Lĩnh vực {p % 7}",
                level=ProcedureLevel.PROVINCE, agency=agency,
            )  # fmt: skip
            versions.append(
                ProcedureVersion.objects.create(
                    procedure=procedure,
                    effective_from=date(2024, 1, 1),
                    statutory_term_amount=Decimal(10),
                    statutory_term_unit=TermUnit.WORKING_DAYS,
                    committed_term_amount=Decimal(7 if p % 3 else 10),
                    committed_term_unit=TermUnit.WORKING_DAYS,
                    online_level=levels[p % 3],
                    full_online_eligible=p % 3 == 0,
                    fees_vnd=50_000 if p % 4 == 0 else 0,
                    paper_result_required=p % 2 == 0,
                    required_documents="Đơn\nBản sao",
                    legal_basis="Luật",
                    fees_text="50.000 đồng",
                )
            )
    return agencies, versions


def _insert_dossiers(n: int, versions: list) -> float:
    """One INSERT … SELECT: every column from the model's defaults except the ones drawn at random."""
    from django.db import connection

    from workflows.models import Dossier

    drawn = {
        "code": "'B-' || g",
        "procedure_version_id": "v.id",
        "agency_id": "v.agency_id",
        "channel": "(ARRAY['online','direct','postal'])[1 + (g %% 3)]",
        # Dossiers received more than 30 days before the end of 2025 are finished (returned, decided,
        # withdrawn or stopped); the last 30 days' are partly still open (in process or waiting for a
        # supplement), as in a province where processing takes days — about 40,000 open per million.
        "status": "CASE WHEN r.recent AND r.s >= 0.5 THEN (CASE WHEN r.s < 0.6 THEN 'supplement' ELSE "
        "'in_process' END) WHEN r.s < 0.88 THEN (CASE WHEN g %% 2 = 0 THEN 'returned' ELSE 'decided' END)"
        " WHEN r.s < 0.96 THEN 'withdrawn' ELSE 'stopped' END",
        "received_at": "r.received",
        "due_at": "r.received + interval '9 days'",
        "appointment_at": "r.received + interval '9 days'",
        "finished_at": "CASE WHEN NOT (r.recent AND r.s >= 0.5) "
        "THEN r.received + (r.t * interval '12 days') END",
        "paused_at": "CASE WHEN r.recent AND r.s >= 0.5 AND r.s < 0.6 "
        "THEN r.received + interval '2 days' END",
        "supplement_count": "CASE WHEN g %% 17 = 0 THEN 1 ELSE 0 END",
        "statutory_working_hours": "80",
        "working_hours_used": "CASE WHEN NOT (r.recent AND r.s >= 0.5) AND r.s < 0.88 "
        "THEN round((r.t * 96)::numeric, 2) END",
        "synced_at": "CASE WHEN g %% 10 <> 0 THEN r.received END",
        "e_result_code": "CASE WHEN g %% 2 = 0 THEN 'KQ' || g ELSE '' END",
        "e_result_url": "CASE WHEN g %% 2 = 0 THEN 'https://kq.example/' || g ELSE '' END",
        "digitised_attachments": "g %% 5 < 2",
        "digitised_reused": "g %% 7 = 0",
        "vneid_verified": "g %% 3 = 0",
        "fee_total_vnd": "CASE WHEN g %% 4 = 0 THEN 50000 END",
        "paid_online": "CASE WHEN g %% 8 = 0 THEN 1 ELSE 0 END",
        "rating": "CASE WHEN g %% 50 = 0 THEN 'dislike' ELSE '' END",
        "applicant_name": "'Người nộp ' || g",
        "last_event_at": "r.received",
        "created_at": "r.received",
        "updated_at": "r.received",
    }
    columns, exprs, params = [], [], []
    for f in Dossier._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.attname in drawn:
            exprs.append(drawn[f.attname])
        elif f.null:
            exprs.append("NULL")
        else:
            exprs.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    version_ids = [v.pk for v in versions]
    sql = f"""
        INSERT INTO {Dossier._meta.db_table} ({", ".join(columns)})
        SELECT {", ".join(exprs)}
        FROM generate_series(1, %s) AS g
        CROSS JOIN LATERAL (
            SELECT random() AS s, random() AS t, (g::float8 / %s) * 364 > 334 AS recent,
                   timestamptz '2025-01-01 08:00+07' + ((g::float8 / %s) * 364) * interval '1 day' AS received
        ) AS r
        JOIN (SELECT pv.id, p.agency_id, row_number() OVER (ORDER BY pv.id) - 1 AS k
              FROM procedures_procedureversion pv JOIN procedures_procedure p ON p.id = pv.procedure_id
              WHERE pv.id = ANY(%s)) AS v ON v.k = g %% %s
    """
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, n, n, n, version_ids, len(version_ids)])
        cursor.execute(f"VACUUM ANALYZE {Dossier._meta.db_table}")  # steady state: autovacuum has run
    return time.perf_counter() - started


def _figures(cards: dict) -> dict:
    return {key: {k: v for k, v in card.items() if k != "source"} for key, card in cards.items()}


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _run(args) -> int:
    from django.test import Client

    from metrics.indicators import scorecards_bulk
    from metrics.rollups import rollups_rebuild, scores_refresh

    agencies, versions = _catalogue()
    inserted = _insert_dossiers(args.n, versions)
    print(
        f"{args.n:,} dossiers inserted in {inserted:.1f} s "
        f"({len(agencies)} agencies, {len(versions)} procedures)"
    )

    started = time.perf_counter()
    done = rollups_rebuild()
    rebuild = time.perf_counter() - started
    print(
        f"rebuild: {done['rows']:,} rollup rows over {done['months']} months in {rebuild:.1f} s "
        "(target < 60 s)"
    )

    months = [date(2025, m, 1) for m in range(1, 13)]
    scorecards_bulk(agencies, months, source="rollup")  # warm
    rollup = _best(lambda: scorecards_bulk(agencies, months, source="rollup"), args.repeat)
    raw = _best(lambda: scorecards_bulk(agencies, months, source="raw"), max(1, min(args.repeat, 2)))
    by_rollup = _figures(scorecards_bulk(agencies, months, source="rollup"))
    by_raw = _figures(scorecards_bulk(agencies, months, source="raw"))
    same = by_rollup == by_raw
    for key in by_rollup if not same else ():
        if by_rollup[key] != by_raw.get(key):
            diff = {k: (v, by_raw[key].get(k)) for k, v in by_rollup[key].items() if v != by_raw[key].get(k)}
            print("first difference", key, str(diff)[:800])
            break
    cards = len(agencies) * len(months)
    print(f"scorecards ({len(agencies)} agencies × 12 months = {cards}): rollups {rollup * 1000:.1f} ms "
          f"(target < 100 ms), raw GROUP BY {raw * 1000:.0f} ms → {raw / rollup:.1f}× faster (target ≥ 10×); "
          f"identical figures: {same}")  # fmt: skip

    scores_refresh()
    client = Client(REMOTE_ADDR="127.0.0.1")
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    scrape = _best(lambda: client.get("/metrics"), args.repeat)
    lines = sum(1 for line in response.content.decode().splitlines() if line and not line.startswith("#"))
    print(f"/metrics scrape: {scrape * 1000:.1f} ms for {lines} samples (target < 100 ms)")
    ok = rebuild < 60 and rollup < 0.1 and raw / rollup >= 10 and scrape < 0.1 and same
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
