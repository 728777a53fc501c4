"""FilterSets of the ``workflows`` lists (architecture: selectors filter through django-filter).

``SupervisorDossierFilter`` narrows the supervisor's list of dossiers needing attention (domain §2.4:
overdue, due soon, paused) by SLA state, unit, officer, procedure, channel and reception date; the unit and
officer choices are limited to what the supervisor may see.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField, ModelChoiceField

from procedures.models import Agency, Procedure
from procedures.selectors import agency_subtree_ids
from sla.horizon import validate_in_calendar
from workflows.choices import Channel, SlaMark
from workflows.models import Dossier, Membership
from workflows.policy import supervised_agency_ids

SUPERVISED_STATES = (SlaMark.OVERDUE, SlaMark.DUE_SOON, SlaMark.PAUSED)


def _agencies(request) -> QuerySet[Agency]:
    qs = Agency.objects.order_by("code")
    ids = supervised_agency_ids(request.user) if request is not None else set()
    return qs if ids is None else qs.filter(pk__in=ids)


def _officers(request):
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    ids = supervised_agency_ids(request.user) if request is not None else set()
    if ids is None:
        return users
    return users.filter(pk__in=Membership.objects.filter(agency_id__in=ids).values("user_id")).distinct()


def _procedures(request) -> QuerySet[Procedure]:
    qs = Procedure.objects.order_by("code")
    ids = supervised_agency_ids(request.user) if request is not None else set()
    return qs if ids is None else qs.filter(agency_id__in=ids)


class _OfficerField(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class OfficerChoiceFilter(django_filters.ModelChoiceFilter):
    """Officers by their full names, as the control sheet (Mẫu 06) names them."""

    field_class = _OfficerField


class CalendarDateRangeField(DateRangeField):
    """A from–to date range whose dates lie in the working calendar's years: year 1 or 9999 would overflow
    the conversion of local midnight to UTC (a 500), and no dossier lies outside those years anyway."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields:
            field.validators.append(validate_in_calendar)


class CalendarDateRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = CalendarDateRangeField


class SupervisorDossierFilter(django_filters.FilterSet):
    """Expects a queryset annotated with ``sla_state`` (``workflows.selectors.with_sla_state``)."""

    sla_state = django_filters.ChoiceFilter(
        label=_("Tình trạng"),
        choices=[(s.value, s.label) for s in SUPERVISED_STATES],
        empty_label=_("Tất cả"),
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("Đơn vị"), queryset=_agencies, method="filter_agency", empty_label=_("Tất cả")
    )
    officer = OfficerChoiceFilter(
        label=_("Người xử lý"),
        queryset=_officers,
        field_name="current_step__owner",
        empty_label=_("Tất cả"),
    )
    procedure = django_filters.ModelChoiceFilter(
        label=_("Thủ tục"),
        queryset=_procedures,
        field_name="procedure_version__procedure",
        empty_label=_("Tất cả"),
    )
    channel = django_filters.ChoiceFilter(
        label=_("Kênh nộp"), choices=Channel.choices, empty_label=_("Tất cả")
    )
    received = CalendarDateRangeFilter(
        label=_("Tiếp nhận từ ngày – đến ngày"),
        field_name="received_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    o = django_filters.OrderingFilter(
        label=_("Sắp xếp"),
        fields=(("due_at", "due_at"), ("received_at", "received_at"), ("code", "code")),
        field_labels={"due_at": _("Hẹn trả"), "received_at": _("Tiếp nhận"), "code": _("Mã hồ sơ")},
    )

    class Meta:
        model = Dossier
        fields: list[str] = []

    def filter_agency(self, queryset: QuerySet[Dossier], name: str, value: Agency) -> QuerySet[Dossier]:
        """A unit covers its sub-units; a dossier belongs to the unit deciding it and the one holding its
        current step."""
        ids = agency_subtree_ids([value])
        return queryset.filter(Q(agency_id__in=ids) | Q(current_step__unit_id__in=ids))
