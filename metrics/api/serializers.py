"""Query and answer shapes of ``GET /api/v1/indicators/`` (issue 5)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from metrics.indicators import IndicatorError, Period
from sla.horizon import in_calendar, outside_calendar_message
from workflows.api.filters import period_range


class IndicatorQuerySerializer(serializers.Serializer):
    """The options of ``manage.py indicators`` as query parameters, plus ``period`` as a shorthand."""

    agency = serializers.CharField(max_length=64, help_text="Mã cơ quan (--agency).")
    include_children = serializers.BooleanField(
        required=False, default=False, help_text="Cộng cả các đơn vị trực thuộc (--include-children)."
    )
    # "from" is a Python keyword: declared in __init__.
    to = serializers.DateField(required=False, help_text="Đến ngày, gồm cả ngày này (--to), YYYY-MM-DD.")
    period = serializers.CharField(
        required=False, max_length=16, help_text="Thay cho from/to: YYYY, YYYY-Qn hoặc YYYY-MM."
    )
    source = serializers.ChoiceField(
        choices=["auto", "raw", "rollup"],
        default="auto",
        help_text="auto: số liệu tổng hợp theo tháng cho các tháng đã kết thúc, còn lại đếm trực tiếp.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.DateField(required=False, help_text="Từ ngày (--from), YYYY-MM-DD.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end, named = attrs.get("from"), attrs.get("to"), attrs.get("period")
        if named:
            if start or end:
                raise serializers.ValidationError(
                    {"period": [_("Dùng period hoặc from/to, không dùng cả hai.")]}
                )
            start, end = period_range(named)
        missing = {k: [_("Bắt buộc (hoặc dùng period).")] for k, v in (("from", start), ("to", end)) if not v}
        if missing:
            raise serializers.ValidationError(missing)
        # The working calendar's years (SLA_FIRST_YEAR–SLA_LAST_YEAR), as on the dashboard.
        outside = [k for k, v in (("from", start), ("to", end)) if not in_calendar(v)]
        if outside:
            raise serializers.ValidationError({k: [outside_calendar_message()] for k in outside})
        try:
            attrs["period_obj"] = Period(start, end)
        except IndicatorError as exc:
            raise serializers.ValidationError({"from": [str(exc)]}) from exc
        return attrs


_NUMBER_MAP = serializers.DictField(child=serializers.FloatField(allow_null=True))
IndicatorsSerializer = inline_serializer(
    name="Indicators",
    fields={
        "agency": serializers.CharField(),
        "agency_name": serializers.CharField(),
        "include_children": serializers.BooleanField(),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "as_of": serializers.DateTimeField(),
        "source": serializers.CharField(),
        "report_row": serializers.DictField(
            child=serializers.IntegerField(), help_text="Báo cáo TT 01/2020."
        ),
        "on_time": serializers.DictField(),
        "qd766": serializers.DictField(
            help_text="Bộ chỉ số 766: mỗi chỉ số numerator/denominator/ratio/score."
        ),
        "online": serializers.DictField(),
        "time_reduction": serializers.DictField(),
        "pci_proxies": serializers.DictField(),
        "targets": _NUMBER_MAP,
        "gaps": serializers.ListField(child=serializers.CharField()),
    },
)
