"""Filters of the dossier list in the REST API (django-filter; documented as query parameters).

Why codes and national codes: a partner system knows agencies and procedures by their codes and statuses by
the national ``TrangThaiHoSo`` (domain §1.2) or our internal names — never by primary keys. ``period``
takes the same shorthand a report period is named by (``2025``, ``2025-Q2``, ``2025-05``) and, like the
indicators, counts a dossier in the period of its reception date (local time).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from procedures.models import Agency
from procedures.selectors import agency_subtree_ids
from workflows.choices import NATIONAL_STATUS, Channel, DossierStatus
from workflows.models import Dossier

PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")
NATIONAL_TO_STATUS = {str(code): status for status, code in NATIONAL_STATUS.items() if code is not None}
STATUS_CHOICES = [
    *((s.value, s.label) for s in DossierStatus if s != DossierStatus.DRAFT),
    *((code, DossierStatus(status).label) for code, status in NATIONAL_TO_STATUS.items()),
]


def period_range(value: str) -> tuple[date, date]:
    """``2025`` → the year, ``2025-Q2`` → April–June, ``2025-05`` → May (first and last day, included)."""
    match = PERIOD_RE.match(value.strip())
    if match is None or int(match["year"]) < 1:
        raise ValidationError({"period": [_("Kỳ phải có dạng YYYY, YYYY-Qn hoặc YYYY-MM (ví dụ 2025-Q2).")]})
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if match["quarter"]:
        first = 3 * (int(match["quarter"]) - 1) + 1
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    return date(year, 1, 1), date(year, 12, 31)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the primary key as the last key, so pages never repeat or skip a dossier."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs


class DossierApiFilter(django_filters.FilterSet):
    agency = django_filters.CharFilter(
        method="filter_agency",
        label=gettext_lazy("Mã cơ quan: hồ sơ do cơ quan (hoặc đơn vị trực thuộc) giải quyết hoặc tiếp nhận"),
    )
    procedure = django_filters.CharFilter(
        field_name="procedure_version__procedure__code", label=gettext_lazy("Mã thủ tục")
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=STATUS_CHOICES,
        label=gettext_lazy("Trạng thái: tên nội bộ (received…) hoặc mã quốc gia 1–10"),
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=gettext_lazy("Kênh nộp"))
    received_from = django_filters.DateFilter(
        field_name="received_at",
        lookup_expr="date__gte",
        label=gettext_lazy("Tiếp nhận từ ngày (YYYY-MM-DD)"),
    )
    received_to = django_filters.DateFilter(
        field_name="received_at",
        lookup_expr="date__lte",
        label=gettext_lazy("Tiếp nhận đến ngày (YYYY-MM-DD)"),
    )
    period = django_filters.CharFilter(
        method="filter_period", label=gettext_lazy("Kỳ tiếp nhận: YYYY, YYYY-Qn hoặc YYYY-MM")
    )
    ordering = StableOrderingFilter(
        fields=(
            ("received_at", "received_at"),
            ("submitted_at", "submitted_at"),
            ("due_at", "due_at"),
            ("code", "code"),
            ("updated_at", "updated_at"),
        ),
        label=gettext_lazy("Sắp xếp (thêm dấu - để giảm dần)"),
    )

    class Meta:
        model = Dossier
        fields: list[str] = []

    def filter_agency(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        agency = Agency.objects.filter(code=value).first()
        if agency is None:
            raise ValidationError({"agency": [_("Không có cơ quan mã “%(code)s”.") % {"code": value}]})
        ids = agency_subtree_ids([agency])
        return queryset.filter(Q(agency_id__in=ids) | Q(reception_agency_id__in=ids))

    def filter_status(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        return queryset.filter(status=NATIONAL_TO_STATUS.get(value, value))

    def filter_period(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        start, end = period_range(value)
        return queryset.filter(received_at__date__gte=start, received_at__date__lte=end)
