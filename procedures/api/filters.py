"""Filters of the catalogue endpoint (django-filter; drf-spectacular documents them as query parameters)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from procedures.choices import OnlineLevel
from procedures.models import Agency, Procedure
from procedures.selectors import agency_subtree_ids, procedure_search


class ProcedureFilter(django_filters.FilterSet):
    """Codes, not ids: a partner knows an agency by its code (mã cơ quan), never by our primary keys."""

    agency = django_filters.CharFilter(
        method="filter_agency",
        label=gettext_lazy("Mã cơ quan giải quyết (gồm cả các đơn vị trực thuộc)"),
    )
    field = django_filters.CharFilter(
        field_name="field", lookup_expr="iexact", label=gettext_lazy("Lĩnh vực")
    )
    online_level = django_filters.ChoiceFilter(
        field_name="online_level",
        choices=OnlineLevel.choices,
        label=gettext_lazy("Mức độ dịch vụ công trực tuyến của phiên bản đang áp dụng"),
    )
    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Tìm theo mã hoặc tên thủ tục"))

    class Meta:
        model = Procedure
        fields: list[str] = []

    def filter_agency(self, queryset: QuerySet[Procedure], name: str, value: str) -> QuerySet[Procedure]:
        agency = Agency.objects.filter(code=value).first()
        if agency is None:
            raise ValidationError({"agency": [_("Không có cơ quan mã “%(code)s”.") % {"code": value}]})
        return queryset.filter(agency_id__in=agency_subtree_ids([agency]))

    def filter_q(self, queryset: QuerySet[Procedure], name: str, value: str) -> QuerySet[Procedure]:
        return queryset.filter(procedure_search(value))
