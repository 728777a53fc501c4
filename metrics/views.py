"""The indicator dashboard (chỉ số, báo cáo): the TT 01/2020 report row, the 766 scorecard, online and
time-reduction figures, targets and gaps, a 12-month trend and a ranking of units — every number a link to
the dossiers behind it — plus the Excel report.

Why every number is a link: a leader who is told "13 hồ sơ quá hạn" asks "which ones?"; the drill-down runs
the same ``Q`` the number was counted with (:func:`metrics.indicators.dossiers_behind`), so the list and the
number cannot disagree. Charts are inline SVG drawn here: government networks often have no internet, so no
CDN script, and no JavaScript is needed.

Who: supervisors, heads and directors see the agencies they belong to (and the units below); superusers see
everything (``workflows.policy.supervised_agency_ids``). Thin views: figures come from
:mod:`metrics.indicators` and :mod:`metrics.reports`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics.indicators import (
    GROUPS,
    INDICATORS,
    REPORT_COLUMNS,
    IndicatorError,
    Period,
    Scope,
    descendants,
    dossiers_behind,
    scope_for,
    scorecard,
)
from metrics.reports import (
    BY_CHOICES,
    check_invariants,
    monthly_trend,
    report_filename,
    report_rows,
    rows_xlsx,
    unit_ranking,
)
from procedures.models import Agency
from procedures.text import csv_writer
from sla.horizon import in_calendar, outside_calendar_message, validate_in_calendar
from workflows.models import Dossier
from workflows.policy import supervised_agency_ids

PAGE_SIZE = 50
KINDS = {
    "month": gettext_lazy("Tháng"),
    "quarter": gettext_lazy("Quý"),
    "year": gettext_lazy("Năm"),
    "custom": gettext_lazy("Tùy chọn"),
}

# What each drill-down list is, in the words of the report and the 766 specification.
FIGURE_LABELS: dict[str, Any] = {
    **{key: f"({number}) {header}" for key, number, header in REPORT_COLUMNS},
    "received": gettext_lazy("Hồ sơ tiếp nhận trong kỳ"),
    "ok_766": gettext_lazy("Hồ sơ xử lý trước hạn, đúng hạn (766 chỉ số 2.1)"),
    "late_766": gettext_lazy("Hồ sơ trễ hạn theo 766"),
    "synced": gettext_lazy("Hồ sơ đồng bộ lên Cổng DVCQG"),
    "vneid": gettext_lazy("Hồ sơ có sử dụng dữ liệu dân cư (VNeID)"),
    "paper": gettext_lazy("Hồ sơ của TTHC phải cấp kết quả giấy"),
    "paper_e_result": gettext_lazy("Hồ sơ có kết quả điện tử (TTHC cấp kết quả giấy)"),
    "digitised": gettext_lazy("Hồ sơ được số hóa"),
    "reused": gettext_lazy("Hồ sơ sử dụng lại dữ liệu số hóa"),
    "data_store": gettext_lazy("Hồ sơ kết nối kho dữ liệu của công dân"),
    "complained_or_disliked": gettext_lazy("Hồ sơ bị phản ánh hoặc đánh giá không hài lòng"),
    "no_supplement": gettext_lazy("Hồ sơ không phải bổ sung"),
    "received_online_qualifying": gettext_lazy("Hồ sơ nộp trực tuyến đủ điều kiện (766 chỉ số 3.3)"),
    "payment_due": gettext_lazy("Hồ sơ có nghĩa vụ tài chính"),
    "payment_online": gettext_lazy("Hồ sơ thanh toán trực tuyến"),
    "decided_total": gettext_lazy("Hồ sơ đã có kết quả được tính thời gian giải quyết"),
}
# The dossier sets behind the numerator and denominator of each dossier-level 766 indicator; the others
# count procedures (catalogue: linked to the admin) or complaints (not linked).
QD766_FIGURES: dict[str, tuple[str | None, str | None]] = {
    "1.4": ("synced", "received_total"),
    "2.1": ("ok_766", "received_total"),
    "2.2": (None, "decided_total"),
    "3.3": ("received_online_qualifying", "received"),
    "3.6": ("payment_online", "payment_due"),
    "4.1": ("paper_e_result", "paper"),
    "4.2": ("digitised", "received_total"),
    "4.3": ("reused", "received_total"),
    "4.4": ("data_store", "received_total"),
    "4.5b": ("vneid", "received_total"),
    "5.4": (None, "received_total"),
}
CATALOGUE_INDICATORS = {"1.1", "1.2", "1.3", "3.1", "3.2", "3.5", "3.5b", "4.x", "4.5a"}


# --- who may look -----------------------------------------------------------------------------------------


def may_view_metrics(user) -> bool:
    """Superusers, and staff holding a supervise or lead role somewhere."""
    if not (user.is_authenticated and user.is_active):
        return False
    ids = supervised_agency_ids(user)
    return ids is None or bool(ids)


def _allowed_ids(user) -> set[int] | None:
    if not may_view_metrics(user):
        raise PermissionDenied(_("Chỉ cán bộ giám sát, lãnh đạo được xem chỉ số và báo cáo."))
    return supervised_agency_ids(user)


def _agencies(allowed: set[int] | None) -> QuerySet[Agency]:
    qs = Agency.objects.order_by("code")
    return qs if allowed is None else qs.filter(pk__in=allowed)


def _default_agency(agencies: list[Agency]) -> Agency | None:
    """The top of the user's tree: the agency with the most units below it (the province, not a commune)."""
    if not agencies:
        return None
    ids = {a.pk for a in agencies}
    roots = [a for a in agencies if a.parent_id not in ids]  # few: one tree walk each
    return max(roots, key=lambda a: (len(descendants([a.pk])), -roots.index(a)))


# --- the form ---------------------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    """GET form: agency, with its units or not, and the period (month / quarter / year / custom)."""

    agency = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan, đơn vị"), queryset=Agency.objects.none(), to_field_name="code"
    )
    children = forms.BooleanField(label=gettext_lazy("Gồm đơn vị trực thuộc"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kỳ"), choices=list(KINDS.items()), initial="month")

    def __init__(self, *args, agencies: QuerySet[Agency], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["agency"].label_from_instance = lambda a: f"{a.name} ({a.code})"
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        for name, label in (("from", _("Từ ngày")), ("to", _("Đến ngày"))):
            self.fields[name] = forms.DateField(
                label=label, required=False, widget=date_input, validators=[validate_in_calendar]
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        kind = data.get("kind") or "month"
        today = timezone.localdate()
        try:
            if kind == "custom":
                if not data.get("from") or not data.get("to"):
                    raise forms.ValidationError(_("Kỳ tùy chọn cần cả từ ngày và đến ngày."))
                data["period"] = Period(data["from"], data["to"])
            else:
                data["period"] = Period.named(kind, data.get("from") or today)
        except IndicatorError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


# --- links ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Builds the drill-down, report and admin addresses of one scope and period."""

    scope: Scope
    period: Period

    def query(self, **extra: str) -> str:
        params = {
            "agency": self.scope.agency.code,
            "children": "1" if self.scope.include_children else "0",
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            **extra,
        }
        return urlencode(params)

    def dossiers(self, figure: str, period: Period | None = None) -> str:
        links = self if period is None else Links(self.scope, period)
        return reverse("metrics:dossiers") + "?" + links.query(figure=figure)

    def report(self, by: str) -> str:
        return reverse("metrics:report") + "?" + self.query(by=by)

    def procedures_admin(self) -> str:
        ids = ",".join(str(pk) for pk in self.scope.agency_ids)
        try:
            return reverse("admin:procedures_procedure_changelist") + "?" + urlencode({"agency__id__in": ids})
        except NoReverseMatch:
            return ""

    def fig(self, figure: str | None, count: int | float, text: str | None = None) -> SafeString:
        """A number linked to its dossiers; ``data-count`` is the size of the list behind it."""
        shown = _number(count) if text is None else text
        if figure is None:
            return format_html("{}", shown)
        return format_html(
            '<a class="fig" data-turbo="false" data-figure="{}" data-count="{}" href="{}">{}</a>',
            figure,
            int(count),
            self.dossiers(figure),
            shown,
        )

    def catalogue(self, value: int | float) -> SafeString:
        href = self.procedures_admin()
        if not href:
            return format_html("{}", _number(value))
        return format_html('<a class="cat" data-turbo="false" href="{}">{}</a>', href, _number(value))


def _number(value: int | float | None) -> str:
    """Vietnamese number style: ``1.234`` and ``86,96``."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def _pct(value: float | None) -> str:
    return "—" if value is None else _number(float(value)) + " %"


# --- charts (inline SVG) ----------------------------------------------------------------------------------


def _trend_lines_svg(series: list[dict[str, Any]]) -> SafeString:
    """On-time % (766 2.1) and online % per month as two polylines on a 0–100 scale."""
    if not series:
        return mark_safe("")
    width, height, left, bottom, top = 640, 220, 36, 30, 12
    step = (width - left - 10) / max(1, len(series) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return round(left + i * step, 1), round(top + (height - top - bottom) * (1 - value / 100), 1)

    parts = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/><text x="{}" y="{}" class="axis">{}</text>',
            left,
            xy(0, v)[1],
            width - 10,
            xy(0, v)[1],
            2,
            xy(0, v)[1] + 4,
            v,
        )
        for v in (0, 25, 50, 75, 100)
    ]
    for key, css in (("on_time_pct", "line-ontime"), ("online_pct", "line-online")):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, s[key]) for i, s in enumerate(series)))
        parts.append(format_html('<polyline points="{}" class="{}"/>', points, css))
        for i, s in enumerate(series):
            x, y = xy(i, s[key])
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" class="{}"><title>{}: {}</title></circle>',
                    x,
                    y,
                    css,
                    f"{s['month']:%m/%Y}",
                    _pct(s[key]),
                )
            )
    for i, s in enumerate(series):
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                xy(i, 0)[0],
                height - 10,
                f"{s['month']:%m/%y}",
            )
        )
    return format_html(
        '<svg viewBox="0 0 {} {}" class="chart" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        _("Tỷ lệ đúng hạn và tỷ lệ trực tuyến theo tháng"),
        mark_safe("".join(parts)),
    )


def _trend_bars_svg(series: list[dict[str, Any]], links: Links) -> SafeString:
    """Received and resolved per month, side by side; each bar links to its month's dossiers."""
    if not series:
        return mark_safe("")
    width, height, left, bottom, top = 640, 220, 36, 30, 16
    peak = max([1, *(max(s["received"], s["resolved"]) for s in series)])
    slot = (width - left - 10) / len(series)
    bar = round(slot * 0.35, 1)
    scale = (height - top - bottom) / peak
    parts = []
    for i, s in enumerate(series):
        x0 = left + i * slot + slot * 0.15
        month = Period(s["from"], s["to"])
        for j, (key, figure, css) in enumerate(
            (("received", "received", "bar-received"), ("resolved", "resolved_total", "bar-resolved"))
        ):
            value = s[key]
            h = round(value * scale, 1)
            x, y = round(x0 + j * bar, 1), round(height - bottom - h, 1)
            parts.append(
                format_html(
                    '<a href="{}" data-turbo="false"><rect x="{}" y="{}" width="{}" height="{}"'
                    ' class="{}"><title>{} {}: {}</title></rect>'
                    '<text x="{}" y="{}" class="val" text-anchor="middle">{}</text></a>',
                    links.dossiers(figure, month),
                    x,
                    y,
                    bar,
                    h,
                    css,
                    _("Tiếp nhận") if key == "received" else _("Đã giải quyết"),
                    f"{s['month']:%m/%Y}",
                    value,
                    round(x + bar / 2, 1),
                    round(y - 3, 1),
                    value,
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                round(x0 + bar, 1),
                height - 10,
                f"{s['month']:%m/%y}",
            )
        )
    return format_html(
        '<svg viewBox="0 0 {} {}" class="chart" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        _("Hồ sơ tiếp nhận và đã giải quyết theo tháng"),
        mark_safe("".join(parts)),
    )


def _ranking_svg(ranking: list[dict[str, Any]]) -> SafeString:
    """Horizontal bars: each unit's 766 total score out of 100, best first."""
    if not ranking:
        return mark_safe("")
    row_h, label_w, bar_w = 26, 260, 300
    height = row_h * len(ranking) + 8
    parts = []
    for i, r in enumerate(ranking):
        y = 4 + i * row_h
        w = round(bar_w * min(100.0, max(0.0, r["total_score"])) / 100, 1)
        parts.append(
            format_html(
                '<text x="0" y="{}" class="label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar-score"/>'
                '<text x="{}" y="{}" class="val">{}</text>',
                y + 16,
                r["name"][:42],
                label_w,
                y + 3,
                w,
                row_h - 8,
                round(label_w + w + 4, 1),
                y + 16,
                _number(r["total_score"]),
            )
        )
    return format_html(
        '<svg viewBox="0 0 {} {}" class="chart ranking" role="img" aria-label="{}">{}</svg>',
        label_w + bar_w + 50,
        height,
        _("Xếp hạng đơn vị theo tổng điểm 766"),
        mark_safe("".join(parts)),
    )


# --- context ----------------------------------------------------------------------------------------------


def _scorecard_rows(card: dict[str, Any], links: Links) -> list[dict[str, Any]]:
    """Every 766 indicator in order, a subtotal row after each group, numbers linked to their dossiers."""
    qd = card["qd766"]
    rows: list[dict[str, Any]] = []
    for group, label in GROUPS.items():
        for indicator in (i for i in INDICATORS if i.group == group):
            entry = qd[indicator.code]
            num_figure, den_figure = QD766_FIGURES.get(indicator.code, (None, None))
            if indicator.code in CATALOGUE_INDICATORS:
                numerator, denominator = (
                    links.catalogue(entry["numerator"]),
                    links.catalogue(entry["denominator"]),
                )
            else:
                numerator = links.fig(num_figure, entry["numerator"])
                denominator = links.fig(den_figure, entry["denominator"])
            is_days = indicator.code == "2.2"
            rows.append(
                {
                    "code": indicator.code,
                    "name": indicator.name_vi,
                    "numerator": numerator,
                    "denominator": denominator,
                    "ratio": _number(entry["ratio"]) + (" " + _("ngày") if is_days else " %"),
                    "score": _number(entry["score"]),
                    "max": _number(entry["max"]),
                    "unconfirmed": indicator.unconfirmed,
                }
            )
        rows.append(
            {
                "subtotal": True,
                "name": _("Nhóm %(g)s. %(label)s") % {"g": group, "label": label},
                "score": _number(qd["group_scores"][str(group)]),
                "max": _number(qd["group_max"][str(group)]),
            }
        )
    return rows


def dashboard_context(scope: Scope, period: Period, now: datetime) -> dict[str, Any]:
    """Everything the page shows; the figures are the scorecard's (raw counts, so the drill-downs match)."""
    card = scorecard(scope, period, now=now, source="raw")
    links = Links(scope, period)
    row = card["report_row"]
    report_columns = [
        {"number": number, "header": header, "value": links.fig(key, row[key])}
        for key, number, header in REPORT_COLUMNS
    ]
    on_time = card["on_time"]
    rates = [
        (
            _("Trước hạn"),
            links.fig("resolved_early", row["resolved_early"], _pct(on_time["resolved_early_pct"])),
        ),
        (
            _("Đúng hạn"),
            links.fig("resolved_on_time", row["resolved_on_time"], _pct(on_time["resolved_on_time_pct"])),
        ),
        (_("Quá hạn"), links.fig("resolved_late", row["resolved_late"], _pct(on_time["resolved_late_pct"]))),
        (
            _("Đang giải quyết trong hạn"),
            links.fig(
                "in_progress_in_time", row["in_progress_in_time"], _pct(on_time["in_progress_in_time_pct"])
            ),
        ),
        (
            _("Trước hạn, đúng hạn theo 766 (2.1)"),
            links.fig("ok_766", card["qd766"]["2.1"]["numerator"], _pct(on_time["qd766_on_time_pct"])),
        ),
    ]
    in_progress = [
        (_("Trong hạn"), links.fig("in_progress_in_time", row["in_progress_in_time"])),
        (_("Quá hạn"), links.fig("in_progress_late", row["in_progress_late"])),
    ]
    online = card["online"]
    online_rows = [
        (
            _("Hồ sơ nộp trực tuyến / tiếp nhận trong kỳ"),
            links.fig("received_online", row["received_online"]),
            links.fig("received", row["received_online"] + row["received_direct_postal"]),
            _pct(online["dossiers_online_share"]),
        ),
        (
            _("Hồ sơ thanh toán trực tuyến / có nghĩa vụ tài chính"),
            links.fig("payment_online", card["qd766"]["3.6"]["numerator"]),
            links.fig("payment_due", card["qd766"]["3.6"]["denominator"]),
            _pct(online["online_payment_share"]),
        ),
        (
            _("Hồ sơ được số hóa / hồ sơ trong kỳ"),
            links.fig("digitised", card["qd766"]["4.2"]["numerator"]),
            links.fig("received_total", row["received_total"]),
            _pct(online["digitised_share"]),
        ),
        (
            _("TTHC cung cấp DVCTT (toàn trình, một phần) / TTHC"),
            links.catalogue(online["procedures_online"]),
            links.catalogue(online["procedures_total"]),
            _pct(online["procedures_online_share"]),
        ),
        (
            _("TTHC trực tuyến toàn trình / TTHC đủ điều kiện"),
            links.catalogue(online["procedures_full"]),
            links.catalogue(online["procedures_full_eligible"] or online["procedures_total"]),
            _pct(online["procedures_full_share"]),
        ),
    ]
    reduction = card["time_reduction"]
    time_cost = card["pci_proxies"]["time_cost"]
    pci_rows = [
        (_("Tỷ lệ hồ sơ giải quyết trước hạn"), _pct(time_cost["resolved_early_share"]), "resolved_early"),
        (_("Thời gian thực tế / thời gian quy định"), _pct(time_cost["actual_vs_statutory_ratio"]), None),
        (
            _("Thời gian giải quyết trung bình (ngày làm việc)"),
            _number(time_cost["average_working_days"]),
            None,
        ),
        (_("Tỷ lệ hồ sơ không phải bổ sung"), _pct(time_cost["no_supplement_share"]), "no_supplement"),
        (_("Tỷ lệ hồ sơ sử dụng lại dữ liệu số hóa"), _pct(time_cost["reused_data_share"]), "reused"),
        (_("Tỷ lệ hồ sơ trễ hạn (766)"), _pct(time_cost["late_share"]), "late_766"),
        (_("Phản ánh, kiến nghị về cán bộ"), _number(time_cost["complaints_about_staff"]), None),
        (_("Mức độ hài lòng (766 chỉ số 5.4)"), _pct(time_cost["satisfaction_5_4"]), None),
    ]
    transparency = card["pci_proxies"]["transparency"]
    pci_rows += [
        (_("TTHC công bố đúng hạn"), _pct(transparency["published_on_time_share"]), None),
        (_("TTHC công khai đúng hạn"), _pct(transparency["publicized_on_time_share"]), None),
        (_("TTHC công khai đầy đủ bộ phận"), _pct(transparency["complete_components_share"]), None),
        (_("Hồ sơ đồng bộ lên Cổng DVCQG"), _pct(transparency["synced_share"]), "synced"),
    ]
    pci = []
    for label, text, figure in pci_rows:
        if figure is None:
            pci.append((label, text))
        else:
            count = dossiers_behind(figure, scope.agency_ids, period, now).count()
            pci.append((label, links.fig(figure, count, text)))
    targets = card["targets"]
    target_rows = [
        (_("Tỷ lệ hồ sơ đúng hạn"), targets["on_time_pct"], on_time["qd766_on_time_pct"]),
        (_("TTHC trực tuyến toàn trình"), targets["full_online_pct"], online["procedures_full_share"]),
        (_("Hồ sơ nộp trực tuyến"), targets["online_dossier_pct"], online["dossiers_online_share"]),
        (
            _("Cắt giảm thời gian (cam kết so với quy định)"),
            targets["time_reduction_pct"],
            reduction["committed_vs_statutory_pct"],
        ),
        (_("Mức độ hài lòng"), targets["satisfaction_pct"], card["qd766"]["5.4"]["ratio"]),
    ]
    today = timezone.localtime(now).date()
    trend = monthly_trend(scope, min(period.end, today), now)
    ranking = unit_ranking(scope, period, now) if scope.include_children else []
    return {
        "card": card,
        "scope": scope,
        "period": period,
        "as_of": timezone.localtime(period.as_of(now)),
        "report_columns": report_columns,
        "rates": rates,
        "in_progress": in_progress,
        "online_rows": online_rows,
        "reduction": reduction,
        "decided_link": links.fig("decided_total", reduction["dossiers_measured"]),
        "scorecard_rows": _scorecard_rows(card, links),
        "total_score": _number(card["qd766"]["total_score"]),
        "total_max": _number(card["qd766"]["total_max"]),
        "pci": pci,
        "target_rows": [
            {
                "label": label,
                "target": _pct(target),
                "actual": _pct(actual),
                "met": target is None or actual >= target,
            }
            for label, target, actual in target_rows
        ],
        "gaps": card["gaps"],
        "trend": trend,
        "trend_lines_svg": _trend_lines_svg(trend),
        "trend_bars_svg": _trend_bars_svg(trend, links),
        "ranking": ranking,
        "ranking_svg": _ranking_svg(ranking),
        "report_links": {by: links.report(by) for by in BY_CHOICES},
        "report_labels": BY_CHOICES,
        "procedures_admin": links.procedures_admin(),
    }


# --- views ------------------------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """``/chi-so/``: the form; the figures of the chosen scope and period."""
    allowed = _allowed_ids(request.user)
    agencies = _agencies(allowed)
    data = request.GET.copy()
    if "agency" not in data:  # first visit: the user's top agency with its units, this month
        default = _default_agency(list(agencies))
        if default is not None:
            data["agency"] = default.code
        data.setdefault("children", "1")
        data.setdefault("kind", "month")
    form = DashboardForm(data, agencies=agencies)
    context: dict[str, Any] = {"form": form, "kinds": KINDS}
    if form.is_valid():
        now = timezone.now()
        period: Period = form.cleaned_data["period"]
        scope = scope_for(form.cleaned_data["agency"].code, include_children=form.cleaned_data["children"])
        context.update(dashboard_context(scope, period, now))
        form.data = form.data.copy()
        form.data["from"], form.data["to"] = period.start.isoformat(), period.end.isoformat()
    return render(request, "metrics/dashboard.html", context)


def _scope_and_period(request: HttpRequest) -> tuple[Scope, Period]:
    """The ``agency``/``children``/``from``/``to`` of a drill-down or download, checked against the user."""
    allowed = _allowed_ids(request.user)
    code = request.GET.get("agency", "")
    try:
        start = date.fromisoformat(request.GET.get("from", ""))
        end = date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        raise IndicatorError(_("Thiếu hoặc sai từ ngày, đến ngày (YYYY-MM-DD).")) from None
    if not (in_calendar(start) and in_calendar(end)):
        raise IndicatorError(outside_calendar_message())
    period = Period(start, end)
    scope = scope_for(code, include_children=request.GET.get("children") == "1")
    if allowed is not None and scope.agency.pk not in allowed:
        raise PermissionDenied(_("Bạn không được xem số liệu của cơ quan này."))
    return scope, period


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(qs: QuerySet[Dossier]) -> Iterator[str]:
    writer = csv_writer(_Echo())  # text a spreadsheet would run gets a leading '
    yield "\ufeff"  # Excel reads UTF-8 only with a BOM
    yield writer.writerow(
        [
            _("Mã hồ sơ"),
            _("Thủ tục"),
            _("Cơ quan"),
            _("Kênh"),
            _("Tiếp nhận"),
            _("Hẹn trả"),
            _("Kết thúc"),
            _("Trạng thái"),
        ]
    )
    for d in qs.iterator(chunk_size=1000):
        procedure = d.procedure_version.procedure
        yield writer.writerow(
            [
                d.code,
                f"{procedure.code} – {procedure.name}",
                d.agency.name,
                d.get_channel_display(),
                _local(d.received_at),
                _local(d.due_at),
                _local(d.finished_at),
                d.get_status_display(),
            ]
        )


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 page saying what was wrong. Rendered through the template engine, so a parameter quoted in the
    message (an agency code, a figure name) is escaped — never echoed into HTML as typed."""
    return render(request, "metrics/bad_request.html", {"message": message}, status=400)


def _dossier_url_prefix() -> str:
    try:
        return reverse("workflows:dossier", args=["CODE"]).removesuffix("CODE/")
    except NoReverseMatch:
        return "/ho-so/"


@login_required
def figure_dossiers(request: HttpRequest) -> HttpResponse:
    """``/chi-so/ho-so/?figure=…``: the dossiers behind one number (paginated; ``format=csv`` for Excel)."""
    figure = request.GET.get("figure", "")
    try:
        scope, period = _scope_and_period(request)
        now = timezone.now()
        qs = dossiers_behind(figure, scope.agency_ids, period, now).select_related(
            "procedure_version__procedure", "agency"
        )
    except IndicatorError as exc:
        return _bad_request(request, str(exc))
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(_csv_rows(qs), content_type="text/csv; charset=utf-8")
        name = f"ho-so-{figure}-{scope.agency.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    keep.pop("format", None)
    dashboard_query = keep.copy()
    dashboard_query.pop("figure", None)
    dashboard_query["kind"] = "custom"
    context = {
        "figure": figure,
        "figure_label": FIGURE_LABELS.get(figure, figure),
        "scope": scope,
        "period": period,
        "as_of": timezone.localtime(period.as_of(now)),
        "page": page,
        "total": page.paginator.count,
        "querystring": keep.urlencode(),
        "dashboard_url": reverse("metrics:index") + "?" + dashboard_query.urlencode(),
        "dossier_url_prefix": _dossier_url_prefix(),
    }
    return render(request, "metrics/dossiers.html", context)


@login_required
def report_download(request: HttpRequest) -> HttpResponse:
    """``/chi-so/bao-cao.xlsx``: the TT 01/2020 report of the scope and period, by unit or by field."""
    by = request.GET.get("by", "unit")
    try:
        scope, period = _scope_and_period(request)
        rows = report_rows(scope, period, by)
        check_invariants(rows)
        data = rows_xlsx(rows, scope, period, by)
    except IndicatorError as exc:
        return _bad_request(request, str(exc))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{report_filename(scope, period, by)}"'
    return response


__all__ = ["dashboard", "figure_dossiers", "may_view_metrics", "report_download"]
