"""Shapes of dossiers, events and lifecycle actions in the REST API (issue 5).

Why serializers stop at shapes: validation here is only "is this a well-formed request" (types, choices,
required text, codes that exist); every rule of the lifecycle — state, order, role in the unit, the clock —
is checked by ``workflows.services``, the same functions the desk calls.

Personal data (domain §8): the list shape carries no applicant fields, so listing never exposes them; the
detail shape does, and the view logs each such answer (``personal_data_access_log``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procedures.models import Agency, Procedure
from procedures.selectors import receivable_by, version_in_force
from sla.horizon import validate_in_calendar
from workflows.choices import (
    NATIONAL_STATUS,
    ApplicantKind,
    Channel,
    Decision,
    DossierStatus,
    Event,
    RefusalKind,
    ResultDelivery,
    SlaMark,
    StepOutcome,
)
from workflows.models import Dossier, DossierEvent, DossierStep
from workflows.roles import Role
from workflows.selectors import dossier_sla_state
from workflows.services import Applicant

# A finished step is marked early / on time / late (domain §2.4); an open one has no mark yet.
STEP_MARKS = [(m.value, m.label) for m in (SlaMark.EARLY, SlaMark.ON_TIME, SlaMark.LATE)]
VISIBLE_STATUSES = [(s.value, s.label) for s in DossierStatus if s != DossierStatus.DRAFT]


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "CodeName"


def _code_name(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


class AgencyCodeField(serializers.CharField):
    """An agency given by its code (mã cơ quan)."""

    def run_validation(self, data: Any = serializers.empty) -> Agency | None:
        code = super().run_validation(data)
        if code is None:
            return None
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise serializers.ValidationError(_("Không có cơ quan mã “%(code)s”.") % {"code": code})
        return agency


# --- submit --------------------------------------------------------------------------------------------


class ApplicantSerializer(serializers.Serializer):
    """Mẫu 01 fields of the applicant (domain §1.10); the ID is checked by the service (domain §7)."""

    kind = serializers.ChoiceField(choices=ApplicantKind.choices, default=ApplicantKind.PERSON)
    name = serializers.CharField(max_length=255)
    id_number = serializers.CharField(
        max_length=16, help_text="Cá nhân: số định danh 12 chữ số; tổ chức: mã số thuế."
    )
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Domain §7 (12-digit personal ID / tax code) through the service's own rule, as field errors."""
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            Applicant(**attrs).validate()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {field.removeprefix("applicant_"): messages for field, messages in exc.message_dict.items()}
            ) from exc
        return attrs


class DossierSubmitSerializer(serializers.Serializer):
    """An online submission (national status 1 "Mới đăng ký"); the desk then receives or refuses it."""

    procedure = serializers.CharField(max_length=16, help_text="Mã thủ tục hành chính, ví dụ 1.004227.")
    applicant = ApplicantSerializer()
    request_summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    reception_agency = AgencyCodeField(
        required=False, allow_null=True, default=None, max_length=64, help_text="Mã nơi tiếp nhận (tùy chọn)."
    )

    def validate_procedure(self, value: str) -> Procedure:
        procedure = Procedure.objects.select_related("agency").filter(code=value).first()
        if procedure is None:
            raise serializers.ValidationError(_("Không có thủ tục mã “%(code)s”.") % {"code": value})
        return procedure

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A portal may name only a desk that may receive the procedure (Decree 118/2025, the catalogue's
        rule ``procedures.selectors.receivable_by``); the service refuses the rest too, this says which
        field is wrong."""
        desk = attrs.get("reception_agency")
        version = version_in_force(attrs["procedure"], timezone.localdate()) if desk is not None else None
        if version is not None and not receivable_by(version, desk):
            raise serializers.ValidationError(
                {
                    "reception_agency": _(
                        "Thủ tục %(procedure)s không được tiếp nhận tại “%(desk)s”: chỉ tiếp nhận tại "
                        "Bộ phận Một cửa của tỉnh có thủ tục hoặc được phân cấp, ủy quyền."
                    )
                    % {"procedure": attrs["procedure"].code, "desk": desk.code}
                }
            )
        return attrs


# --- reads ---------------------------------------------------------------------------------------------


class _DossierBase(serializers.ModelSerializer):
    procedure = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    channel_code = serializers.IntegerField(help_text="KenhThucHien: 1 trực tiếp, 2 trực tuyến, 3 bưu chính.")
    status = serializers.ChoiceField(choices=VISIBLE_STATUSES)
    national_status = serializers.IntegerField(help_text="TrangThaiHoSo 1–10 (domain §1.2).")
    sla_state = serializers.SerializerMethodField()

    @extend_schema_field(CodeNameSerializer)
    def get_procedure(self, dossier: Dossier) -> dict[str, str]:
        return _code_name(dossier.procedure_version.procedure)

    @extend_schema_field(CodeNameSerializer)
    def get_agency(self, dossier: Dossier) -> dict[str, str]:
        return _code_name(dossier.agency)

    @extend_schema_field(serializers.ChoiceField(choices=SlaMark.choices, allow_null=True))
    def get_sla_state(self, dossier: Dossier) -> str | None:
        now = self.context.get("now") or timezone.now()
        return dossier_sla_state(dossier, now)


_SUMMARY_FIELDS = [
    "code",
    "procedure",
    "agency",
    "channel",
    "channel_code",
    "status",
    "national_status",
    "revision",
    "submitted_at",
    "received_at",
    "due_at",
    "new_due_at",
    "finished_at",
    "returned_at",
    "sla_state",
]


class DossierListSerializer(_DossierBase):
    """A dossier without its applicant: lists never expose personal data (domain §8)."""

    class Meta:
        model = Dossier
        fields = _SUMMARY_FIELDS


class DossierReceiptSerializer(DossierListSerializer):
    """The answer to a submission — also what a retry with the same Idempotency-Key gets back."""

    reception_agency = serializers.SerializerMethodField()

    class Meta(DossierListSerializer.Meta):
        fields = [*_SUMMARY_FIELDS, "reception_agency"]

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_reception_agency(self, dossier: Dossier) -> dict[str, str] | None:
        return _code_name(dossier.reception_agency)


class ApplicantOutSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApplicantKind.choices, source="applicant_kind")
    name = serializers.CharField(source="applicant_name")
    id_number = serializers.CharField(source="applicant_id_number")
    address = serializers.CharField(source="applicant_address")
    phone = serializers.CharField(source="applicant_phone")
    email = serializers.CharField(source="applicant_email")


class DossierStepSerializer(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices)
    allotted_working_hours = serializers.DecimalField(
        max_digits=9, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    outcome = serializers.ChoiceField(choices=StepOutcome.choices, allow_blank=True)
    mark = serializers.ChoiceField(choices=STEP_MARKS, allow_blank=True)

    class Meta:
        model = DossierStep
        fields = [
            "seq",
            "step_no",
            "name",
            "role",
            "unit",
            "allotted_working_hours",
            "owner_name",
            "started_at",
            "due_at",
            "finished_at",
            "outcome",
            "mark",
        ]

    @extend_schema_field(CodeNameSerializer)
    def get_unit(self, step: DossierStep) -> dict[str, str]:
        return _code_name(step.unit)


class DossierDetailSerializer(DossierReceiptSerializer):
    """The dossier with its applicant (personal data: the view logs the access) and its steps."""

    applicant = ApplicantOutSerializer(source="*")
    procedure_version_effective_from = serializers.DateField(source="procedure_version.effective_from")
    result_delivery = serializers.ChoiceField(choices=ResultDelivery.choices)
    decision = serializers.ChoiceField(choices=Decision.choices, allow_blank=True)
    refusal_kind = serializers.ChoiceField(choices=RefusalKind.choices, allow_blank=True)
    returned_via = serializers.ChoiceField(choices=ResultDelivery.choices, allow_blank=True)
    steps = serializers.SerializerMethodField()
    actions_allowed = serializers.SerializerMethodField(
        help_text="Các thao tác (actions/{name}/) tài khoản của khóa API được thực hiện lúc này."
    )

    class Meta(DossierReceiptSerializer.Meta):
        fields = [
            *DossierReceiptSerializer.Meta.fields,
            "procedure_version_effective_from",
            "applicant",
            "request_summary",
            "copies",
            "documents",
            "result_delivery",
            "apology_at",
            "apology_reason",
            "supplement_count",
            "refused_at",
            "refusal_kind",
            "refusal_reason",
            "decision",
            "decision_reason",
            "stop_reason",
            "returned_via",
            "steps",
            "actions_allowed",
        ]

    @extend_schema_field(DossierStepSerializer(many=True))
    def get_steps(self, dossier: Dossier) -> list[dict]:
        steps = dossier.steps.select_related("unit").order_by("seq")
        return DossierStepSerializer(steps, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions_allowed(self, dossier: Dossier) -> list[str]:
        """What the client's user may do now: the same policy as the desk and task pages' buttons."""
        from workflows.policy import actions_allowed

        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return actions_allowed(user, dossier, page="api", now=self.context.get("now"))


class DossierEventSerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=Event.choices)
    actor = serializers.CharField(source="actor_name")
    from_status = serializers.ChoiceField(choices=DossierStatus.choices)
    to_status = serializers.ChoiceField(choices=DossierStatus.choices)
    from_national_status = serializers.SerializerMethodField()
    to_national_status = serializers.SerializerMethodField()
    payload = serializers.DictField()

    class Meta:
        model = DossierEvent
        fields = [
            "seq",
            "event",
            "at",
            "actor",
            "from_status",
            "to_status",
            "from_national_status",
            "to_national_status",
            "note",
            "payload",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_from_national_status(self, event: DossierEvent) -> int | None:
        return NATIONAL_STATUS.get(event.from_status)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_to_national_status(self, event: DossierEvent) -> int | None:
        return NATIONAL_STATUS.get(event.to_status)


# --- lifecycle actions ---------------------------------------------------------------------------------


class _ActionSerializer(serializers.Serializer):
    expected_revision = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Số phiên bản hồ sơ (revision) đã đọc; khác với hiện tại thì bị từ chối (409).",
    )

    # API field name → the service's keyword, where the API names a thing as the dossier shows it.
    service_names: dict[str, str] = {}

    def service_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the lifecycle service, beyond dossier/user/expected_revision."""
        data = dict(self.validated_data)
        data.pop("expected_revision", None)
        return {self.service_names.get(k, k): v for k, v in data.items()}


def _text(required: bool, help_text: str) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=5000, help_text=help_text)
    return serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text=help_text
    )


class ReceiveActionSerializer(_ActionSerializer):
    reception_agency = AgencyCodeField(
        required=False, allow_null=True, default=None, max_length=64, help_text="Mã nơi tiếp nhận."
    )
    documents = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        default=list,
        max_length=200,
        help_text="Thành phần hồ sơ đã nhận.",
    )


class RefuseReceiptActionSerializer(_ActionSerializer):
    refusal_kind = serializers.ChoiceField(
        choices=RefusalKind.choices, help_text="supplement: Mẫu 02 (bổ sung trước); competence: Mẫu 03."
    )
    service_names = {"refusal_kind": "kind"}
    reason = _text(True, "Lý do không tiếp nhận / nội dung cần bổ sung (Mẫu 02/03).")
    reception_agency = AgencyCodeField(
        required=False, allow_null=True, default=None, max_length=64, help_text="Mã nơi tiếp nhận."
    )


class ReasonRequiredActionSerializer(_ActionSerializer):
    reason = _text(True, "Lý do.")


class ReasonOptionalActionSerializer(_ActionSerializer):
    reason = _text(False, "Lý do (tùy chọn).")


class NoteActionSerializer(_ActionSerializer):
    note = _text(False, "Ghi chú (tùy chọn).")


class ApologizeActionSerializer(_ActionSerializer):
    new_due_at = serializers.DateTimeField(
        help_text="Ngày hẹn trả mới (kèm múi giờ), trong các năm của lịch làm việc.",
        validators=[validate_in_calendar],  # the service refuses it too; here it is a field error
    )
    reason = _text(True, "Lý do chậm (Mẫu 04).")


class DecideActionSerializer(_ActionSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    service_names = {"decision": "outcome"}
    reason = _text(False, "Nội dung kết quả; bắt buộc khi từ chối (nêu rõ lý do).")


class ReturnResultActionSerializer(_ActionSerializer):
    returned_via = serializers.ChoiceField(choices=ResultDelivery.choices, default=ResultDelivery.DIRECT)
    service_names = {"returned_via": "via"}
