"""Business gauges read from the database at scrape time (issue 4; architecture decision 5).

Why a collector and not gauges set by the code: the figures (open dossiers by SLA state, overdue dossiers,
the current month's on-time ratio and 766 score) move with the clock, not only with events, and any of
several gunicorn workers may answer a scrape. Reading them from the database when Prometheus asks makes every
answer right and needs no multiprocess bookkeeping; the collector is registered in the scrape's registry only
(:mod:`metrics.prometheus`), never in the global one, so nothing else triggers these queries.

Cost per scrape (budget: < 100 ms on 10^5–10^6 dossiers): one GROUP BY over open dossiers (indexed on
status), one aggregate over viewflow's scheduled timer tasks (indexed on status and scheduled), one read of
the rollup table, and — at most once a minute — one read of the agency tree. Nothing loops over dossiers in
Python.

``agency`` labels are bounded (issue 4): a dossier is counted under its deciding agency's ancestor at
``METRICS_AGENCY_LEVEL`` (the agency itself when no ancestor is at that level).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from procedures.choices import AgencyLevel
from procedures.models import Agency
from workflows.choices import DeliveryStatus, SlaMark
from workflows.models import AuditCheck, Delivery, Subscriber
from workflows.selectors import open_dossiers, with_sla_state

logger = logging.getLogger(__name__)

DEFAULT_AGENCY_LEVEL = AgencyLevel.DEPARTMENT.value
UNKNOWN_AGENCY = "unknown"


def agency_level() -> str:
    """``METRICS_AGENCY_LEVEL``, or the default when it names no level (an unknown level would label every
    dossier by its own agency and unbound the cardinality)."""
    level = getattr(settings, "METRICS_AGENCY_LEVEL", DEFAULT_AGENCY_LEVEL)
    if level not in AgencyLevel.values:
        _warn_unknown_level(level)
        return DEFAULT_AGENCY_LEVEL
    return level


@functools.cache
def _warn_unknown_level(level: str) -> None:
    logger.warning(
        "METRICS_AGENCY_LEVEL=%r is not one of %s; using %r", level, AgencyLevel.values, DEFAULT_AGENCY_LEVEL
    )


class AgencyLabels:
    """Agency id → ``agency`` label, from one query over the agency tree, reused for ``ttl_seconds``.

    The tree changes rarely; a process reloads it when it ages, when an agency is saved in this process
    (:mod:`metrics.receivers` clears it) and when asked about an id it does not know (at most once a second,
    so a stray id cannot turn every event into a query).
    """

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._by_id: dict[int, str] = {}
        self._loaded_at = -math.inf
        self._level: str | None = None

    def clear(self) -> None:
        with self._lock:
            self._by_id, self._loaded_at, self._level = {}, -math.inf, None

    def _load(self, level: str) -> dict[int, str]:
        nodes = {
            pk: (code, lvl, parent)
            for pk, code, lvl, parent in Agency.objects.order_by().values_list(
                "pk", "code", "level", "parent_id"
            )
        }
        by_id: dict[int, str] = {}
        for pk, (code, _level, _parent) in nodes.items():
            label, node, seen = code, pk, set()
            while node is not None and node not in seen and node in nodes:
                seen.add(node)
                node_code, node_level, parent = nodes[node]
                if node_level == level:
                    label = node_code
                    break
                node = parent
            by_id[pk] = label
        with self._lock:
            self._by_id, self._loaded_at, self._level = by_id, time.monotonic(), level
        return by_id

    def mapping(self) -> dict[int, str]:
        """The whole map, reloaded if stale or if the configured level changed."""
        level = agency_level()
        with self._lock:
            fresh = self._level == level and time.monotonic() - self._loaded_at < self.ttl_seconds
            by_id = self._by_id
        return by_id if fresh else self._load(level)

    def label(self, agency_id: int | None) -> str:
        if agency_id is None:
            return UNKNOWN_AGENCY
        by_id = self.mapping()
        label = by_id.get(agency_id)
        if label is None:
            with self._lock:
                may_reload = time.monotonic() - self._loaded_at >= 1.0
            if may_reload:
                label = self._load(agency_level()).get(agency_id)
        return label or UNKNOWN_AGENCY


agency_labels = AgencyLabels()


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


class BusinessCollector(Collector):
    """Yields the business gauges; each section fails alone (a broken query leaves the engine metrics and the
    other sections in the scrape, and ``motcua_business_collector_up{section}`` says which failed)."""

    def describe(self) -> Iterator[Metric]:
        """The families without touching the database (registries call this on registration)."""
        yield from self._families()

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            _gauge(
                "motcua_open_dossiers",
                "Dossiers being worked on (received, in process, supplement, payment), by agency, SLA state "
                "(in_time | due_soon | overdue | paused) and channel.",
                ["agency", "sla_state", "channel"],
            ),
            _gauge("motcua_overdue_dossiers", "Open dossiers past their due moment, by agency.", ["agency"]),
            _gauge(
                "motcua_viewflow_timer_backlog", "viewflow Timer tasks that are due and have not fired yet."
            ),
            _gauge(
                "motcua_viewflow_timer_lag_seconds",
                "Age of the oldest due viewflow Timer task that has not fired (0 when none is due).",
            ),
            _gauge(
                "motcua_on_time_ratio",
                "Current month's share (0–1) of finished dossiers handled on time, by agency (domain §2.4).",
                ["agency"],
            ),
            _gauge(
                "motcua_qd766_total_score",
                "Current month's total score of Decision 766/QĐ-TTg (out of 100), by agency.",
                ["agency"],
            ),
            _gauge(
                "motcua_outbox_deliveries",
                "Outbox deliveries not acknowledged yet, by subscriber and status (pending | dead).",
                ["subscriber", "status"],
            ),
            _gauge(
                "motcua_outbox_oldest_pending_age_seconds",
                "Age of the oldest pending outbox delivery per subscriber (0 when none is pending).",
                ["subscriber"],
            ),
            _gauge(
                "motcua_audit_broken_chains",
                "Dossiers whose event hash chain was broken at the last audit check (0 = all intact).",
            ),
            _gauge(
                "motcua_audit_last_check_timestamp_seconds",
                "Unix time of the last audit check of the event hash chains (absent until one has run).",
            ),
            _gauge(
                "motcua_business_collector_up",
                "1 if the section of the database collector answered in this scrape, 0 if its query failed.",
                ["section"],
            ),
            _gauge(
                "motcua_business_collector_duration_seconds",
                "Time the database collector took in this scrape.",
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        now = timezone.now()
        families = self._families()
        open_g, overdue_g, backlog_g, lag_g, ratio_g, score_g, outbox_g, age_g = families[:8]
        audit_g, audit_at_g, up_g, duration_g = families[8:]
        sections = {
            "dossiers": lambda: self._dossiers(now, open_g, overdue_g),
            "timers": lambda: self._timers(now, backlog_g, lag_g),
            "scores": lambda: self._scores(ratio_g, score_g),
            "outbox": lambda: self._outbox(now, outbox_g, age_g),
            "audit": lambda: self._audit(audit_g, audit_at_g),
        }
        for section, run in sections.items():
            try:
                answered = run()
            except Exception:  # a scrape must still return the rest
                logger.exception("metrics: the %s section of the database collector failed", section)
                answered = True
                up_g.add_metric([section], 0)
            else:
                if answered:
                    up_g.add_metric([section], 1)
        duration_g.add_metric([], time.perf_counter() - started)
        yield from families

    @staticmethod
    def _dossiers(now: datetime, open_g: GaugeMetricFamily, overdue_g: GaugeMetricFamily) -> bool:
        """One GROUP BY (agency, SLA state, channel) over open dossiers; labels folded in Python per group."""
        rows = (
            with_sla_state(open_dossiers(), now)
            .order_by()
            .values_list("agency_id", "sla_state", "channel")
            .annotate(n=Count("*"))  # COUNT(*): an index-only scan can answer it
        )
        labels = agency_labels.mapping()
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        overdue: dict[str, int] = dict.fromkeys(set(labels.values()), 0)  # stable series, zeros included
        for agency_id, state, channel, n in rows:
            label = labels.get(agency_id) or agency_labels.label(agency_id)
            counts[(label, state, channel)] += n
            if state == SlaMark.OVERDUE:
                overdue[label] = overdue.get(label, 0) + n
        for key, n in sorted(counts.items()):
            open_g.add_metric(list(key), n)
        for label, n in sorted(overdue.items()):
            overdue_g.add_metric([label], n)
        return True

    @staticmethod
    def _timers(now: datetime, backlog_g: GaugeMetricFamily, lag_g: GaugeMetricFamily) -> bool:
        """Due, unfired Timer tasks, selected as ``viewflow.workflow.timers.fire_due_timers`` selects them."""
        due = Task.objects.filter(flow_task_type="TIMER", status=STATUS.SCHEDULED, scheduled__lte=now)
        agg = due.order_by().aggregate(n=Count("*"), oldest=Min("scheduled"))
        backlog_g.add_metric([], agg["n"] or 0)
        lag_g.add_metric([], max((now - agg["oldest"]).total_seconds(), 0.0) if agg["oldest"] else 0.0)
        return True

    @staticmethod
    def _scores(ratio_g: GaugeMetricFamily, score_g: GaugeMetricFamily) -> bool:
        """From the rollups of the current month (cheap); skipped while ``metrics.rollups`` has none."""
        try:
            from metrics.rollups import current_scores
        except ImportError:
            logger.debug("metrics: metrics.rollups.current_scores is not available; scores skipped")
            return False
        for agency_code, on_time_pct, total_score in current_scores():
            if on_time_pct is not None:
                ratio_g.add_metric([agency_code], float(on_time_pct) / 100.0)
            if total_score is not None:
                score_g.add_metric([agency_code], float(total_score))
        return True

    @staticmethod
    def _outbox(now: datetime, count_g: GaugeMetricFamily, age_g: GaugeMetricFamily) -> bool:
        """Unacknowledged deliveries per subscriber: one GROUP BY on the (status, next_attempt_at) index.

        Delivered rows are never counted (they only grow); pending and dead rows are the backlog an operator
        acts on. Every subscriber gets a series, zeros included, so an alert can tell "none" from "no
        data".
        """
        names = dict(Subscriber.objects.values_list("pk", "name"))
        unacknowledged = (DeliveryStatus.PENDING, DeliveryStatus.DEAD)
        counts = {(name, status): 0 for name in names.values() for status in unacknowledged}
        oldest: dict[str, float] = dict.fromkeys(names.values(), 0.0)
        rows = (
            Delivery.objects.filter(status__in=unacknowledged)
            .order_by()
            .values_list("subscriber_id", "status")
            .annotate(n=Count("*"), first=Min("created_at"))
        )
        for subscriber_id, status, n, first in rows:
            name = names.get(subscriber_id, "unknown")
            counts[(name, str(status))] = n
            if status == DeliveryStatus.PENDING and first is not None:
                oldest[name] = max((now - first).total_seconds(), 0.0)
        for (name, status), n in sorted(counts.items()):
            count_g.add_metric([name, status], n)
        for name, age in sorted(oldest.items()):
            age_g.add_metric([name], age)
        return True

    @staticmethod
    def _audit(broken_g: GaugeMetricFamily, at_g: GaugeMetricFamily) -> bool:
        """The last stored audit check (the daily beat task runs it in a worker; any web process answers the
        scrape, so the result lives in the database, not in a gauge of the worker's process)."""
        last = AuditCheck.objects.order_by("-at", "-pk").values_list("at", "broken").first()
        if last is None:
            return True
        broken_g.add_metric([], last[1])
        at_g.add_metric([], last[0].timestamp())
        return True


business_collector = BusinessCollector()

__all__ = ["AgencyLabels", "BusinessCollector", "agency_labels", "agency_level", "business_collector"]
