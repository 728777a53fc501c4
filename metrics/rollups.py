"""Keeping :class:`metrics.models.MonthlyRollup` current, incrementally and from scratch.

Incremental: every lifecycle or fact event sends ``workflows.signals.dossier_changed`` inside its own
transaction; :func:`mark_dirty` writes a :class:`RollupDirty` row there (so a rolled-back event leaves no
trace) and, after commit, enqueues :func:`rollups_flush` on Celery, which recounts only the dirty agency ×
procedure slices from the month of the dossier's receipt on (beat also flushes, in case a message was lost).
Until the dirty rows are flushed, readers count live (``metrics.indicators.rollups_cover``). Several
workers may flush at once: dirty rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` where the
database has it.

From scratch: :func:`rollups_rebuild` (``manage.py metrics_rebuild``) recounts every month with one grouped
query per month. Both call :func:`metrics.indicators.count_raw`, so they cannot disagree by construction —
and a test replays an event log both ways and compares every column.

A month that has not ended is counted "as of now" (its in-progress columns move with the clock): beat
re-counts the current and the previous month every ``METRICS_REFRESH_SECONDS``
(:func:`rollups_refresh_current`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from metrics.indicators import COUNT_NAMES, Period, Scope, count_raw, descendants, scorecard
from metrics.models import ROLLUP_HOURS, AgencyScore, MonthlyRollup, RollupDirty, RollupState
from procedures.models import Agency
from workflows.models import Dossier

logger = logging.getLogger(__name__)
FLUSH_BATCH = 500


def _month(at: datetime | date) -> date:
    day = timezone.localtime(at).date() if isinstance(at, datetime) else at
    return day.replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from ``first``'s to ``last``'s, both included."""
    return Period(first.replace(day=1), Period.month(last).end).months() or []


def _rows(month: date, now: datetime, *, agency_ids=None, procedure_ids=None) -> list[MonthlyRollup]:
    period = Period.month(month)
    as_of = period.as_of(now)
    rows = []
    for counted in count_raw(
        agency_ids, period, now, by=("agency_id", "procedure_id"), procedure_ids=procedure_ids
    ):
        if not any(counted[name] for name in COUNT_NAMES):
            continue
        values = {name: counted[name] for name in COUNT_NAMES}
        values.update({name: counted[name] or Decimal(0) for name in ROLLUP_HOURS})
        rows.append(
            MonthlyRollup(
                agency_id=counted["agency_id"],
                procedure_id=counted["procedure_id"],
                month=month,
                as_of=as_of,
                **values,
            )
        )
    return rows


def rollup_refresh_slice(
    *, agency_id: int, procedure_id: int, since: datetime, now: datetime | None = None
) -> int:
    """Recount one agency × procedure from the month of ``since`` to the current month; rows written."""
    now = now or timezone.now()
    written = 0
    with transaction.atomic():
        for month in months_between(_month(since), _month(now)):
            MonthlyRollup.objects.filter(agency_id=agency_id, procedure_id=procedure_id, month=month).delete()
            rows = _rows(month, now, agency_ids=[agency_id], procedure_ids=[procedure_id])
            MonthlyRollup.objects.bulk_create(rows)
            written += len(rows)
    return written


def mark_dirty(sender, *, agency_id: int, procedure_id: int, since: datetime, **_kwargs: Any) -> None:
    """Receiver of ``dossier_changed`` (in the event's transaction): one insert, nothing else on the desk's
    hot path; the recount runs in a Celery worker after commit (``metrics.tasks.rollups_flush``)."""
    RollupDirty.objects.create(agency_id_value=agency_id, procedure_id_value=procedure_id, since=since)
    transaction.on_commit(_enqueue_flush, robust=True)


FLUSH_PENDING_KEY = "metrics:rollups-flush-pending"


def _enqueue_flush() -> None:
    """At most one queued flush every few seconds: a burst of desk events needs one recount, not N."""
    from django.core.cache import cache

    from metrics.tasks import rollups_flush as task

    if cache.add(FLUSH_PENDING_KEY, 1, timeout=5):
        task.delay()


def connect() -> None:
    """Called from ``MetricsConfig.ready``: rollups follow every dossier event."""
    from workflows.signals import dossier_changed

    dossier_changed.connect(mark_dirty, dispatch_uid="metrics-rollups-dirty")


def rollups_flush(*, now: datetime | None = None) -> int:
    """Recount every dirty slice; returns the number of slices recounted. Safe on several workers."""
    from django.core.cache import cache

    cache.delete(FLUSH_PENDING_KEY)  # events committed from now on queue a new flush
    done = 0
    while True:
        with transaction.atomic():
            claimed = RollupDirty.objects.order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                claimed = claimed.select_for_update(skip_locked=True)
            batch = list(claimed[:FLUSH_BATCH])
            if not batch:
                return done
            slices: dict[tuple[int, int], datetime] = {}
            for dirty in batch:
                key = (dirty.agency_id_value, dirty.procedure_id_value)
                slices[key] = min(slices.get(key, dirty.since), dirty.since)
            for (agency_id, procedure_id), since in slices.items():
                rollup_refresh_slice(agency_id=agency_id, procedure_id=procedure_id, since=since, now=now)
            RollupDirty.objects.filter(pk__in=[d.pk for d in batch]).delete()
            done += len(slices)


def rollups_rebuild(
    *,
    since: date | None = None,
    now: datetime | None = None,
    progress: Callable[[Iterable[date]], Iterator[date]] | None = None,
) -> dict[str, Any]:
    """Recount all months from ``since`` (default: the first receipt) to now, one grouped query per month."""
    now = now or timezone.now()
    first = since
    if first is None:
        earliest = Dossier.objects.filter(received_at__isnull=False).aggregate(m=Min("received_at"))["m"]
        first = _month(earliest) if earliest else _month(now)
    months = months_between(first, _month(now))
    written = 0
    with transaction.atomic():
        RollupDirty.objects.all().delete()
        MonthlyRollup.objects.filter(month__gte=first.replace(day=1)).delete()
        for month in progress(months) if progress else months:
            rows = _rows(month, now)
            MonthlyRollup.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
        if since is None or not RollupState.objects.filter(pk=1).exists():
            RollupState.objects.update_or_create(pk=1, defaults={"rebuilt_at": now, "months_from": first})
    return {"months": len(months), "rows": written, "from": months[0].isoformat() if months else None}


def label_scopes() -> dict[str, list[int]]:
    """Agency ids per Prometheus ``agency`` label (``METRICS_AGENCY_LEVEL``, the collector's own mapping)."""
    from metrics.collectors import AgencyLabels

    scopes: dict[str, list[int]] = {}
    for agency_id, label in AgencyLabels(ttl_seconds=0).mapping().items():
        scopes.setdefault(label, []).append(agency_id)
    return scopes


def scores_refresh(*, now: datetime | None = None) -> int:
    """The current month's 766 2.1 ratio and total score per label agency (with the agencies it labels)."""
    now = now or timezone.now()
    period = Period.month(timezone.localtime(now).date())
    agencies = {a.code: a for a in Agency.objects.all()}
    refreshed = 0
    scopes = label_scopes()
    for label, ids in sorted(scopes.items()):
        agency = agencies.get(label)
        if agency is None:
            continue
        scope = Scope(agency=agency, agency_ids=tuple(sorted(ids)), include_children=len(ids) > 1)
        card = scorecard(scope, period, now=now, source="raw")
        population = card["report_row"]["received_total"]
        AgencyScore.objects.update_or_create(
            agency=agency,
            defaults={
                "period_start": period.start,
                "on_time_pct": Decimal(str(card["qd766"]["2.1"]["ratio"])) if population else None,
                "total_score": Decimal(str(card["qd766"]["total_score"])),
                "computed_at": now,
            },
        )
        refreshed += 1
    AgencyScore.objects.exclude(agency__code__in=list(scopes)).delete()
    return refreshed


def rollups_refresh_current(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: recount the current month (and the previous one until it is counted as of its end), flush
    leftover dirty slices, refresh the Prometheus scores."""
    now = now or timezone.now()
    current = _month(now)
    previous = _month(current - timedelta(days=1))
    months = [current]
    stale = MonthlyRollup.objects.filter(month=previous, as_of__lt=Period.month(previous).end_at).exists()
    if stale:
        months.insert(0, previous)
    rows = 0
    with transaction.atomic():
        for month in months:
            MonthlyRollup.objects.filter(month=month).delete()
            fresh = _rows(month, now)
            MonthlyRollup.objects.bulk_create(fresh, batch_size=2000)
            rows += len(fresh)
    flushed = rollups_flush(now=now)
    scores = scores_refresh(now=now)
    return {"months": len(months), "rows": rows, "flushed": flushed, "scores": scores}


def current_scores() -> list[tuple[str, float | None, float]]:
    """(agency code, current-month 766 2.1 ratio or None, 766 total score) per label agency — one query."""
    return [
        (code, float(on_time) if on_time is not None else None, float(total))
        for code, on_time, total in AgencyScore.objects.select_related("agency")
        .order_by("agency__code")
        .values_list("agency__code", "on_time_pct", "total_score")
    ]


__all__ = [
    "current_scores",
    "descendants",
    "mark_dirty",
    "rollup_refresh_slice",
    "rollups_flush",
    "rollups_rebuild",
    "rollups_refresh_current",
    "scores_refresh",
]
