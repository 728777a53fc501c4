"""Filters of the public procedure catalogue (``/thu-tuc/``).

Decree 42/2022 Art 12 (domain §3.1) asks the catalogue to be searchable by topic, level and agency; the
filters run on :func:`procedures.selectors.versions_in_force_on`, so each one is a ``WHERE`` clause of the
single page query and the number of queries stays the same whatever is chosen.
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, ChoiceFilter, FilterSet, ModelChoiceFilter

from procedures.choices import OnlineLevel
from procedures.models import Agency, ProcedureVersion
from procedures.selectors import (
    agencies_deciding_procedures,
    agency_subtree_ids,
    procedure_fields,
    procedure_search,
)

MAX_SEARCH_LENGTH = 200


class PublicCatalogueFilter(FilterSet):
    """Free text over name and code, field (lĩnh vực), deciding agency with its units, online level."""

    q = CharFilter(
        label=_("Tìm thủ tục"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Tên hoặc mã thủ tục, ví dụ: khai sinh, 1.004227")}
        ),
    )
    field = ChoiceFilter(label=_("Lĩnh vực"), field_name="procedure__field", empty_label=_("Tất cả lĩnh vực"))
    agency = ModelChoiceFilter(
        label=_("Cơ quan giải quyết"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        method="in_agency",
        empty_label=_("Tất cả cơ quan"),
    )
    online_level = ChoiceFilter(
        label=_("Mức độ dịch vụ công trực tuyến"),
        choices=OnlineLevel.choices,
        empty_label=_("Tất cả mức độ"),
    )

    class Meta:
        model = ProcedureVersion
        fields = ("q", "field", "agency", "online_level")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read once per request (one query each), not at import time: the catalogue changes without a deploy.
        self.filters["field"].extra["choices"] = [(name, name) for name in procedure_fields()]
        self.filters["agency"].queryset = agencies_deciding_procedures()

    def search(
        self, queryset: QuerySet[ProcedureVersion], name: str, value: str
    ) -> QuerySet[ProcedureVersion]:
        return queryset.filter(procedure_search(value, prefix="procedure__"))

    def in_agency(
        self, queryset: QuerySet[ProcedureVersion], name: str, value: Agency | None
    ) -> QuerySet[ProcedureVersion]:
        """The agency's own procedures and those of every unit below it: a citizen looking for "Sở Khoa học
        và Công nghệ" also means the fund and the divisions under it."""
        if value is None:
            return queryset
        return queryset.filter(procedure__agency_id__in=agency_subtree_ids([value]))
