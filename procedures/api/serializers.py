"""Read-only shapes of the catalogue for the REST API (issue 5).

Why the version in force is nested in the procedure: a portal shows "what applies today" — terms, fees,
documents, steps — and should not have to pick the right version itself; the date rule lives in
``procedures.selectors.version_in_force`` and nowhere else.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procedures.choices import OnlineLevel, ProcedureLevel, TermUnit
from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion
from procedures.selectors import version_steps


class AgencyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name"]
        ref_name = "AgencyRef"


class TermSerializer(serializers.Serializer):
    """A term: an amount in a unit (working days or hours, calendar days; 0 working days = same day)."""

    amount = serializers.DecimalField(max_digits=9, decimal_places=2, coerce_to_string=False)
    unit = serializers.ChoiceField(choices=TermUnit.choices)


class ProcedureStepSerializer(serializers.ModelSerializer):
    unit = AgencyRefSerializer(allow_null=True)
    allotted_working_hours = serializers.DecimalField(
        max_digits=9, decimal_places=2, coerce_to_string=False, allow_null=True
    )

    class Meta:
        model = ProcedureStep
        fields = ["step_no", "name", "role", "unit", "allotted_working_hours"]


class ProcedureVersionSerializer(serializers.ModelSerializer):
    statutory_term = TermSerializer()
    committed_term = TermSerializer()
    online_term = TermSerializer(allow_null=True)
    online_level = serializers.ChoiceField(choices=OnlineLevel.choices)
    required_documents = serializers.ListField(
        child=serializers.CharField(), source="required_documents_list"
    )
    result_documents = serializers.ListField(child=serializers.CharField(), source="result_documents_list")
    steps = serializers.SerializerMethodField()

    class Meta:
        model = ProcedureVersion
        fields = [
            "effective_from",
            "effective_to",
            "statutory_term",
            "committed_term",
            "online_term",
            "online_level",
            "full_online_eligible",
            "fees_vnd",
            "fees_text",
            "required_documents",
            "result_documents",
            "legal_basis",
            "steps",
        ]

    @extend_schema_field(ProcedureStepSerializer(many=True))
    def get_steps(self, version: ProcedureVersion) -> list[dict]:
        return ProcedureStepSerializer(version_steps(version), many=True).data


class ProcedureListSerializer(serializers.ModelSerializer):
    """One row of the catalogue; ``online_level`` is the one of the version in force today."""

    level = serializers.ChoiceField(choices=ProcedureLevel.choices)
    agency = AgencyRefSerializer()
    online_level = serializers.ChoiceField(choices=OnlineLevel.choices, allow_null=True)

    class Meta:
        model = Procedure
        fields = ["code", "name", "field", "level", "agency", "online_level"]


class ProcedureDetailSerializer(ProcedureListSerializer):
    version = serializers.SerializerMethodField(
        help_text="Phiên bản đang áp dụng hôm nay; null nếu không có."
    )

    class Meta(ProcedureListSerializer.Meta):
        fields = [*ProcedureListSerializer.Meta.fields, "version"]

    @extend_schema_field(ProcedureVersionSerializer(allow_null=True))
    def get_version(self, procedure: Procedure) -> dict | None:
        version = self.context.get("version")
        return ProcedureVersionSerializer(version).data if version is not None else None
