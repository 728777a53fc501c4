"""domain.md §9 worked examples 5–9 reproduced through ``dossiers_import`` → ``indicators`` (issue 4).

The data are event logs on the real 2025 calendar (``holidays``: 30/4, 1/5 and the 2/5 swap), 5-working-day
procedures, receipts at 09:00 so the appointments are exact: received Mon 5/5 09:00 → due Mon 12/5 09:00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from metrics.indicators import Period, scope_for, scorecard
from metrics.models import AgencyTarget
from metrics.rollups import rollups_rebuild
from procedures.choices import OnlineLevel, TermUnit
from tests.metrics.logs import Log, indicators, procedure
from tests.procedures.factories import AgencyFactory, ProcedureFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

EX5 = "DEMO-EX5"


def ex5_log(tmp_path) -> None:
    """Ex 5 (+ the facts of Ex 7 and Ex 8) for one agency, May 2025."""
    procedure(EX5, "DEMO.000501", paper_result_required=True)
    procedure(EX5, "DEMO.000502")
    log = Log(EX5)
    p1, p2 = "DEMO.000501", "DEMO.000502"
    # Carried over from April: received Mon 28/4 09:00 (due Thu 8/5 09:00), decided early on Tue 6/5.
    for n in range(1, 4):
        log.receive(f"C{n}", p1, "04-28 09:00").add(f"C{n}", "decide", "05-06 10:00", "approved")
    channels = ["online"] * 12 + ["direct"] * 6 + ["postal"] * 2
    for n in range(1, 21):
        code, proc = f"M{n}", (p2 if n in (17, 18, 19) else p1)
        if n <= 14:  # received Mon 5/5 09:00 → due Mon 12/5 09:00
            log.receive(code, proc, "05-05 09:00", channels[n - 1])
            decided = "05-07 10:00" if n <= 7 else ("05-12 08:30" if n <= 12 else "05-13 10:00")
            log.add(code, "decide", decided, "approved")
            if n == 1:  # Ex 7: M1 is the one dossier with a complaint or a dislike — it has both: a staff
                log.add(code, "complaint", "05-08 09:00", "staff")  # complaint answered in time, whose
                log.add(code, "complaint_done", "05-09 09:00", "dislike")  # answer the complainant disliked
        elif n == 15:  # withdrawn before its due date
            log.receive(code, proc, "05-20 09:00", channels[n - 1]).add(code, "withdraw", "05-21 09:00")
        elif n == 16:  # overdue: due Mon 26/5 09:00, still open on 31/5
            log.receive(code, proc, "05-19 09:00", channels[n - 1])
        elif n <= 19:  # in time: due Thu 5/6
            log.receive(code, proc, "05-29 09:00", channels[n - 1])
        else:  # waiting for a supplement
            log.receive(code, proc, "05-26 09:00", channels[n - 1]).add(
                code, "request_supplement", "05-27 09:00"
            )
    everyone = [f"C{n}" for n in range(1, 4)] + [f"M{n}" for n in range(1, 21)]
    for code in everyone:  # Ex 7: 22 of 23 synced; Ex 8: 18 e-results, 16 digitised, 6 reusing data
        if code != "M20":
            log.add(code, "sync", "06-02 08:00")
        if code in {"C1", "C2", "C3", *(f"M{n}" for n in range(1, 15)), "M16"}:
            log.add(code, "e_result", "06-02 08:01", f"KQ-{code} https://kq.example.gov.vn/{code}.pdf")
        if code in {"C1", "C2", "C3", *(f"M{n}" for n in range(1, 12)), "M17", "M18"}:
            log.add(code, "digitised", "06-02 08:02", "attachments")
        if code in {f"M{n}" for n in range(1, 7)}:
            log.add(code, "digitised", "06-02 08:03", "reused")
    log.add("M1", "rate", "06-02 09:00", "dislike")
    log.replay(tmp_path)


EX5_REPORT = {
    "received_total": 23,
    "carried_over": 3,
    "received_online": 12,
    "received_direct_postal": 8,
    "resolved_total": 18,
    "resolved_early": 10,
    "resolved_on_time": 6,
    "resolved_late": 2,
    "in_progress_total": 5,
    "in_progress_in_time": 4,
    "in_progress_late": 1,
}


@pytest.mark.parametrize("source", ["raw", "rollup"])
def test_ex5_ex7_ex8_report_row_and_766_through_import_and_command(tmp_path, source):
    ex5_log(tmp_path)
    if source == "rollup":
        rollups_rebuild()
    card = indicators(EX5, "2025-05-01", "2025-05-31", "--source", source)
    assert card["source"] == source
    assert card["report_row"] == EX5_REPORT
    qd = card["qd766"]
    assert qd["2.1"] == {"numerator": 20, "denominator": 23, "ratio": 86.96, "score": 17.39, "max": 20}
    assert (qd["1.4"]["numerator"], qd["1.4"]["denominator"], qd["1.4"]["ratio"], qd["1.4"]["score"]) == (
        22,
        23,
        95.65,
        5.74,
    )
    assert (qd["5.4"]["ratio"], qd["5.4"]["score"]) == (82.61, 5.51)
    assert (qd["4.1"]["numerator"], qd["4.1"]["denominator"], qd["4.1"]["ratio"], qd["4.1"]["score"]) == (
        18,
        20,
        90.0,
        5.4,
    )
    assert (qd["4.2"]["numerator"], qd["4.2"]["ratio"], qd["4.2"]["score"]) == (16, 69.57, 3.48)
    assert (qd["4.3"]["numerator"], qd["4.3"]["ratio"], qd["4.3"]["score"]) == (6, 26.09, 0.65)
    assert (qd["5.1"]["numerator"], qd["5.1"]["denominator"]) == (1, 1)  # classified (staff)
    assert (qd["5.2"]["numerator"], qd["5.2"]["denominator"], qd["5.2"]["score"]) == (1, 1, 6.0)  # on time
    assert (qd["5.3"]["numerator"], qd["5.3"]["denominator"], qd["5.3"]["score"]) == (0, 1, 0.0)  # disliked
    assert qd["total_score"] == pytest.approx(sum(qd["group_scores"].values()), abs=0.02)
    online = card["online"]
    assert online["dossiers_online_share"] == pytest.approx(60.0)  # 12 / 20 received in May


def test_auto_source_uses_rollups_for_ended_months_and_matches_raw(tmp_path):
    ex5_log(tmp_path)
    rollups_rebuild()
    scope = scope_for(EX5)
    for period in (Period.month(date(2025, 5, 1)), Period.named("quarter", date(2025, 5, 1))):
        auto = scorecard(scope, period)
        raw = scorecard(scope, period, source="raw")
        assert auto["source"] == "rollup"
        auto.pop("source"), raw.pop("source")
        assert auto == raw


def ex6_catalogue(agency: str, *, partial: int, full: int, none: int) -> list:
    procs = []
    levels = [OnlineLevel.PARTIAL] * partial + [OnlineLevel.FULL] * full + [OnlineLevel.NONE] * none
    ag = AgencyFactory(code=agency)
    for n, level in enumerate(levels):
        procs.append(
            ProcedureVersionFactory(
                procedure=ProcedureFactory(code=f"DEMO.6{hash(agency) % 10}{n:04d}", agency=ag),
                effective_from=date(2025, 1, 1),
                statutory_term_amount=Decimal(5),
                online_level=level,
            ).procedure
        )
    return procs


def test_ex6_online_service_and_payment_blocks(tmp_path):
    # 3.1 / 3.2: 200 TTHC, 90 partial + 70 full; 96 of the 160 online services have an online dossier in May.
    procs = ex6_catalogue("DEMO-EX6A", partial=90, full=70, none=40)
    log = Log("DEMO-EX6A")
    for n, proc in enumerate(procs[:96]):
        log.receive(f"A{n}", proc.code, "05-06 09:00", "online")
    log.replay(tmp_path, "a.csv")
    a = indicators("DEMO-EX6A", "2025-05-01", "2025-05-31", "--source", "raw")["qd766"]
    assert (a["3.1"]["numerator"], a["3.1"]["denominator"], a["3.1"]["ratio"], a["3.1"]["score"]) == (
        160,
        200,
        80.0,
        2.0,
    )
    assert (a["3.2"]["numerator"], a["3.2"]["denominator"], a["3.2"]["ratio"], a["3.2"]["score"]) == (
        96,
        160,
        60.0,
        2.4,
    )

    # 3.3: 20 received; 12 online, 10 of them paper-result TTHC of which 9 have an e-result; all synced.
    paper = procedure("DEMO-EX6B", "DEMO.000611", paper_result_required=True)
    plain = procedure("DEMO-EX6B", "DEMO.000612")
    log = Log("DEMO-EX6B")
    for n in range(20):
        proc = paper if n < 10 else plain
        log.receive(f"B{n}", proc.code, "05-06 09:00", "online" if n < 12 else "direct")
        if n < 9:
            log.add(f"B{n}", "e_result", "05-07 09:00", f"KQ{n} https://kq.example.gov.vn/{n}")
        log.add(f"B{n}", "sync", "05-07 10:00")
    log.replay(tmp_path, "b.csv")
    b = indicators("DEMO-EX6B", "2025-05-01", "2025-05-31", "--source", "raw")["qd766"]
    assert (b["3.3"]["numerator"], b["3.3"]["denominator"], b["3.3"]["ratio"], b["3.3"]["score"]) == (
        11,
        20,
        55.0,
        6.0,
    )

    # Payment: 40 fee-bearing TTHC; 30 with a synced fee dossier, 20 with an online payment;
    # 45 paid online of 70 fee dossiers minus 10 whose fee list is all zero.
    ag = AgencyFactory(code="DEMO-EX6C")
    fee_procs = [
        ProcedureVersionFactory(
            procedure=ProcedureFactory(code=f"DEMO.0007{n:02d}", agency=ag),
            effective_from=date(2025, 1, 1),
            statutory_term_amount=Decimal(5),
            fees_vnd=100_000,
        ).procedure
        for n in range(40)
    ]
    log = Log("DEMO-EX6C")
    for n in range(70):
        if n < 45:
            proc, fee, sync = fee_procs[n % 20], "100000|online", n < 20
        elif n < 60:
            proc, fee, sync = fee_procs[20 + (n - 45) % 10], "100000", n < 55
        else:
            proc, fee, sync = fee_procs[30 + n - 60], "0", False
        log.receive(f"P{n}", proc.code, "05-06 09:00")
        log.add(f"P{n}", "fee", "05-06 09:05", fee)
        if sync:
            log.add(f"P{n}", "sync", "05-06 09:10")
    log.replay(tmp_path, "c.csv")
    card_c = indicators("DEMO-EX6C", "2025-05-01", "2025-05-31", "--source", "raw")
    c = card_c["qd766"]
    assert (c["3.5"]["numerator"], c["3.5"]["denominator"], c["3.5"]["ratio"]) == (30, 40, 75.0)
    assert (c["3.5b"]["numerator"], c["3.5b"]["denominator"], c["3.5b"]["ratio"]) == (20, 40, 50.0)
    assert (c["3.6"]["numerator"], c["3.6"]["denominator"], c["3.6"]["ratio"]) == (45, 60, 75.0)
    assert card_c["online"]["online_payment_share"] == 75.0
    payment_block = c["3.5"]["score"] + c["3.5b"]["score"] + c["3.6"]["score"]
    assert payment_block == pytest.approx(8.75, abs=0.011)  # 1.875 + 1.25 + 5.625, each shown to 2 decimals
    online_block = a["3.1"]["score"] + a["3.2"]["score"] + b["3.3"]["score"]
    assert online_block == pytest.approx(10.40)
    assert online_block + payment_block == pytest.approx(19.15, abs=0.011)


def test_ex9_time_reduction(tmp_path):
    ag = AgencyFactory(code="DEMO-EX9R")
    for n, (statutory, committed) in enumerate(
        [(7, 5), (7, Decimal("4.5")), (25, Decimal("17.5")), (5, Decimal("3.5"))]
    ):
        ProcedureVersionFactory(
            procedure=ProcedureFactory(code=f"DEMO.00090{n}", agency=ag),
            effective_from=date(2025, 1, 1),
            statutory_term_amount=Decimal(statutory),
            committed_term_amount=Decimal(committed),
            statutory_term_unit=TermUnit.WORKING_DAYS,
            committed_term_unit=TermUnit.WORKING_DAYS,
        )
    card = indicators("DEMO-EX9R", "2025-05-01", "2025-05-31")
    tr = card["time_reduction"]
    assert [p["reduction_pct"] for p in tr["procedures"]] == [28.57, 35.71, 30.0, 30.0]
    assert [p["meets_target"] for p in tr["procedures"]] == [False, True, True, True]
    assert (tr["procedures_meeting_target"], tr["procedures_total"], tr["target_pct"]) == (3, 4, 30.0)
    assert tr["committed_vs_statutory_pct"] == 30.68  # (44 − 30.5) / 44 working days
    # An agency target of 35% for 2025 leaves only 7 → 4.5 days meeting it.
    AgencyTarget.objects.create(agency=ag, year=2025, time_reduction_pct=Decimal(35))
    assert (
        indicators("DEMO-EX9R", "2025-05-01", "2025-05-31")["time_reduction"]["procedures_meeting_target"]
        == 1
    )


def test_actual_time_against_statutory(tmp_path):
    procedure("DEMO-EX9A", "DEMO.000991", days=5)
    log = Log("DEMO-EX9A")
    # Received Mon 5/5 09:00, decided Wed 7/5 09:00: 16 working hours of the 40 statutory ones.
    log.receive("T1", "DEMO.000991", "05-05 09:00").add("T1", "decide", "05-07 09:00", "approved")
    log.replay(tmp_path)
    tr = indicators("DEMO-EX9A", "2025-05-01", "2025-05-31")["time_reduction"]
    assert tr["actual_vs_statutory_pct"] == 60.0
    assert tr["dossiers_measured"] == 1


# --- bad input ---------------------------------------------------------------------------------------------


def test_empty_period_gives_zero_ratios_not_errors():
    AgencyFactory(code="DEMO-EMPTY")
    card = indicators("DEMO-EMPTY", "2025-05-01", "2025-05-31")
    assert card["report_row"] == dict.fromkeys(EX5_REPORT, 0)
    for code, entry in card["qd766"].items():
        if isinstance(entry, dict) and "ratio" in entry:
            assert entry["ratio"] == 0.0 and entry["score"] == 0.0, code
    assert card["qd766"]["total_score"] == 0.0
    assert card["online"]["dossiers_online_share"] == 0.0


def test_from_after_to_and_unknown_agency_are_refused():
    AgencyFactory(code="DEMO-BAD")
    with pytest.raises(CommandError, match="từ ngày 31/05/2025 sau đến ngày 01/05/2025"):
        indicators("DEMO-BAD", "2025-05-31", "2025-05-01")
    with pytest.raises(CommandError, match="Không có cơ quan mã “NOPE”"):
        indicators("NOPE", "2025-05-01", "2025-05-31")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        indicators("DEMO-BAD", "1/5/2025", "2025-05-31")


def test_target_above_100_percent_is_refused():
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    ag = AgencyFactory(code="DEMO-TGT")
    target = AgencyTarget(agency=ag, year=2026, full_online_pct=Decimal("120"))
    with pytest.raises(ValidationError) as info:
        target.full_clean()
    assert "full_online_pct" in info.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        target.save()  # the database refuses it too


def test_csv_and_table_formats(tmp_path):
    from io import StringIO

    ex5_log(tmp_path)
    out = StringIO()
    call_command(
        "indicators",
        "--agency",
        EX5,
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-31",
        "--format",
        "csv",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "section,key,value,numerator,denominator,ratio,score,max"
    assert "report_row,received_total,23,,,,," in lines
    assert "qd766,2.1,,20,23,86.96,17.39,20" in lines
    out = StringIO()
    call_command(
        "indicators",
        "--agency",
        EX5,
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-31",
        "--format",
        "table",
        stdout=out,
    )
    assert "Tổng số hồ sơ nhận giải quyết" in out.getvalue() and "86.96%" in out.getvalue()


def test_bulk_scorecards_equal_one_by_one(tmp_path):
    from metrics.indicators import scorecards_bulk

    ex5_log(tmp_path)
    rollups_rebuild()
    scope = scope_for(EX5)
    months = [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]
    for source in ("rollup", "raw"):
        bulk = scorecards_bulk([scope.agency], months, source=source)
        for month in months:
            one = scorecard(scope, Period.month(month), source=source)
            assert bulk[(scope.agency.pk, month)] == one, (source, month)
