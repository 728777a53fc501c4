"""The figures a province is judged by, computed in the database for any agency scope and period.

Legal basis and formulas: domain.md §2.4 (early / on time / late; in progress in time / overdue), §3.2
(online-service indicators), §4.2 (Decision 766/QĐ-TTg scorecard, ``qd766-v1`` with the ``qd766-online-v1``
2/4/6 profile of group 3), §5 (time-reduction targets), §6.1 (PCI Time Cost / Transparency proxies) and
§6.3 (TT 01/2020 periodic report, columns 3–13).

How: every dossier-level figure is a named ``Q`` over one annotated ``Dossier`` queryset (:func:`facts`),
counted with conditional ``COUNT … FILTER`` in a single grouped query per period (:func:`count_raw`); the
same ``Q`` lists the dossiers behind a number (:func:`dossiers_behind`), so every figure on the dashboard
can be audited. Month-aligned periods read the same counts from :class:`metrics.models.MonthlyRollup`
(:func:`count_rollups`). Catalogue-level figures (share of procedures online, publication, time reduction)
read the small procedure catalogue; complaints (PAKN) their own table. :func:`scorecard` turns the counts
into the JSON of ``manage.py indicators``.

Choices where domain.md is silent or contradicts itself are flagged ``[U]`` in :data:`INDICATORS` and
configurable in settings (``QD766_TARGETS``, ``QD766_ONLINE_SHARE_TIMES_SYNC``,
``COMPLAINT_HANDLING_WORKING_DAYS``, ``TIME_REDUCTION_*``).
"""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics.models import END_COUNTS, FLOW_COUNTS, POPULATION_FLAGS, ROLLUP_HOURS, START_COUNTS, AgencyTarget
from procedures.choices import AgencyLevel, OnlineLevel, TermUnit
from procedures.models import Agency, ProcedureVersion
from procedures.terms import WORKING_DAY_HOURS, format_decimal
from sla.selectors import calendar_for
from workflows.choices import Channel, ComplaintKind, DossierStatus, OnlinePayment, Rating
from workflows.models import Complaint, Dossier

S = DossierStatus
FORMULA_VERSION = "qd766-v1"
ONLINE_PROFILE = "qd766-online-v1"
ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class IndicatorError(ValueError):
    """Bad scope or period: the message says which and why."""


# --- the declarative catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One 766 indicator: where it is defined, how many points, and when it reaches them."""

    code: str
    name_vi: str
    name_en: str
    section: str
    max_points: float
    target_pct: float | None  # full score at this ratio; None = linear (max × ratio)
    group: int
    unit: str = "%"
    formula_version: str = FORMULA_VERSION
    unconfirmed: bool = False  # domain.md tags the formula or target [U]

    def target(self, overrides: dict[str, float] | None = None) -> float | None:
        """The configured target (settings ``QD766_TARGETS`` override; 0 there means linear)."""
        overrides = settings.QD766_TARGETS if overrides is None else overrides
        override = overrides.get(self.code)
        if override is not None:
            return override or None
        return self.target_pct


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "1.1",
        "Tỷ lệ TTHC công bố đúng hạn",
        "Procedures published on time",
        "§4.2",
        6,
        None,
        1,
        unconfirmed=True,
    ),
    Indicator(
        "1.2",
        "Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
        "Procedures made public on time",
        "§4.2",
        4,
        None,
        1,
        unconfirmed=True,
    ),
    Indicator(
        "1.3",
        "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành",
        "Procedures published with all components",
        "§4.2",
        2,
        None,
        1,
        unconfirmed=True,
    ),
    Indicator(
        "1.4",
        "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
        "Dossiers synced to the national portal",
        "§4.2",
        6,
        None,
        1,
        unconfirmed=True,
    ),
    Indicator(
        "2.1",
        "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn",
        "Dossiers handled early or on time",
        "§4.2, §2.4",
        20,
        None,
        2,
        unconfirmed=True,
    ),
    Indicator(
        "2.2",
        "Thời gian giải quyết TTHC trung bình",
        "Average handling time (working days)",
        "§4.2",
        0,
        None,
        2,
        unit="ngày làm việc",
    ),
    Indicator(
        "3.1",
        "Tỷ lệ TTHC cung cấp DVCTT",
        "Procedures offered online",
        "§4.2, §3.2",
        2,
        80,
        3,
        formula_version=ONLINE_PROFILE,
    ),
    Indicator(
        "3.2",
        "Tỷ lệ DVCTT có phát sinh hồ sơ",
        "Online services with dossiers",
        "§4.2, §3.2",
        4,
        100,
        3,
        formula_version=ONLINE_PROFILE,
    ),
    Indicator(
        "3.3",
        "Tỷ lệ hồ sơ nộp trực tuyến",
        "Dossiers submitted online",
        "§4.2, §3.2",
        6,
        50,
        3,
        formula_version=ONLINE_PROFILE,
    ),
    Indicator(
        "3.5",
        "Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến",
        "Fee-bearing procedures integrated with online payment",
        "§4.2, §3.2",
        2,
        80,
        3,
    ),
    Indicator(
        "3.5b",
        "TTHC có giao dịch thanh toán trực tuyến",
        "Fee-bearing procedures with online payments",
        "§4.2",
        2,
        80,
        3,
        unconfirmed=True,
    ),
    Indicator(
        "3.6",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        "Dossiers paid online",
        "§4.2, §3.2",
        6,
        80,
        3,
        unconfirmed=True,
    ),
    Indicator(
        "4.1",
        "Tỷ lệ hồ sơ có cấp kết quả giải quyết TTHC điện tử",
        "Dossiers with an electronic result",
        "§4.2",
        6,
        None,
        4,
        unconfirmed=True,
    ),
    Indicator("4.2", "Tỷ lệ hồ sơ thực hiện số hóa hồ sơ", "Digitised dossiers", "§4.2", 4, 80, 4),
    Indicator(
        "4.x",
        "Cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
        "Electronic certified copies offered",
        "§4.2",
        2,
        None,
        4,
        unconfirmed=True,
    ),
    Indicator(
        "4.3",
        "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        "Dossiers reusing digitised data",
        "§4.2",
        2,
        80,
        4,
    ),
    Indicator(
        "4.4",
        "Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng",
        "Dossiers sharing data with the citizen's data store",
        "§4.2",
        4,
        None,
        4,
        unconfirmed=True,
    ),
    Indicator(
        "4.5a",
        "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư",
        "Citizen procedures using population data",
        "§4.2",
        2,
        None,
        4,
        unconfirmed=True,
    ),
    Indicator(
        "4.5b",
        "Tỷ lệ hồ sơ có sử dụng thông tin, dữ liệu dân cư",
        "Dossiers using population data",
        "§4.2",
        2,
        None,
        4,
        unconfirmed=True,
    ),
    Indicator("5.1", "Phân loại PAKN", "Complaints classified", "§4.2", 0, None, 5),
    Indicator(
        "5.2", "Tỷ lệ PAKN xử lý đúng hạn", "Complaints handled on time", "§4.2", 6, None, 5, unconfirmed=True
    ),
    Indicator(
        "5.3",
        "Tỷ lệ hài lòng trong xử lý PAKN",
        "Satisfaction with complaint handling",
        "§4.2",
        6,
        None,
        5,
        unconfirmed=True,
    ),
    Indicator(
        "5.4",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        "Satisfaction with procedure handling",
        "§4.2",
        6,
        90,
        5,
    ),
)
INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}
GROUPS = {
    1: gettext_lazy("Công khai, minh bạch"),
    2: gettext_lazy("Tiến độ, kết quả giải quyết"),
    3: gettext_lazy("Cung cấp dịch vụ trực tuyến"),
    4: gettext_lazy("Số hóa hồ sơ"),
    5: gettext_lazy("Mức độ hài lòng"),
}
GROUP_MAX = {g: sum(i.max_points for i in INDICATORS if i.group == g) for g in GROUPS}

# TT 01/2020 report columns (domain §6.3) and their Vietnamese headers, keyed as in the ``report_row`` JSON.
REPORT_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("received_total", 3, "Tổng số hồ sơ nhận giải quyết"),
    ("carried_over", 4, "Từ kỳ trước"),
    ("received_online", 5, "Trực tuyến"),
    ("received_direct_postal", 6, "Trực tiếp, dịch vụ bưu chính"),
    ("resolved_total", 7, "Tổng số hồ sơ đã giải quyết"),
    ("resolved_early", 8, "Trước hạn"),
    ("resolved_on_time", 9, "Đúng hạn"),
    ("resolved_late", 10, "Quá hạn"),
    ("in_progress_total", 11, "Tổng số hồ sơ đang giải quyết"),
    ("in_progress_in_time", 12, "Trong hạn"),
    ("in_progress_late", 13, "Quá hạn"),
)


# --- scope and period --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """An agency, or an agency and every unit below it."""

    agency: Agency
    agency_ids: tuple[int, ...]
    include_children: bool

    @property
    def label(self) -> str:
        return self.agency.name + (" " + _("(và các đơn vị trực thuộc)") if self.include_children else "")


def descendants(agency_ids: Iterable[int]) -> set[int]:
    """The agencies and all units below them; one query for the whole tree (agencies are few)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Agency.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, stack = set(), list(agency_ids)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, ()))
    return found


def scope_for(agency_code: str, *, include_children: bool = False) -> Scope:
    agency = Agency.objects.filter(code=agency_code).first()
    if agency is None:
        raise IndicatorError(_("Không có cơ quan mã “%(code)s”.") % {"code": agency_code})
    ids = descendants([agency.pk]) if include_children else {agency.pk}
    return Scope(agency=agency, agency_ids=tuple(sorted(ids)), include_children=include_children)


@dataclass(frozen=True)
class Period:
    """``[start, end]`` by local date (TT 01/2020: TuNgay–DenNgay, both included)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise IndicatorError(
                _("Kỳ báo cáo không hợp lệ: từ ngày %(start)s sau đến ngày %(end)s.")
                % {"start": f"{self.start:%d/%m/%Y}", "end": f"{self.end:%d/%m/%Y}"}
            )

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after ``end``."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def as_of(self, now: datetime | None = None) -> datetime:
        """The instant the in-progress figures are taken at: the period end, or now for a current period."""
        now = now or timezone.now()
        return min(self.end_at, now)

    def end_day(self, now: datetime | None = None) -> date:
        """The report's "period end" date (domain §2.4: due date ≥ it means in time)."""
        as_of = self.as_of(now)
        return self.end if as_of == self.end_at else timezone.localtime(as_of).date()

    def months(self) -> list[date] | None:
        """First days of the months this period covers exactly, or None if it is not month-aligned."""
        if self.start.day != 1 or self.end.day != pycalendar.monthrange(self.end.year, self.end.month)[1]:
            return None
        months, day = [], self.start
        while day <= self.end:
            months.append(day)
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return months

    @classmethod
    def month(cls, day: date) -> Period:
        return cls(day.replace(day=1), day.replace(day=pycalendar.monthrange(day.year, day.month)[1]))

    @classmethod
    def named(cls, kind: str, day: date) -> Period:
        """month | quarter | year containing ``day``."""
        if kind == "month":
            return cls.month(day)
        if kind == "quarter":
            first = ((day.month - 1) // 3) * 3 + 1
            return cls(date(day.year, first, 1), cls.month(date(day.year, first + 2, 1)).end)
        if kind == "year":
            return cls(date(day.year, 1, 1), date(day.year, 12, 31))
        raise IndicatorError(_("Loại kỳ “%(kind)s” không hợp lệ (month, quarter, year).") % {"kind": kind})


# --- dossier facts as SQL ----------------------------------------------------------------------------------

_DONE = (S.DECIDED, S.RETURNED, S.WITHDRAWN)  # end states of the report (domain §6.3: 9, 10, 7)
_WAITING = (S.SUPPLEMENT, S.PAYMENT)  # counted in time while the applicant has the dossier (§6.3 col 12)


def facts(
    agency_ids: Iterable[int] | None,
    period: Period,
    now: datetime | None = None,
    *,
    procedure_ids: Iterable[int] | None = None,
) -> QuerySet[Dossier]:
    """Dossiers of the scope that matter for ``period`` (received by its end, not done before its start),
    annotated with the facts every figure is a ``Q`` over. States 1 and 3 (never received) are excluded."""
    tz = timezone.get_current_timezone()
    end_at = period.end_at
    # Sargable pre-filter (indexes on received_at, finished_at); the exact done-before-start test is below.
    qs = Dossier.objects.filter(received_at__isnull=False, received_at__lt=end_at).filter(
        Q(finished_at__isnull=True) | Q(finished_at__gte=period.start_at) | ~Q(status__in=_DONE)
    )
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=list(agency_ids))
    if procedure_ids is not None:
        qs = qs.filter(procedure_version__procedure_id__in=list(procedure_ids))
    return (
        qs.annotate(
            done_at=Case(
                When(status__in=_DONE, then=F("finished_at")), default=None, output_field=DateTimeField()
            ),
            wait_since=Case(
                When(status__in=_WAITING, then=F("paused_at")),
                When(status=S.STOPPED, then=F("finished_at")),
                default=None,
                output_field=DateTimeField(),
            ),
        )
        .filter(Q(done_at__isnull=True) | Q(done_at__gte=period.start_at))
        .annotate(
            done_day=TruncDate("done_at", tzinfo=tz),
            due_day=TruncDate("due_at", tzinfo=tz),
            appointment_plus_pause=F("appointment_at") + F("paused_calendar"),
            procedure_id=F("procedure_version__procedure_id"),
        )
    )


def figure_filters(period: Period, now: datetime | None = None) -> dict[str, Q]:
    """Every dossier-level count as a ``Q`` over :func:`facts` (rules cited per line)."""
    start, end = period.start_at, period.end_at
    as_of, end_day = period.as_of(now), period.end_day(now)
    received = Q(received_at__gte=start)
    carried = Q(received_at__lt=start)  # §6.3 (4): not done before the start (facts() filters that)
    resolved = Q(done_at__isnull=False, done_at__lt=end)  # §6.3 (7): 9/10 and withdrawn, done in the period
    withdrawn = Q(status=S.WITHDRAWN)
    has_due = Q(due_at__isnull=False)
    in_progress = ~resolved
    waiting = Q(wait_since__isnull=False, wait_since__lt=end)  # 5/6/8 at the period end count in time
    one_supplement = Q(supplement_count__lt=2)  # two or more requests ⇒ late (§2.4, 766 2.1)
    paper = Q(procedure_version__paper_result_required=True)
    e_result = ~Q(e_result_code="") & ~Q(e_result_url="")
    fee_bearing = Q(procedure_version__fees_vnd__gt=0) | Q(fee_total_vnd__gt=0)
    flags = {
        "synced": Q(synced_at__isnull=False),
        "vneid": Q(vneid_verified=True),
        "paper": paper,
        "paper_e_result": paper & e_result,
        "digitised": Q(digitised_attachments=True) & (~paper | e_result),  # 766 4.2: (1) and (2)
        "reused": Q(digitised_reused=True),
        "data_store": Q(digitised_from_store=True) | Q(result_in_store=True),
        "complained_or_disliked": Q(rating=Rating.DISLIKE) | Q(complained_at__lt=end),
        "no_supplement": Q(supplement_count=0),
    }
    filters = {
        "carried_over": carried,
        "received_online": received & Q(channel=Channel.ONLINE),
        "received_direct_postal": received & ~Q(channel=Channel.ONLINE),
        "resolved_total": resolved,
        # §2.4 periodic report: by local date; withdrawn and "no due date" count as on time.
        "resolved_early": resolved & ~withdrawn & has_due & Q(done_day__lt=F("due_day")),
        "resolved_on_time": resolved & (withdrawn | ~has_due | Q(done_day=F("due_day"))),
        "resolved_late": resolved & ~withdrawn & has_due & Q(done_day__gt=F("due_day")),
        # §2.4 766: timestamp, end minus the applicant's time, against the appointment on the receipt.
        "resolved_ok_766": resolved
        & one_supplement
        & (Q(appointment_at__isnull=True) | Q(done_at__lte=F("appointment_plus_pause"))),
        "in_progress_total": in_progress,
        "in_progress_in_time": in_progress & (waiting | ~has_due | Q(due_day__gte=end_day)),
        "in_progress_late": in_progress & ~waiting & has_due & Q(due_day__lt=end_day),
        "in_progress_ok_766": in_progress
        & one_supplement
        & (
            (waiting & (~has_due | Q(wait_since__lte=F("due_at"))))
            | (~waiting & (~has_due | Q(due_at__gte=as_of)))
        ),
        # §3.2: online dossiers of paper-result procedures count only with an e-result code and file link.
        "received_online_qualifying": received & Q(channel=Channel.ONLINE) & (~paper | e_result),
        # §3.2 dossier-level payment: fee-bearing dossiers minus those whose fee list is all zero.
        "payment_due": received & fee_bearing & ~Q(fee_total_vnd=0),
        "payment_online": received & fee_bearing & ~Q(fee_total_vnd=0) & ~Q(paid_online=OnlinePayment.NO),
        "fee_synced": received & Q(synced_at__isnull=False, fee_total_vnd__gt=0),
        "decided_total": resolved & Q(status__in=(S.DECIDED, S.RETURNED), working_hours_used__isnull=False),
    }
    for flag, condition in flags.items():
        filters[f"{flag}_c"] = carried & condition
        filters[f"{flag}_r"] = received & condition
    return filters


def _hours_aggregates(filters: dict[str, Q]) -> dict[str, Any]:
    decided = filters["decided_total"]
    return {
        "hours_used": Sum("working_hours_used", filter=decided, default=ZERO),
        "hours_statutory": Sum("statutory_working_hours", filter=decided, default=ZERO),
    }


COUNT_NAMES = (*FLOW_COUNTS, *START_COUNTS, *END_COUNTS)
# Counts that some indicator needs per procedure (distinct procedures with at least one such dossier).
DISTINCT_COUNTS = ("received_online", "fee_synced", "payment_online", "vneid_c", "vneid_r")
DISTINCT_FIGURES = ("dvc_with", "fee_synced", "paid_any", "citizens_vneid")


def count_raw(
    agency_ids: Iterable[int] | None,
    period: Period,
    now: datetime | None = None,
    *,
    by: tuple[str, ...] = ("procedure_id",),
    procedure_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """One grouped query: every count of :data:`COUNT_NAMES` per ``by`` group (default: per procedure)."""
    filters = figure_filters(period, now)
    aggregates = {name: Count("pk", filter=filters[name]) for name in COUNT_NAMES}
    aggregates.update(_hours_aggregates(filters))
    qs = facts(agency_ids, period, now, procedure_ids=procedure_ids)
    return list(qs.order_by().values(*by).annotate(**aggregates))


def dossiers_behind(
    figure: str, agency_ids: Iterable[int], period: Period, now: datetime | None = None
) -> QuerySet[Dossier]:
    """The dossiers a number stands for (drill-down); ``figure`` is a count name or a report_row key."""
    filters = figure_filters(period, now)
    aliases = {
        "received_total": Q(),
        "received": Q(received_at__gte=period.start_at),
        "late_766": ~(filters["resolved_ok_766"] | filters["in_progress_ok_766"]),
        "ok_766": filters["resolved_ok_766"] | filters["in_progress_ok_766"],
        "payment_online": filters["payment_online"],
    }
    for flag in POPULATION_FLAGS:
        aliases[flag] = filters[f"{flag}_c"] | filters[f"{flag}_r"]
    condition = aliases.get(figure, filters.get(figure))
    if condition is None:
        raise IndicatorError(_("Không có chỉ tiêu “%(name)s”.") % {"name": figure})
    return facts(agency_ids, period, now).filter(condition).order_by("-received_at")


# --- counts: raw or from rollups ---------------------------------------------------------------------------


@dataclass
class Counts:
    """The dossier counts of a scope and period, plus the per-procedure detail the distinct figures need."""

    totals: dict[str, Any]
    by_procedure: dict[int, dict[str, Any]] = field(default_factory=dict)
    source: str = "raw"
    # Sizes of the distinct-procedure figures when the database counted them (bulk path), else None.
    distinct: dict[str, int] | None = None

    def __getitem__(self, name: str) -> Any:
        return self.totals[name]

    def procedures_with(self, name: str) -> set[int]:
        cache = self.__dict__.setdefault("_with", {})
        if name not in cache:
            cache[name] = {pk for pk, row in self.by_procedure.items() if row.get(name)}
        return cache[name]


def _totals(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = dict.fromkeys(COUNT_NAMES, 0)
    totals.update(dict.fromkeys(ROLLUP_HOURS, ZERO))
    for row in rows:
        for name in totals:
            totals[name] += row.get(name) or 0
    return totals


def counts_raw(agency_ids: Iterable[int], period: Period, now: datetime | None = None) -> Counts:
    rows = count_raw(agency_ids, period, now)
    return Counts(totals=_totals(rows), by_procedure={r["procedure_id"]: r for r in rows}, source="raw")


def rollups_cover(agency_ids: Iterable[int], period: Period, now: datetime | None = None) -> bool:
    """Rollups can answer a period made of whole months that have ended (a current month's in-progress
    figures move with the clock, so they are counted live), once they have been rebuilt from scratch and no
    slice is waiting to be recounted (an event whose recount has not run yet)."""
    from metrics.models import RollupDirty, RollupState

    months = period.months()
    if months is None or period.end_at > (now or timezone.now()):
        return False
    state = RollupState.objects.filter(pk=1).first()
    if state is None or (state.months_from and months[0] < state.months_from):
        return False
    return not RollupDirty.objects.exists()


def counts_rollup(agency_ids: Iterable[int], period: Period) -> Counts:
    """The same counts from :class:`MonthlyRollup`: flows summed, start counts of the first month, end counts
    of the last — one ``GROUP BY procedure`` query."""
    from metrics.models import MonthlyRollup

    months = period.months()
    assert months, "counts_rollup needs a month-aligned period"
    first, last = months[0], months[-1]
    aggregates: dict[str, Any] = {name: Sum(name, default=0) for name in FLOW_COUNTS}
    aggregates.update({name: Sum(name, filter=Q(month=first), default=0) for name in START_COUNTS})
    aggregates.update({name: Sum(name, filter=Q(month=last), default=0) for name in END_COUNTS})
    aggregates.update({name: Sum(name, default=ZERO) for name in ROLLUP_HOURS})
    rows = list(
        MonthlyRollup.objects.filter(agency_id__in=list(agency_ids), month__gte=first, month__lte=last)
        .order_by()
        .values("procedure_id")
        .annotate(**aggregates)
    )
    return Counts(totals=_totals(rows), by_procedure={r["procedure_id"]: r for r in rows}, source="rollup")


def counts_for(
    agency_ids: Iterable[int], period: Period, now: datetime | None = None, *, source: str = "auto"
) -> Counts:
    """``auto``: rollups when they cover the period, else raw SQL; ``raw`` / ``rollup`` force one."""
    if source == "rollup" or (source == "auto" and rollups_cover(agency_ids, period, now)):
        if period.months() is None:
            raise IndicatorError(_("Số liệu tổng hợp chỉ có theo tháng: chọn kỳ từ ngày 1 đến cuối tháng."))
        return counts_rollup(agency_ids, period)
    return counts_raw(agency_ids, period, now)


# --- catalogue and complaints ------------------------------------------------------------------------------


def versions_in_force(agency_ids: Iterable[int], day: date) -> list[ProcedureVersion]:
    """The version of each procedure of the scope in force on ``day`` (one query; the catalogue is small)."""
    versions = (
        ProcedureVersion.objects.filter(procedure__agency_id__in=list(agency_ids), effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .select_related("procedure", "procedure__agency")
        .annotate(step_count=Count("steps"))
        .order_by("procedure_id", "-effective_from")
    )
    latest: dict[int, ProcedureVersion] = {}
    for version in versions:
        latest.setdefault(version.procedure_id, version)
    return list(latest.values())


def _working_days_shift(day: date, days: int, agency_code: str) -> date:
    """``day`` moved by ``days`` working days on the agency's calendar (1.1/1.2 publication windows)."""
    cal = calendar_for(agency_code)
    step = 1 if days >= 0 else -1
    current, left = day, abs(days)
    while left:
        current += timedelta(days=step)
        if cal.is_working_day(current):
            left -= 1
    return current


def _is_ministry(agency: Agency) -> bool:
    return any(a.level == AgencyLevel.MINISTRY for a in agency.ancestors())


def publication_counts(agency_ids: Iterable[int], period: Period) -> dict[str, int]:
    """766 1.1 and 1.2 over the versions whose publication decision is dated in the period (one TTHC once;
    any late version makes it late). Ministry: 20 / 10 working days; province: 5 / 5 (domain §4.2)."""
    versions = (
        ProcedureVersion.objects.filter(
            procedure__agency_id__in=list(agency_ids),
            publication_decision_date__gte=period.start,
            publication_decision_date__lte=period.end,
        )
        .select_related("procedure__agency")
        .order_by()
    )
    return publication_of(list(versions))


def publication_of(versions: Iterable[ProcedureVersion]) -> dict[str, int]:
    """1.1 / 1.2 over versions whose publication decision falls in the period (see publication_counts)."""
    published: dict[int, bool] = {}
    publicized: dict[int, bool] = {}
    for v in versions:
        agency = v.procedure.agency
        ministry = _is_ministry(agency)
        if v.legal_basis_effective_date is not None:
            latest = _working_days_shift(v.legal_basis_effective_date, -(20 if ministry else 5), agency.code)
            on_time = v.publication_decision_date <= latest
        else:
            on_time = True  # no effective date recorded: nothing to be late against [U]
        published[v.procedure_id] = published.get(v.procedure_id, True) and on_time
        window = _working_days_shift(v.publication_decision_date, 10 if ministry else 5, agency.code)
        public_ok = v.publicized_on is not None and v.publicized_on <= window
        publicized[v.procedure_id] = publicized.get(v.procedure_id, True) and public_ok
    return {
        "published_total": len(published),
        "published_on_time": sum(published.values()),
        "publicized_on_time": sum(publicized.values()),
    }


def _complete(version: ProcedureVersion) -> bool:
    """Decree 63/2010 Art 8 k2 components present (766 1.3): name, steps, documents, term, agency, fees,
    legal basis."""
    return bool(
        version.procedure.name.strip()
        and version.step_count
        and version.required_documents.strip()
        and version.statutory_term_amount is not None
        and (version.fees_vnd is not None or version.fees_text.strip())
        and version.legal_basis.strip()
    )


def reduction_pct(version: ProcedureVersion) -> Decimal | None:
    """(statutory − committed) / statutory × 100 (domain §5, Ex 9); None when the statutory term is 0."""
    if version.statutory_term_unit == version.committed_term_unit:
        statutory, committed = version.statutory_term_amount, version.committed_term_amount
    else:
        statutory = version.statutory_term.max_working_hours()
        committed = version.committed_term.max_working_hours()
    if not statutory:
        return None
    return (statutory - committed) / statutory * HUNDRED


CERTIFIED_COPY_NAME = "chứng thực bản sao điện tử"
_HOURS_PER_UNIT = {
    TermUnit.WORKING_HOURS: Decimal(1),
    TermUnit.WORKING_DAYS: WORKING_DAY_HOURS,
    TermUnit.CALENDAR_DAYS: WORKING_DAY_HOURS,
}


def _max_hours(amount: Decimal, unit: str) -> Decimal:
    """``Term.max_working_hours`` without building a Term (the bulk path does this thousands of times)."""
    return amount * _HOURS_PER_UNIT[unit]


def _term_text(amount: Decimal, unit: str) -> str:
    """ "7 ngày làm việc": the catalogue's own wording of a term."""
    return f"{format_decimal(amount)} {_unit_label(unit)}"


def _unit_label(unit: str) -> str:
    labels = _UNIT_LABELS.setdefault(translation.get_language(), {})
    if unit not in labels:
        labels[unit] = str(TermUnit(unit).label)
    return labels[unit]


_UNIT_LABELS: dict[str | None, dict[str, str]] = {}


def catalogue_counts(agency_ids: Iterable[int], period: Period, reduction_target: Decimal) -> dict[str, Any]:
    return catalogue_of(versions_in_force(agency_ids, period.end), reduction_target)


def catalogue_of(versions: list[ProcedureVersion], reduction_target: Decimal) -> dict[str, Any]:
    """Catalogue-level figures of a list of versions in force (3.1, 3.2/3.5 denominators, 1.3, §5)."""
    online = [v for v in versions if v.online_level in (OnlineLevel.FULL, OnlineLevel.PARTIAL)]
    eligible = [v for v in versions if v.full_online_eligible]
    reductions = [(v, reduction_pct(v)) for v in versions]
    reductions = [(v, pct) for v, pct in reductions if pct is not None]
    copies = [v for v in versions if CERTIFIED_COPY_NAME in v.procedure.name.lower()]
    statutory_sum = sum(
        (_max_hours(v.statutory_term_amount, v.statutory_term_unit) for v, _p in reductions), ZERO
    )
    committed_sum = sum(
        (_max_hours(v.committed_term_amount, v.committed_term_unit) for v, _p in reductions), ZERO
    )
    return {
        "procedures": {v.procedure_id for v in versions},
        "procedures_total": len(versions),
        "procedures_online": len(online),
        "procedures_full": sum(v.online_level == OnlineLevel.FULL for v in versions),
        "procedures_full_eligible": len(eligible),
        "procedures_full_among_eligible": sum(v.online_level == OnlineLevel.FULL for v in eligible),
        "dvc": {v.procedure_id for v in online},
        "fee_bearing": {v.procedure_id for v in versions if (v.fees_vnd or 0) > 0},
        "for_citizens": {v.procedure_id for v in versions if v.for_citizens},
        "complete": sum(_complete(v) for v in versions),
        "certified_copy_total": len(copies),
        "certified_copy_online": sum(v.online_level != OnlineLevel.NONE for v in copies),
        "reductions": reductions,
        "meeting_target": sum(pct >= reduction_target for _v, pct in reductions),
        "reduction_rows": [
            {
                "code": v.procedure.code,
                "name": v.procedure.name,
                "statutory": _term_text(v.statutory_term_amount, v.statutory_term_unit),
                "committed": _term_text(v.committed_term_amount, v.committed_term_unit),
                "reduction_pct": float(p.quantize(CENT, ROUND_HALF_UP)),
                "meets_target": p >= reduction_target,
            }
            for v, p in sorted(reductions, key=lambda item: item[0].procedure.code)
        ],
        "statutory_hours": statutory_sum,
        "committed_hours": committed_sum,
    }


def _complaint_aggregates(period: Period, now: datetime | None, suffix: str = "") -> dict[str, Count]:
    """The group 5 counts (5.1–5.3) of one period as conditional aggregates over the complaint table."""
    start, end, as_of = period.start_at, period.end_at, period.as_of(now)
    alive = Q(received_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
    received = alive & Q(received_at__gte=start)
    resolved = Q(resolved_at__isnull=False, resolved_at__lt=end)
    overdue = (resolved & Q(resolved_at__gt=F("due_at"))) | (~resolved & Q(due_at__lt=as_of))
    disliked = Q(dislikes__gt=F("likes"))
    return {
        f"complaints_handled{suffix}": Count("pk", filter=alive),
        f"complaints_on_time{suffix}": Count("pk", filter=alive & ~overdue),
        f"complaints_received{suffix}": Count("pk", filter=received),
        f"complaints_classified{suffix}": Count("pk", filter=received & ~Q(kind=ComplaintKind.OTHER)),
        f"complaints_satisfied{suffix}": Count(
            "pk", filter=received & ~overdue & ~disliked & Q(repeated=False)
        ),
        f"complaints_about_staff{suffix}": Count("pk", filter=received & Q(kind=ComplaintKind.STAFF)),
    }


def complaint_counts(
    agency_ids: Iterable[int], period: Period, now: datetime | None = None
) -> dict[str, int]:
    """Group 5 (5.1–5.3) in one aggregate over the complaints of the scope."""
    qs = Complaint.objects.filter(agency_id__in=list(agency_ids))
    return qs.aggregate(**_complaint_aggregates(period, now))


def complaint_counts_months(
    agency_ids: Iterable[int], periods: list[Period], now: datetime | None = None
) -> dict[tuple[int, date], dict[str, int]]:
    """:func:`complaint_counts` per agency for several periods in one query (conditional aggregates)."""
    aggregates: dict[str, Any] = {}
    for n, period in enumerate(periods):
        aggregates.update(_complaint_aggregates(period, now, f"__{n}"))
    result: dict[tuple[int, date], dict[str, int]] = {}
    rows = Complaint.objects.filter(agency_id__in=list(agency_ids)).order_by().values("agency_id")
    for row in rows.annotate(**aggregates):
        for n, period in enumerate(periods):
            result[(row["agency_id"], period.start)] = {name: row[f"{name}__{n}"] for name in NO_COMPLAINTS}
    return result


NO_COMPLAINTS = dict.fromkeys(
    (
        "complaints_handled",
        "complaints_on_time",
        "complaints_received",
        "complaints_classified",
        "complaints_satisfied",
        "complaints_about_staff",
    ),
    0,
)


# --- targets -----------------------------------------------------------------------------------------------


def agency_target(agency: Agency, year: int) -> AgencyTarget | None:
    """The agency's own target row for the year, else the nearest ancestor's."""
    chain = [a.pk for a in reversed(agency.ancestors())]
    targets = {t.agency_id: t for t in AgencyTarget.objects.filter(agency_id__in=chain, year=year)}
    return next((targets[pk] for pk in chain if pk in targets), None)


def reduction_target(agency: Agency, year: int) -> Decimal:
    target = agency_target(agency, year)
    if target is not None and target.time_reduction_pct is not None:
        return Decimal(target.time_reduction_pct)
    return Decimal(str(settings.TIME_REDUCTION_TARGETS.get(year, settings.TIME_REDUCTION_DEFAULT_TARGET)))


# --- ratios and scores -------------------------------------------------------------------------------------


def pct(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """Percentage rounded to 2 decimals (§4.2); a zero denominator gives 0 (§4.2: "show 0 or N/A")."""
    if not denominator:
        return ZERO.quantize(CENT)
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT, ROUND_HALF_UP)


def score(indicator: Indicator, ratio: Decimal, overrides: dict[str, float] | None = None) -> Decimal:
    """``min(max, max × ratio / target)`` where a target is set, else ``max × ratio`` (§4.2), from the
    rounded ratio as the worked examples do."""
    maximum = Decimal(str(indicator.max_points))
    target = indicator.target(overrides)
    if target:
        return min(maximum, maximum * ratio / Decimal(str(target)))
    return maximum * ratio / HUNDRED


def _entry_of(
    indicator: Indicator, numerator, denominator, ratio: Decimal | None = None, overrides=None
) -> dict[str, Any]:
    ratio = pct(numerator, denominator) if ratio is None else ratio
    value = score(indicator, ratio, overrides)
    return {
        "numerator": float(numerator) if isinstance(numerator, Decimal) else numerator,
        "denominator": float(denominator) if isinstance(denominator, Decimal) else denominator,
        "ratio": float(ratio),
        "score": float(value.quantize(CENT, ROUND_HALF_UP)),
        "max": indicator.max_points,
        "_exact": value,
    }


def _round(value: Decimal) -> float:
    return float(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def scorecard(
    scope: Scope, period: Period, *, now: datetime | None = None, source: str = "auto"
) -> dict[str, Any]:
    """The whole ``manage.py indicators`` JSON for a scope and period (keys fixed by issue 4; README)."""
    now = now or timezone.now()
    ids = scope.agency_ids
    counts = counts_for(ids, period, now, source=source)
    year = period.end.year
    target_row = agency_target(scope.agency, year)
    red_target = reduction_target(scope.agency, year)
    cat = catalogue_counts(ids, period, red_target)
    pub = publication_counts(ids, period)
    pakn = complaint_counts(ids, period, now)
    return assemble(scope, period, now, counts, cat, pub, pakn, target_row, red_target)


def assemble(
    scope: Scope,
    period: Period,
    now: datetime,
    counts: Counts,
    cat: dict[str, Any],
    pub: dict[str, int],
    pakn: dict[str, int],
    target_row: AgencyTarget | None,
    red_target: Decimal,
) -> dict[str, Any]:
    """Ratios, scores and the JSON from the gathered counts (pure Python, no query)."""
    c = counts.totals

    def pop(flag: str) -> int:
        return c[f"{flag}_c"] + c[f"{flag}_r"]

    received = c["received_online"] + c["received_direct_postal"]
    population = c["carried_over"] + received
    report_row = {
        "received_total": population,
        "carried_over": c["carried_over"],
        "received_online": c["received_online"],
        "received_direct_postal": c["received_direct_postal"],
        "resolved_total": c["resolved_total"],
        "resolved_early": c["resolved_early"],
        "resolved_on_time": c["resolved_on_time"],
        "resolved_late": c["resolved_late"],
        "in_progress_total": c["in_progress_total"],
        "in_progress_in_time": c["in_progress_in_time"],
        "in_progress_late": c["in_progress_late"],
    }
    ok_766 = c["resolved_ok_766"] + c["in_progress_ok_766"]
    late_766 = population - ok_766
    sync_ratio = Decimal(pop("synced")) / population if population else ZERO
    times_sync = sync_ratio if settings.QD766_ONLINE_SHARE_TIMES_SYNC else Decimal(1)
    online_33 = pct(Decimal(c["received_online_qualifying"]) * times_sync, received)
    if counts.distinct is not None:
        dvc_with, fee_synced = counts.distinct["dvc_with"], counts.distinct["fee_synced"]
        paid_any, citizens_vneid = counts.distinct["paid_any"], counts.distinct["citizens_vneid"]
    else:
        dvc_with = len(cat["dvc"] & counts.procedures_with("received_online"))
        fee_synced = len(cat["fee_bearing"] & counts.procedures_with("fee_synced"))
        paid_any = len(cat["fee_bearing"] & counts.procedures_with("payment_online"))
        citizens_vneid = len(
            cat["for_citizens"] & (counts.procedures_with("vneid_c") | counts.procedures_with("vneid_r"))
        )
    late_rate = pct(late_766, population)
    bad_rate = pct(pop("complained_or_disliked"), population)
    satisfaction = max(ZERO, HUNDRED - late_rate - bad_rate) if population else ZERO
    avg_days = (
        (c["hours_used"] / Decimal(8) / c["decided_total"]).quantize(CENT, ROUND_HALF_UP)
        if c["decided_total"]
        else ZERO
    )
    i = INDICATOR_BY_CODE
    overrides = settings.QD766_TARGETS  # read once: lazy settings cost per access

    def _entry(indicator, numerator, denominator, ratio=None):
        return _entry_of(indicator, numerator, denominator, ratio, overrides)

    qd = {
        "1.1": _entry(i["1.1"], pub["published_on_time"], pub["published_total"]),
        "1.2": _entry(i["1.2"], pub["publicized_on_time"], pub["published_total"]),
        "1.3": _entry(i["1.3"], cat["complete"], cat["procedures_total"]),
        "1.4": _entry(i["1.4"], pop("synced"), population),
        "2.1": _entry(i["2.1"], ok_766, population),
        # 2.2 is displayed, not scored: the "ratio" is the mean in working days (numerator / denominator).
        "2.2": _entry(i["2.2"], (c["hours_used"] / 8).quantize(CENT), c["decided_total"], avg_days),
        "3.1": _entry(i["3.1"], cat["procedures_online"], cat["procedures_total"]),
        "3.2": _entry(i["3.2"], dvc_with, len(cat["dvc"])),
        "3.3": _entry(i["3.3"], c["received_online_qualifying"], received, online_33),
        "3.5": _entry(i["3.5"], fee_synced, len(cat["fee_bearing"])),
        "3.5b": _entry(i["3.5b"], paid_any, len(cat["fee_bearing"])),
        "3.6": _entry(i["3.6"], c["payment_online"], c["payment_due"]),
        "4.1": _entry(i["4.1"], pop("paper_e_result"), pop("paper")),
        "4.2": _entry(i["4.2"], pop("digitised"), population),
        "4.x": _entry(i["4.x"], cat["certified_copy_online"], cat["certified_copy_total"]),
        "4.3": _entry(i["4.3"], pop("reused"), population),
        "4.4": _entry(i["4.4"], pop("data_store"), population),
        "4.5a": _entry(i["4.5a"], citizens_vneid, len(cat["for_citizens"])),
        "4.5b": _entry(i["4.5b"], pop("vneid"), population),
        "5.1": _entry(i["5.1"], pakn["complaints_classified"], pakn["complaints_received"]),
        "5.2": _entry(i["5.2"], pakn["complaints_on_time"], pakn["complaints_handled"]),
        "5.3": _entry(i["5.3"], pakn["complaints_satisfied"], pakn["complaints_received"]),
        "5.4": _entry(
            i["5.4"], population - late_766 - pop("complained_or_disliked"), population, satisfaction
        ),
    }
    group_exact = {g: sum((e["_exact"] for k, e in qd.items() if i[k].group == g), ZERO) for g in GROUPS}
    for entry in qd.values():
        del entry["_exact"]
    qd766 = {
        **qd,
        "group_scores": {str(g): _round(v) for g, v in group_exact.items()},
        "group_max": {str(g): GROUP_MAX[g] for g in GROUPS},
        "total_score": _round(sum(group_exact.values(), ZERO)),
        "total_max": sum(GROUP_MAX.values()),
        "formula_version": FORMULA_VERSION,
    }
    full_den = cat["procedures_full_eligible"] or cat["procedures_total"]
    full_num = (
        cat["procedures_full_among_eligible"] if cat["procedures_full_eligible"] else cat["procedures_full"]
    )
    online = {
        "procedures_full_share": float(pct(full_num, full_den)),
        "procedures_online_share": float(pct(cat["procedures_online"], cat["procedures_total"])),
        "dossiers_online_share": float(pct(c["received_online"], received)),
        "online_payment_share": float(pct(c["payment_online"], c["payment_due"])),
        "digitised_share": float(pct(pop("digitised"), population)),
        "procedures_total": cat["procedures_total"],
        "procedures_online": cat["procedures_online"],
        "procedures_full": cat["procedures_full"],
        "procedures_full_eligible": cat["procedures_full_eligible"],
    }
    statutory, committed = cat["statutory_hours"], cat["committed_hours"]
    time_reduction = {
        "committed_vs_statutory_pct": float(pct(statutory - committed, statutory)),
        "actual_vs_statutory_pct": float(pct(c["hours_statutory"] - c["hours_used"], c["hours_statutory"])),
        "procedures_meeting_target": cat["meeting_target"],
        "procedures_total": len(cat["reductions"]),
        "target_pct": float(red_target),
        "dossiers_measured": c["decided_total"],
        "procedures": cat["reduction_rows"],
    }
    resolved = c["resolved_total"]
    pci_proxies = {
        "time_cost": {
            "resolved_early_share": float(pct(c["resolved_early"], resolved)),
            "actual_vs_statutory_ratio": float(pct(c["hours_used"], c["hours_statutory"])),
            "average_working_days": float(avg_days),
            "no_supplement_share": float(pct(pop("no_supplement"), population)),
            "reused_data_share": float(pct(pop("reused"), population)),
            "late_share": float(late_rate),
            "complaints_about_staff": pakn["complaints_about_staff"],
            "satisfaction_5_4": float(satisfaction.quantize(CENT)),
        },
        "transparency": {
            "published_on_time_share": qd766["1.1"]["ratio"],
            "publicized_on_time_share": qd766["1.2"]["ratio"],
            "complete_components_share": qd766["1.3"]["ratio"],
            "synced_share": qd766["1.4"]["ratio"],
        },
    }
    targets = {
        "on_time_pct": _target_value(target_row, "on_time_pct"),
        "full_online_pct": _target_value(target_row, "full_online_pct"),
        "online_dossier_pct": _target_value(target_row, "online_dossier_pct"),
        "time_reduction_pct": float(red_target),
        "satisfaction_pct": _target_value(target_row, "satisfaction_pct"),
    }
    return {
        "agency": scope.agency.code,
        "agency_name": scope.agency.name,
        "include_children": scope.include_children,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "as_of": timezone.localtime(period.as_of(now)).isoformat(),
        "source": counts.source,
        "report_row": report_row,
        "on_time": {
            "resolved_early_pct": float(pct(c["resolved_early"], resolved)),
            "resolved_on_time_pct": float(pct(c["resolved_on_time"], resolved)),
            "resolved_late_pct": float(pct(c["resolved_late"], resolved)),
            "in_progress_in_time_pct": float(pct(c["in_progress_in_time"], c["in_progress_total"])),
            "qd766_on_time_pct": qd766["2.1"]["ratio"],
        },
        "qd766": qd766,
        "online": online,
        "time_reduction": time_reduction,
        "pci_proxies": pci_proxies,
        "targets": targets,
        "gaps": target_gaps(targets, cat, c, qd766, online),
    }


def _target_value(row: AgencyTarget | None, name: str) -> float | None:
    value = getattr(row, name, None) if row is not None else None
    return float(value) if value is not None else None


def target_gaps(
    targets: dict[str, float | None], cat: dict[str, Any], c: dict[str, Any], qd766: dict, online: dict
) -> list[str]:
    """What is missing to reach each target, in words a leader acts on ("12 more procedures must …")."""
    import math

    gaps: list[str] = []
    full_target = targets["full_online_pct"]
    if full_target is not None:
        den = cat["procedures_full_eligible"] or cat["procedures_total"]
        have = (
            cat["procedures_full_among_eligible"]
            if cat["procedures_full_eligible"]
            else cat["procedures_full"]
        )
        need = max(0, math.ceil(Decimal(str(full_target)) * den / HUNDRED - have))
        if need:
            gaps.append(
                _("Cần thêm %(n)s thủ tục trực tuyến toàn trình để đạt %(t)s%%.")
                % {"n": need, "t": full_target}
            )
    on_time_target = targets["on_time_pct"]
    if on_time_target is not None and qd766["2.1"]["ratio"] < on_time_target:
        gaps.append(
            _("Tỷ lệ đúng hạn %(v)s%% dưới chỉ tiêu %(t)s%%.")
            % {"v": qd766["2.1"]["ratio"], "t": on_time_target}
        )
    online_target = targets["online_dossier_pct"]
    received = c["received_online"] + c["received_direct_postal"]
    if online_target is not None and online["dossiers_online_share"] < online_target:
        need = max(0, math.ceil(Decimal(str(online_target)) * received / HUNDRED - c["received_online"]))
        gaps.append(
            _("Cần thêm %(n)s hồ sơ trực tuyến trong kỳ để đạt %(t)s%%.") % {"n": need, "t": online_target}
        )
    reduction_missing = len(cat["reductions"]) - cat["meeting_target"]
    if reduction_missing:
        gaps.append(
            _("%(n)s thủ tục chưa cắt giảm đủ %(t)s%% thời gian so với quy định.")
            % {"n": reduction_missing, "t": targets["time_reduction_pct"]}
        )
    satisfaction_target = targets["satisfaction_pct"]
    if satisfaction_target is not None and qd766["5.4"]["ratio"] < satisfaction_target:
        gaps.append(
            _("Mức độ hài lòng %(v)s%% dưới chỉ tiêu %(t)s%%.")
            % {"v": qd766["5.4"]["ratio"], "t": satisfaction_target}
        )
    return gaps


__all__ = [
    "INDICATORS",
    "REPORT_COLUMNS",
    "Counts",
    "Indicator",
    "IndicatorError",
    "Period",
    "Scope",
    "counts_for",
    "dossiers_behind",
    "facts",
    "figure_filters",
    "scope_for",
    "scorecard",
]


def scorecards_bulk(
    agencies: list[Agency], months: list[date], *, now: datetime | None = None, source: str = "rollup"
) -> dict[tuple[int, date], dict[str, Any]]:
    """The scorecard of each agency (its own dossiers) for each month, with a handful of queries in all:
    the counts in one query (rollups) or one grouped query per month (``source="raw"``), the catalogue in
    one, complaints in one per month. Used by the dashboard's trend and ranking and by the benchmark.
    Targets are each agency's own (no inheritance from a parent here)."""
    from collections import defaultdict

    from metrics.models import MonthlyRollup

    now = now or timezone.now()
    ids = [a.pk for a in agencies]
    versions_by_agency = _lite_versions(agencies)
    years = {m.year for m in months}
    targets = {
        (t.agency_id, t.year): t for t in AgencyTarget.objects.filter(agency_id__in=ids, year__in=years)
    }
    results: dict[tuple[int, date], dict[str, Any]] = {}
    catalogues: dict[tuple, dict[str, Any]] = {}
    # Agencies whose versions all started before the first month and never ended: one in-force set.
    stable = {
        pk
        for pk, versions in versions_by_agency.items()
        if all(v.effective_from <= months[0] and v.effective_to is None for v in versions)
    }
    publishing = {
        pk
        for pk, versions in versions_by_agency.items()
        if any(v.publication_decision_date for v in versions)
    }
    in_force_of: dict[tuple, dict[int, Any]] = {}
    totals_by: dict[tuple[int, date], dict[str, Any]] = {}
    rows_by: dict[tuple[int, date], dict[int, dict[str, Any]]] = defaultdict(dict)
    distinct_by: dict[tuple[int, date], dict[str, int]] = {}
    if source == "rollup":
        # Sums per agency × month in SQL; only the columns that need distinct procedures come per procedure.
        rollups = MonthlyRollup.objects.filter(agency_id__in=ids, month__in=months).order_by()
        # Aliased: an annotation named like a column would shadow it in the FILTER clauses below.
        sums: dict[str, Any] = {f"sum__{name}": Sum(name) for name in (*COUNT_NAMES, *ROLLUP_HOURS)}
        if len(stable) == len(versions_by_agency):
            # One catalogue for every month: the distinct-procedure figures are row counts in the same query.
            first = {}
            for versions in versions_by_agency.values():
                for v in versions:
                    first.setdefault(v.procedure_id, v)
            dvc = [pk for pk, v in first.items() if v.online_level in (OnlineLevel.FULL, OnlineLevel.PARTIAL)]
            fee = [pk for pk, v in first.items() if (v.fees_vnd or 0) > 0]
            citizens = [pk for pk, v in first.items() if v.for_citizens]
            sums.update(
                dvc_with=Count("pk", filter=Q(received_online__gt=0, procedure_id__in=dvc)),
                fee_synced_n=Count("pk", filter=Q(fee_synced__gt=0, procedure_id__in=fee)),
                paid_any=Count("pk", filter=Q(payment_online__gt=0, procedure_id__in=fee)),
                citizens_vneid=Count(
                    "pk", filter=(Q(vneid_c__gt=0) | Q(vneid_r__gt=0)) & Q(procedure_id__in=citizens)
                ),
            )
        for row in rollups.values("agency_id", "month").annotate(**sums):
            totals_by[(row["agency_id"], row["month"])] = {
                name: row[f"sum__{name}"] for name in (*COUNT_NAMES, *ROLLUP_HOURS)
            }
            if "dvc_with" in row:
                distinct_by[(row["agency_id"], row["month"])] = {
                    "dvc_with": row["dvc_with"],
                    "fee_synced": row["fee_synced_n"],
                    "paid_any": row["paid_any"],
                    "citizens_vneid": row["citizens_vneid"],
                }
        if not distinct_by:
            distinct = DISTINCT_COUNTS
            wanted = Q()
            for name in distinct:
                wanted |= Q(**{f"{name}__gt": 0})
            for agency_id, month, procedure_id, *values in rollups.filter(wanted).values_list(
                "agency_id", "month", "procedure_id", *distinct
            ):
                rows_by[(agency_id, month)][procedure_id] = dict(zip(distinct, values, strict=True))
    else:
        for month in months:
            for row in count_raw(ids, Period.month(month), now, by=("agency_id", "procedure_id")):
                rows_by[(row["agency_id"], month)][row["procedure_id"]] = row
        for key, rows in rows_by.items():
            totals_by[key] = _totals(rows.values())
    pakn_rows = {}
    if Complaint.objects.filter(agency_id__in=ids).exists():
        pakn_rows = complaint_counts_months(ids, [Period.month(m) for m in months], now)
    for month in months:
        period = Period.month(month)
        default_target = Decimal(
            str(settings.TIME_REDUCTION_TARGETS.get(period.end.year, settings.TIME_REDUCTION_DEFAULT_TARGET))
        )
        for agency in agencies:
            versions = versions_by_agency.get(agency.pk, ())
            cache_key = (agency.pk, None if agency.pk in stable else month)
            if cache_key not in in_force_of:
                in_force_of[cache_key] = {}
                for v in versions:
                    if v.effective_from <= period.end and (
                        v.effective_to is None or v.effective_to >= period.end
                    ):
                        in_force_of[cache_key].setdefault(v.procedure_id, v)
            in_force = in_force_of[cache_key]
            published = [
                v
                for v in (versions if agency.pk in publishing else ())
                if v.publication_decision_date and period.start <= v.publication_decision_date <= period.end
            ]
            target_row = targets.get((agency.pk, period.end.year))
            red = default_target
            if target_row is not None and target_row.time_reduction_pct is not None:
                red = Decimal(target_row.time_reduction_pct)
            rows = rows_by.get((agency.pk, month), {})
            totals = _totals([totals_by[(agency.pk, month)]] if (agency.pk, month) in totals_by else [])
            counts = Counts(totals=totals, by_procedure=rows, source=source)
            if distinct_by:
                counts.distinct = distinct_by.get((agency.pk, month), dict.fromkeys(DISTINCT_FIGURES, 0))
            key = (agency.pk, tuple(sorted(v.pk for v in in_force.values())), red)
            if key not in catalogues:  # the catalogue rarely changes from month to month
                catalogues[key] = catalogue_of(list(in_force.values()), red)
            results[(agency.pk, month)] = assemble(
                Scope(agency=agency, agency_ids=(agency.pk,), include_children=False),
                period,
                now,
                counts,
                catalogues[key],
                publication_of(published),
                pakn_rows.get((agency.pk, month), NO_COMPLAINTS),
                target_row,
                red,
            )
    return results


_LITE_FIELDS = (
    "pk",
    "procedure_id",
    "effective_from",
    "effective_to",
    "statutory_term_amount",
    "statutory_term_unit",
    "committed_term_amount",
    "committed_term_unit",
    "online_level",
    "full_online_eligible",
    "fees_vnd",
    "fees_text",
    "for_citizens",
    "required_documents",
    "legal_basis",
    "publication_decision_date",
    "legal_basis_effective_date",
    "publicized_on",
    "step_count",
)


class _LiteProcedure:
    __slots__ = ("agency", "agency_id", "code", "name")

    def __init__(self, code: str, name: str, agency: Agency) -> None:
        self.code, self.name, self.agency, self.agency_id = code, name, agency, agency.pk


class _LiteVersion:
    """The catalogue fields the indicators read, without model instances (the bulk path builds thousands)."""

    __slots__ = (*_LITE_FIELDS, "procedure")

    statutory_term = ProcedureVersion.statutory_term
    committed_term = ProcedureVersion.committed_term


def _lite_versions(agencies: list[Agency]) -> dict[int, list[_LiteVersion]]:
    from collections import defaultdict

    by_pk = {a.pk: a for a in agencies}
    result: dict[int, list[_LiteVersion]] = defaultdict(list)
    rows = (
        ProcedureVersion.objects.filter(procedure__agency_id__in=list(by_pk))
        .annotate(step_count=Count("steps"))
        .order_by("procedure_id", "-effective_from")
        .values_list(*_LITE_FIELDS, "procedure__code", "procedure__name", "procedure__agency_id")
    )
    for *values, code, name, agency_id in rows:
        version = _LiteVersion()
        for field_name, value in zip(_LITE_FIELDS, values, strict=True):
            setattr(version, field_name, value)
        version.procedure = _LiteProcedure(code, name, by_pk[agency_id])
        result[agency_id].append(version)
    return result
