"""The periodic TTHC report of Thông tư 01/2020/TT-VPCP: rows, invariants and the Excel file.

Form "Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực tiếp giải quyết TTHC" (domain §6.3): one
row per unit ("Báo cáo số 06a") or per field of procedures ("07a"), columns (3)–(13) with the computation
rules of :func:`metrics.indicators.figure_filters`. Why one module: the dashboard, the ``report_tthc``
command and the download button must produce the very same numbers, and a report whose columns do not add
up must never leave the building — :func:`check_invariants` runs before any file is written.

Every row is counted by ONE grouped query (:func:`metrics.indicators.count_raw` grouped by deciding agency
or by the procedure's field); the total row is the sum of the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from metrics.indicators import (
    REPORT_COLUMNS,
    IndicatorError,
    Period,
    Scope,
    count_raw,
    counts_for,
    pct,
    scope_for,
    scorecard,
)
from metrics.rollups import months_between
from procedures.models import Agency
from procedures.text import xlsx_text

FIELD_KEY = "procedure_version__procedure__field"
BY_CHOICES = {"unit": gettext_lazy("Theo đơn vị"), "field": gettext_lazy("Theo lĩnh vực")}
COLUMN_KEYS = tuple(key for key, _number, _header in REPORT_COLUMNS)
TITLE = gettext_lazy("Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực tiếp giải quyết TTHC")

# The identities of domain §6.3 as (left column, right columns, how the form writes them).
INVARIANTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "received_total",
        ("carried_over", "received_online", "received_direct_postal"),
        "(3) = (4) + (5) + (6)",
    ),
    ("received_total", ("resolved_total", "in_progress_total"), "(3) = (7) + (11)"),
    ("resolved_total", ("resolved_early", "resolved_on_time", "resolved_late"), "(7) = (8) + (9) + (10)"),
    ("in_progress_total", ("in_progress_in_time", "in_progress_late"), "(11) = (12) + (13)"),
)


def _columns(counted: dict[str, Any]) -> dict[str, int]:
    """Report columns 3–13 from a ``count_raw`` group (3 = carried over + received, as in scorecard)."""
    values = {key: int(counted.get(key) or 0) for key in COLUMN_KEYS if key != "received_total"}
    values["received_total"] = (
        values["carried_over"] + values["received_online"] + values["received_direct_postal"]
    )
    return {key: values[key] for key in COLUMN_KEYS}


def _unit_order(scope: Scope) -> list[Agency]:
    """The scope's agencies in tree order (the agency first, then each unit below its parent, by code)."""
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=scope.agency_ids)}
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies.values():
        parent = agency.parent_id if agency.parent_id in agencies and agency.pk != scope.agency.pk else None
        children.setdefault(parent, []).append(agency)
    ordered: list[Agency] = []
    stack = sorted(children.get(None, []), key=lambda a: (a.pk != scope.agency.pk, a.code), reverse=True)
    while stack:
        agency = stack.pop()
        ordered.append(agency)
        stack.extend(sorted(children.get(agency.pk, []), key=lambda a: a.code, reverse=True))
    return ordered


def report_rows(
    scope: Scope, period: Period, by: str = "unit", now: datetime | None = None
) -> list[dict[str, Any]]:
    """Rows of the report plus a last total row (``is_total``); each row has ``stt``, ``name``, ``key``
    (agency code or field) and the ``REPORT_COLUMNS`` keys. By unit, every agency of the scope has a row,
    zeros included (a unit with nothing to report is still in the form)."""
    if by not in BY_CHOICES:
        raise IndicatorError(_("Cách lập báo cáo “%(by)s” không hợp lệ (unit, field).") % {"by": by})
    if by == "unit":
        counted = {r["agency_id"]: r for r in count_raw(scope.agency_ids, period, now, by=("agency_id",))}
        rows = [
            {"key": a.code, "name": a.name, "agency_id": a.pk, **_columns(counted.get(a.pk, {}))}
            for a in _unit_order(scope)
        ]
    else:
        counted_rows = count_raw(scope.agency_ids, period, now, by=(FIELD_KEY,))
        unnamed = _("(Chưa phân loại lĩnh vực)")
        rows = sorted(
            (
                {"key": r[FIELD_KEY] or "", "name": r[FIELD_KEY] or unnamed, **_columns(r)}
                for r in counted_rows
            ),
            key=lambda row: (row["key"] == "", row["name"].lower()),
        )
    for number, row in enumerate(rows, start=1):
        row["stt"] = number
        row["is_total"] = False
    total = {key: sum(row[key] for row in rows) for key in COLUMN_KEYS}
    rows.append({"stt": None, "key": "", "name": _("Tổng cộng"), "is_total": True, **total})
    return rows


def check_invariants(rows: Iterable[dict[str, Any]]) -> None:
    """Raise ``ValueError`` naming the row and the identity of §6.3 it breaks; the total must be the sum."""
    rows = list(rows)
    for row in rows:
        label = row.get("name") or row.get("key") or "?"
        for left, right, written in INVARIANTS:
            total = sum(int(row[key]) for key in right)
            if int(row[left]) != total:
                raise ValueError(
                    _("Báo cáo sai ở dòng “%(row)s”: %(rule)s không thỏa (%(left)s ≠ %(right)s).")
                    % {"row": label, "rule": written, "left": row[left], "right": total}
                )
    details = [row for row in rows if not row.get("is_total")]
    for row in rows:
        if row.get("is_total"):
            for key, number, _header in REPORT_COLUMNS:
                expected = sum(int(r[key]) for r in details)
                if int(row[key]) != expected:
                    raise ValueError(
                        _("Báo cáo sai ở dòng “%(row)s”: cột (%(n)s) là %(v)s, tổng các dòng là %(e)s.")
                        % {"row": row.get("name"), "n": number, "v": row[key], "e": expected}
                    )


# --- Excel ------------------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_GROUPS = (
    (gettext_lazy("Số hồ sơ nhận giải quyết"), 3, 6),
    (gettext_lazy("Số hồ sơ đã giải quyết"), 7, 10),
    (gettext_lazy("Số hồ sơ đang giải quyết"), 11, 13),
)
_SUB_HEADERS = (
    gettext_lazy("Tổng số"),
    gettext_lazy("Từ kỳ trước"),
    gettext_lazy("Trực tuyến"),
    gettext_lazy("Trực tiếp, dịch vụ bưu chính"),
    gettext_lazy("Tổng số"),
    gettext_lazy("Trước hạn"),
    gettext_lazy("Đúng hạn"),
    gettext_lazy("Quá hạn"),
    gettext_lazy("Tổng số"),
    gettext_lazy("Trong hạn"),
    gettext_lazy("Quá hạn"),
)
HEADER_ROW = 6  # first of the two header rows; the (1)…(13) row follows them, then the data
FIRST_DATA_ROW = HEADER_ROW + 3


def report_xlsx(scope: Scope, period: Period, by: str = "unit", now: datetime | None = None) -> bytes:
    """The report as an .xlsx in the form's layout; the invariants are checked before anything is written."""
    return rows_xlsx(report_rows(scope, period, by, now), scope, period, by, now)


def rows_xlsx(
    rows: list[dict[str, Any]], scope: Scope, period: Period, by: str, now: datetime | None = None
) -> bytes:
    """Write already computed ``rows`` (the dashboard's); refuses rows that break an identity."""
    check_invariants(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "06a" if by == "unit" else "07a"
    last = get_column_letter(13)

    def line(row: int, text: str, *, bold: bool = False, size: int = 11) -> None:
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = xlsx_text(ws.cell(row=row, column=1, value=text))
        cell.font = Font(bold=bold, size=size)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    line(1, str(TITLE).upper(), bold=True, size=13)
    line(2, _("Cơ quan, đơn vị: %(agency)s") % {"agency": scope.label})
    line(
        3,
        _("Kỳ báo cáo: từ ngày %(start)s đến ngày %(end)s")
        % {"start": f"{period.start:%d/%m/%Y}", "end": f"{period.end:%d/%m/%Y}"},
    )
    as_of = timezone.localtime(period.as_of(now))
    line(4, _("Số liệu tính đến %(at)s. Đơn vị tính: hồ sơ.") % {"at": f"{as_of:%H:%M %d/%m/%Y}"})
    ws.row_dimensions[1].height = 36

    h1, h2, numbers = HEADER_ROW, HEADER_ROW + 1, HEADER_ROW + 2
    name_header = _("Đơn vị") if by == "unit" else _("Lĩnh vực, công việc giải quyết theo cấp")
    for column, text in ((1, _("STT")), (2, name_header)):
        ws.merge_cells(start_row=h1, start_column=column, end_row=h2, end_column=column)
        xlsx_text(ws.cell(row=h1, column=column, value=str(text)))
    for text, first, last_col in _GROUPS:
        ws.merge_cells(start_row=h1, start_column=first, end_row=h1, end_column=last_col)
        xlsx_text(ws.cell(row=h1, column=first, value=str(text)))
    for offset, text in enumerate(_SUB_HEADERS):
        xlsx_text(ws.cell(row=h2, column=3 + offset, value=str(text)))
    for column in range(1, 14):
        xlsx_text(ws.cell(row=numbers, column=column, value=f"({column})"))
    for row in (h1, h2, numbers):
        for column in range(1, 14):
            cell = ws.cell(row=row, column=column)
            cell.border = _BORDER
            cell.alignment = _CENTER
            cell.font = Font(bold=row != numbers, italic=row == numbers)
            if row != numbers:
                cell.fill = _HEADER_FILL
    ws.row_dimensions[h2].height = 45

    for index, data in enumerate(rows):
        row = FIRST_DATA_ROW + index
        values = [data["stt"], str(data["name"]), *(data[key] for key in COLUMN_KEYS)]
        for column, value in enumerate(values, start=1):
            # Agency and field names come from the catalogue: text, never a formula (OWASP CSV Injection).
            cell = xlsx_text(ws.cell(row=row, column=column, value=value))
            cell.border = _BORDER
            cell.font = Font(bold=bool(data.get("is_total")))
            if column == 2:
                cell.alignment = Alignment(vertical="center", wrap_text=True)
            else:
                cell.alignment = Alignment(horizontal="center", vertical="center")
                if column > 2:
                    cell.number_format = "#,##0"

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 48
    for column in range(3, 14):
        ws.column_dimensions[get_column_letter(column)].width = 13
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    ws.print_title_rows = f"{h1}:{numbers}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- dashboard series -------------------------------------------------------------------------------------


def monthly_trend(
    scope: Scope, last_month: date, now: datetime | None = None, months: int = 12
) -> list[dict[str, Any]]:
    """The last ``months`` calendar months up to ``last_month``: received, resolved, 766 on-time % (2.1) and
    online-submission %. Ended months are read from the rollups (``source="auto"``): twelve indexed sums,
    not twelve scans of the dossier table."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    first = last_month.replace(day=1)
    for _n in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    series = []
    for month in months_between(first, last_month):
        if month > today:
            break
        period = Period.month(month)
        c = counts_for(scope.agency_ids, period, now, source="auto").totals
        received = c["received_online"] + c["received_direct_postal"]
        population = c["carried_over"] + received
        series.append(
            {
                "month": month,
                "from": period.start,
                "to": period.end,
                "received": received,
                "resolved": c["resolved_total"],
                "on_time_pct": float(pct(c["resolved_ok_766"] + c["in_progress_ok_766"], population)),
                "online_pct": float(pct(c["received_online"], received)),
            }
        )
    return series


def unit_ranking(scope: Scope, period: Period, now: datetime | None = None) -> list[dict[str, Any]]:
    """The 766 total score of each unit directly below the scope's agency (its own subtree), best first."""
    ranking = []
    for child in Agency.objects.filter(parent=scope.agency, pk__in=scope.agency_ids).order_by("code"):
        card = scorecard(scope_for(child.code, include_children=True), period, now=now, source="auto")
        ranking.append(
            {
                "code": child.code,
                "name": child.name,
                "total_score": card["qd766"]["total_score"],
                "received_total": card["report_row"]["received_total"],
            }
        )
    return sorted(ranking, key=lambda r: (-r["total_score"], r["code"]))


def report_filename(scope: Scope, period: Period, by: str) -> str:
    """``bao-cao-tthc-<agency>-<from>-<to>-<unit|field>.xlsx`` (ASCII: safe in a Content-Disposition)."""
    return f"bao-cao-tthc-{scope.agency.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{by}.xlsx"


__all__ = [
    "BY_CHOICES",
    "check_invariants",
    "monthly_trend",
    "report_filename",
    "report_rows",
    "report_xlsx",
    "rows_xlsx",
    "unit_ranking",
]
