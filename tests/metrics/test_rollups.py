"""Rollups: incremental (from lifecycle signals) equals rebuilt; report invariants on random event logs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.indicators import COUNT_NAMES, Period, count_raw, scope_for, scorecard
from metrics.models import ROLLUP_HOURS, MonthlyRollup, RollupDirty
from metrics.rollups import rollups_flush, rollups_rebuild
from tests.metrics.logs import Log, procedure
from tests.metrics.test_examples import EX5, EX5_REPORT, ex5_log

COLUMNS = ("agency_id", "procedure_id", "month", *COUNT_NAMES, *ROLLUP_HOURS)


def _snapshot() -> list[tuple]:
    return list(MonthlyRollup.objects.order_by("agency_id", "procedure_id", "month").values_list(*COLUMNS))


@pytest.mark.django_db(transaction=True)
def test_incremental_rollups_equal_a_rebuild(tmp_path):
    ex5_log(tmp_path)  # each event marks its slice dirty in its transaction
    assert RollupDirty.objects.exists()
    assert rollups_flush() > 0  # what the Celery task enqueued after commit runs
    assert not RollupDirty.objects.exists()
    incremental = _snapshot()
    assert incremental, "the signals must have filled the rollups"
    # A later event on an April dossier changes May (and April) again, incrementally.
    log = Log(EX5)
    log.add("M16", "decide", "06-03 10:00", "approved", proc="DEMO.000501")
    log.replay(tmp_path, "later.csv")
    rollups_flush()
    incremental = _snapshot()
    rollups_rebuild()
    assert _snapshot() == incremental
    card = scorecard(scope_for(EX5), Period.month(date(2025, 5, 1)))
    assert card["source"] == "rollup"
    assert card["report_row"] == EX5_REPORT  # M16 was decided in June: May is unchanged


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_import_leaves_no_dirty_slice(tmp_path):
    procedure("DEMO-RB", "DEMO.000801")
    log = Log("DEMO-RB")
    log.receive("R1", "DEMO.000801", "05-05 09:00").add(
        "R1", "decide", "05-04 10:00", "approved"
    )  # out of order
    with pytest.raises(Exception, match="sớm hơn"):
        log.replay(tmp_path)
    assert not RollupDirty.objects.exists() and not MonthlyRollup.objects.exists()
    assert rollups_flush() == 0


# --- report invariants on random event logs (hypothesis) ---------------------------------------------------

OUTCOMES = ("open", "decide", "withdraw", "stop", "supplement", "supplement_then_decide", "two_supplements")
START = date(2025, 4, 1)


@st.composite
def dossier_histories(draw):
    n = draw(st.integers(min_value=1, max_value=14))
    return [
        (
            draw(st.integers(min_value=0, max_value=100)),  # receipt day offset from 1/4/2025
            draw(st.sampled_from(["direct", "online", "postal"])),
            draw(st.sampled_from(OUTCOMES)),
            draw(st.integers(min_value=1, max_value=25)),  # days until the next event
            draw(st.integers(min_value=1, max_value=25)),
        )
        for _ in range(n)
    ]


def _at(offset: int, hour: str = "09:00") -> str:
    return f"{(START + timedelta(days=offset)):%m-%d} {hour}"


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories=dossier_histories())
def test_report_invariants_hold_on_random_logs(tmp_path, histories):
    log = Log("DEMO-PROP")
    for i, (day, channel, outcome, gap1, gap2) in enumerate(histories):
        code = f"H{i}"
        log.receive(code, "DEMO.000701", _at(day), channel)
        if outcome == "decide":
            log.add(code, "decide", _at(day + gap1, "10:00"), "approved")
        elif outcome in ("withdraw", "stop"):
            log.add(code, outcome, _at(day + gap1, "10:00"))
        elif outcome.startswith("supplement") or outcome == "two_supplements":
            log.add(code, "request_supplement", _at(day + gap1, "10:00"))
            if outcome != "supplement":
                log.add(code, "supplement_done", _at(day + gap1 + gap2, "10:00"))
            if outcome == "two_supplements":
                log.add(code, "request_supplement", _at(day + gap1 + gap2, "11:00"))
                log.add(code, "supplement_done", _at(day + gap1 + gap2 + 1, "10:00"))
            if outcome != "supplement":
                log.add(code, "decide", _at(day + gap1 + gap2 + 2, "10:00"), "approved")
    try:
        with transaction.atomic():
            procedure("DEMO-PROP", "DEMO.000701", days=5)
            log.replay(tmp_path)
            scope = scope_for("DEMO-PROP")
            periods = [
                Period.month(date(2025, 4, 1)),
                Period.month(date(2025, 5, 1)),
                Period.month(date(2025, 6, 1)),
                Period.named("quarter", date(2025, 5, 1)),
                Period(date(2025, 4, 17), date(2025, 6, 3)),
            ]
            received = len(histories)
            for period in periods:
                row = scorecard(scope, period, source="raw")["report_row"]
                assert (
                    row["received_total"]
                    == row["carried_over"] + row["received_online"] + row["received_direct_postal"]
                )
                assert row["received_total"] == row["resolved_total"] + row["in_progress_total"]
                assert (
                    row["resolved_total"]
                    == row["resolved_early"] + row["resolved_on_time"] + row["resolved_late"]
                )
                assert row["in_progress_total"] == row["in_progress_in_time"] + row["in_progress_late"]
                assert 0 <= row["received_total"] <= received
            # Monthly rollups compose into the quarter exactly as a raw count of the quarter does.
            rollups_rebuild(now=None)
            quarter = periods[3]
            assert (
                scorecard(scope, quarter, source="rollup")["report_row"]
                == scorecard(scope, quarter, source="raw")["report_row"]
            )
            per_month = count_raw(scope.agency_ids, periods[1])
            assert sum(r["received_online"] + r["received_direct_postal"] for r in per_month) == sum(
                1 for d, *_ in histories if date(2025, 5, 1) <= START + timedelta(days=d) <= date(2025, 5, 31)
            )
            raise _Rollback
    except _Rollback:
        pass


class _Rollback(Exception):
    pass
