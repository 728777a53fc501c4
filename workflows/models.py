"""Dossiers (hồ sơ) and their lifecycle from receipt to result.

Legal basis: domain.md §1 — reception channels (§1.1), the national status codes 1–10 (§1.2), reception and
refusal (§1.3, Mẫu 01/02/03), transfer and processing through the internal procedure's steps (§1.4–§1.5),
supplement requests (once, clock paused), the apology and new appointment (§1.7, Mẫu 04, once), withdrawal
and stop (§1.8, Mẫu 05), the decision and the return of the result (§1.9); dossier codes and applicant
identifiers per §7.

The lifecycle is a django-fsm state machine on ``Dossier.status`` (protected: only transitions change it).
The transition methods here change the dossier's own fields; ``workflows.services`` wraps each one with its
permission check, its clock change in ``sla`` and its audit event in one database transaction.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin, FSMField, transition
from rest_framework_api_key.models import AbstractAPIKey

from procedures.models import Agency, ProcedureVersion
from sla.models import Deadline
from workflows.choices import (
    CHANNEL_NATIONAL_CODE,
    NATIONAL_STATUS,
    OPEN_STATUSES,
    AccessPurpose,
    ApplicantKind,
    Channel,
    ComplaintKind,
    Decision,
    DeliveryStatus,
    DossierStatus,
    Event,
    LegalRegime,
    NoticeThreshold,
    OnlinePayment,
    Rating,
    RefusalKind,
    ResultDelivery,
    SlaMark,
    StepOutcome,
)
from workflows.roles import Role

S = DossierStatus

# Domain §7: số định danh cá nhân — 12 digits, province of registration 001–096, no check digit.
# [0-9], not \d: \d also matches other scripts' digits (Arabic-Indic, fullwidth…), which are not an ID.
PERSONAL_ID_RE = re.compile(r"^(0(?:0[1-9]|[1-8][0-9]|9[0-6]))[0-9]{9}$")
# Domain §7: mã số thuế — 10 digits, a dependent unit 10 digits + "-" + 3 digits; from 1/7/2025 an
# individual's tax code is the 12-digit personal ID. Length/charset only: the check digit is [U].
TAX_CODE_RE = re.compile(r"^([0-9]{10}(-[0-9]{3})?|[0-9]{12})$")


def validate_personal_id(value: str) -> None:
    if not re.fullmatch(r"[0-9]{12}", value or ""):
        raise ValidationError(
            _("Số định danh cá nhân phải gồm đúng 12 chữ số (đã nhập %(n)s ký tự)."),
            params={"n": len(value or "")},
            code="personal_id_length",
        )
    if not PERSONAL_ID_RE.match(value):
        raise ValidationError(
            _("Số định danh cá nhân: 3 chữ số đầu là mã tỉnh nơi đăng ký khai sinh, từ 001 đến 096."),
            code="personal_id_province",
        )


def validate_tax_code(value: str) -> None:
    if not TAX_CODE_RE.match(value or ""):
        raise ValidationError(
            _("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số-3 chữ số (đơn vị phụ thuộc), hoặc 12 chữ số."),
            code="tax_code",
        )


class Membership(models.Model):
    """A staff member holds a role in an agency or unit; it scopes what they may act on (issue 3 part 5)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan, đơn vị"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("phân công cán bộ")
        verbose_name_plural = pgettext_lazy("plural", "phân công cán bộ")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="workflows_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency.code}"


class DossierCodeCounter(models.Model):
    """Sequence of the day per code prefix (domain §7: ``<e-ID>-YYMMDD-<seq ≥4 digits>``)."""

    prefix = models.CharField(max_length=64)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="workflows_code_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day}: {self.last}"


# --- transition conditions: each has a message naming the rule it enforces -------------------------


def _has_previous_step(dossier: Dossier) -> bool:
    step = dossier.current_step
    return step is not None and step.route_index > 0


_has_previous_step.message = _("Đây là bước đầu tiên của quy trình: không có bước trước để trả lại.")


def _not_apologized(dossier: Dossier) -> bool:
    return dossier.apology_at is None


_not_apologized.message = _(
    "Phiếu xin lỗi và hẹn lại ngày trả kết quả chỉ được lập một lần (domain §1.7: hẹn lại một lần)."
)


def _has_current_step(dossier: Dossier) -> bool:
    return dossier.current_step_id is not None


_has_current_step.message = _("Hồ sơ không còn bước xử lý nào đang mở.")


def _may(kind: str):
    """A django-fsm ``permission`` callable: may ``user`` act on ``dossier`` as ``kind`` (desk/step/lead)?"""

    def check(dossier: Dossier, user) -> bool:
        from workflows.policy import user_may  # permissions reads Membership, defined in this module

        return user_may(user, dossier, kind)

    check.__name__ = f"may_{kind}"
    return check


DESK, STEP, LEAD, DESK_OR_STEP = _may("desk"), _may("step"), _may("lead"), _may("desk_or_step")


class Dossier(ConcurrentTransitionMixin, models.Model):
    """One dossier: who applied for which procedure version, through which channel, and where it stands.

    ``due_at`` mirrors the legal clock (``sla.Deadline``) and moves with pauses; ``new_due_at`` is the
    apology's date and never replaces it (domain §1.7: on time is judged against the original appointment).
    ``revision`` makes every save of a transition optimistic: two officers acting on the same dossier at
    once — even with a same-state transition such as completing a step — cannot both win.
    """

    code = models.CharField(_("mã hồ sơ"), max_length=64, unique=True)
    procedure_version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("thủ tục (phiên bản áp dụng)"), on_delete=models.PROTECT
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan giải quyết"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    reception_agency = models.ForeignKey(
        Agency,
        verbose_name=_("nơi tiếp nhận"),
        on_delete=models.PROTECT,
        related_name="received_dossiers",
        null=True,
        blank=True,
    )
    channel = models.CharField(_("kênh nộp"), max_length=8, choices=Channel.choices, default=Channel.DIRECT)
    legal_regime = models.CharField(
        _("chế độ pháp lý"), max_length=16, choices=LegalRegime.choices, default=LegalRegime.ND118_2025
    )
    status = FSMField(
        _("trạng thái"), max_length=16, choices=DossierStatus.choices, default=S.DRAFT, protected=True
    )
    revision = models.PositiveIntegerField(default=0, editable=False)

    applicant_kind = models.CharField(
        _("loại người nộp"), max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.PERSON
    )
    applicant_name = models.CharField(_("tên tổ chức, cá nhân"), max_length=255)
    applicant_id_number = models.CharField(
        _("số định danh cá nhân / mã số thuế"), max_length=16, blank=True, db_index=True
    )
    applicant_address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    applicant_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    request_summary = models.TextField(_("nội dung yêu cầu giải quyết"), blank=True)
    copies = models.PositiveSmallIntegerField(_("số lượng hồ sơ (bộ)"), default=1)
    documents = models.JSONField(_("thành phần hồ sơ đã nhận"), default=list, blank=True)
    result_delivery = models.CharField(
        _("nơi nhận kết quả"), max_length=8, choices=ResultDelivery.choices, default=ResultDelivery.DIRECT
    )

    submitted_at = models.DateTimeField(_("thời điểm nộp trực tuyến"), null=True, blank=True)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True, db_index=True)
    deadline = models.OneToOneField(
        Deadline,
        verbose_name=_("thời hạn"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("hẹn trả kết quả"), null=True, blank=True)
    due_soon_at = models.DateTimeField(_("bắt đầu sắp đến hạn"), null=True, blank=True)
    new_due_at = models.DateTimeField(_("ngày hẹn lại (Mẫu 04)"), null=True, blank=True)
    apology_at = models.DateTimeField(_("thời điểm xin lỗi, hẹn lại"), null=True, blank=True)
    apology_reason = models.TextField(_("lý do chậm"), blank=True)
    apology_late = models.BooleanField(
        _("xin lỗi muộn"),
        default=False,
        help_text=_("Lập sau ngày làm việc trước ngày hẹn trả (domain §1.7)."),
    )
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    refused_at = models.DateTimeField(_("thời điểm không tiếp nhận"), null=True, blank=True)
    refusal_kind = models.CharField(
        _("lý do không tiếp nhận"), max_length=16, choices=RefusalKind.choices, blank=True
    )
    refusal_reason = models.TextField(_("nội dung"), blank=True)
    decision = models.CharField(_("kết quả"), max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("nội dung kết quả / lý do từ chối"), blank=True)
    stop_reason = models.TextField(_("lý do dừng"), blank=True)
    finished_at = models.DateTimeField(_("kết thúc xử lý"), null=True, blank=True, db_index=True)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    returned_via = models.CharField(
        _("hình thức trả kết quả"), max_length=8, choices=ResultDelivery.choices, blank=True
    )
    appointment_at = models.DateTimeField(
        _("ngày hẹn trả ghi trên phiếu tiếp nhận"),
        null=True,
        blank=True,
        help_text=_(
            "NgayHenTra lúc tiếp nhận; 766 so thời điểm kết thúc đã trừ thời gian tạm dừng với mốc này."
        ),
    )
    paused_at = models.DateTimeField(_("tạm dừng từ"), null=True, blank=True)
    paused_calendar = models.DurationField(
        _("tổng thời gian tạm dừng (theo lịch)"),
        default=timedelta(0),
        help_text=_(
            "Thời gian chờ bổ sung hồ sơ, thực hiện nghĩa vụ tài chính (domain §2.4, 766 chỉ số 2.1)."
        ),
    )
    statutory_working_hours = models.DecimalField(
        _("thời hạn theo quy định (giờ làm việc)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    working_hours_used = models.DecimalField(
        _("thời gian giải quyết thực tế (giờ làm việc)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Từ lúc bắt đầu tính thời hạn đến khi kết thúc xử lý, trừ thời gian tạm dừng (domain §5)."
        ),
    )
    # --- facts for the indicators (domain §3.2, §4.2, §4.3 field names in brackets) ---
    e_result_code = models.CharField(_("mã kết quả điện tử (MaKetQua)"), max_length=64, blank=True)
    e_result_url = models.URLField(
        _("đường dẫn tệp kết quả (DuongDanTepTinKetQua)"), max_length=500, blank=True
    )
    e_result_at = models.DateTimeField(_("cấp kết quả điện tử lúc"), null=True, blank=True)
    digitised_attachments = models.BooleanField(_("thành phần hồ sơ có tệp số hóa"), default=False)
    digitised_reused = models.BooleanField(_("tái sử dụng dữ liệu số hóa"), default=False)
    digitised_from_store = models.BooleanField(_("lấy thành phần từ Kho dữ liệu công dân"), default=False)
    result_in_store = models.BooleanField(_("kết quả điện tử đã vào Kho dữ liệu"), default=False)
    vneid_verified = models.BooleanField(_("tài khoản xác thực VNeID"), default=False)
    fee_total_vnd = models.PositiveBigIntegerField(
        _("tổng phí, lệ phí (đồng)"),
        null=True,
        blank=True,
        help_text=_("Trống: chưa có danh sách phí; 0: danh sách phí toàn số 0 (766 chỉ số 3.6)."),
    )
    paid_online = models.PositiveSmallIntegerField(
        _("thanh toán trực tuyến"), choices=OnlinePayment.choices, default=OnlinePayment.NO
    )
    synced_at = models.DateTimeField(_("đồng bộ lên Cổng DVCQG lúc"), null=True, blank=True)
    complained_at = models.DateTimeField(
        _("có phản ánh, kiến nghị từ"),
        null=True,
        blank=True,
        help_text=_("Thời điểm PAKN đầu tiên (766 5.4)."),
    )
    rating = models.CharField(_("đánh giá"), max_length=8, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField(_("đánh giá lúc"), null=True, blank=True)
    rating_on_behalf = models.BooleanField(
        _("Bộ phận Một cửa ghi thay người dân"),
        default=False,
        help_text=_("Đánh giá do Bộ phận Một cửa ghi theo đề nghị rõ ràng của người dân (766 chỉ số 5.4)."),
    )
    rating_criteria = models.JSONField(
        _("điểm theo tiêu chí đánh giá"),
        default=dict,
        blank=True,
        help_text=_("Tiêu chí (domain §4.4) → điểm 0–2, do người dân chấm khi đánh giá."),
    )
    route = models.JSONField(_("quy trình áp dụng"), default=list, blank=True)
    current_step = models.ForeignKey(
        "DossierStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = pgettext_lazy("plural", "hồ sơ")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="workflows_dossier_status_due"),
            models.Index(fields=["agency", "status"], name="workflows_dossier_agency_st"),
            models.Index(fields=["status", "due_soon_at"], name="workflows_dossier_due_soon"),
            # Prometheus counts open dossiers by agency, channel and SLA state at every scrape: an
            # index-only scan of the open ones instead of a read of the whole table.
            models.Index(
                fields=["agency", "channel", "status", "due_at", "due_soon_at"],
                name="workflows_dossier_open_sla",
                condition=Q(status__in=OPEN_STATUSES),
            ),
        ]
        permissions = [
            ("receive_dossier", _("Tiếp nhận, trả kết quả hồ sơ")),
            ("process_dossier", _("Xử lý hồ sơ")),
            ("supervise_dossier", _("Giám sát hồ sơ")),
        ]

    def __str__(self) -> str:
        return self.code

    # --- optimistic locking on every save (see class docstring) -------------------------------------

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            self.revision = self._loaded_revision + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "revision", "updated_at"}
        super().save(*args, **kwargs)

    def _update_initial_state(self) -> None:
        super()._update_initial_state()
        self._loaded_revision = self.revision

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs):
        updated = super()._do_update(
            base_qs.filter(revision=self._loaded_revision),
            using,
            pk_val,
            values,
            update_fields,
            forced_update,
            *args,
            **kwargs,
        )
        if not updated and base_qs.filter(pk=pk_val).using(using).exists():
            raise ConcurrentTransition("the dossier was changed since it was loaded (revision mismatch)")
        return updated

    # --- derived facts ------------------------------------------------------------------------------

    @property
    def national_status(self) -> int | None:
        return NATIONAL_STATUS[self.status]

    @property
    def channel_code(self) -> int:
        return CHANNEL_NATIONAL_CODE[Channel(self.channel)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def procedure(self):
        return self.procedure_version.procedure

    # --- transitions (fields of the dossier only; clock and audit are in workflows.services) ----------

    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self, *, at) -> None:
        self.submitted_at = at

    @transition(field=status, source=[S.DRAFT, S.SUBMITTED], target=S.RECEIVED, permission=DESK)
    def receive(self, *, at) -> None:
        self.received_at = at

    @transition(field=status, source=[S.DRAFT, S.SUBMITTED], target=S.NOT_RECEIVED, permission=DESK)
    def refuse_receipt(self, *, at, kind: str, reason: str) -> None:
        self.refused_at = at
        self.refusal_kind = kind
        self.refusal_reason = reason

    @transition(field=status, source=[S.RECEIVED, S.IN_PROCESS], target=S.IN_PROCESS, permission=STEP)
    def step_done(self) -> None:
        pass

    @transition(
        field=status,
        source=S.IN_PROCESS,
        target=S.IN_PROCESS,
        conditions=[_has_previous_step],
        permission=STEP,
    )
    def return_step(self) -> None:
        pass

    @transition(field=status, source=[S.RECEIVED, S.IN_PROCESS], target=S.SUPPLEMENT, permission=STEP)
    def request_supplement(self) -> None:
        self.supplement_count += 1

    @transition(field=status, source=S.SUPPLEMENT, target=S.IN_PROCESS, permission=DESK_OR_STEP)
    def supplement_done(self) -> None:
        pass

    @transition(field=status, source=[S.RECEIVED, S.IN_PROCESS], target=S.PAYMENT, permission=STEP)
    def request_payment(self) -> None:
        pass

    @transition(field=status, source=S.PAYMENT, target=S.IN_PROCESS, permission=DESK_OR_STEP)
    def payment_done(self) -> None:
        pass

    @transition(field=status, source=list(OPEN_STATUSES), target=S.STOPPED, permission=DESK)
    def stop(self, *, at, reason: str) -> None:
        self.finished_at = at
        self.stop_reason = reason

    @transition(field=status, source=[S.SUBMITTED, *OPEN_STATUSES], target=S.WITHDRAWN, permission=DESK)
    def withdraw(self, *, at) -> None:
        if self.received_at is not None:
            self.finished_at = at

    @transition(
        field=status, source=list(OPEN_STATUSES), target=None, conditions=[_not_apologized], permission=LEAD
    )
    def apologize(self, *, at, new_due_at, reason: str, late: bool) -> None:
        self.apology_at = at
        self.new_due_at = new_due_at
        self.apology_reason = reason
        self.apology_late = late

    @transition(field=status, source=[S.RECEIVED, S.IN_PROCESS], target=S.DECIDED, permission=STEP)
    def decide(self, *, at, outcome: str, reason: str) -> None:
        self.finished_at = at
        self.decision = outcome
        self.decision_reason = reason

    @transition(field=status, source=S.DECIDED, target=S.RETURNED, permission=DESK)
    def return_result(self, *, at, via: str) -> None:
        self.returned_at = at
        self.returned_via = via


class DossierStep(models.Model):
    """One handover of the dossier to a step of its internal procedure (a row of Phiếu kiểm soát, Mẫu 06).

    A step sent back and taken up again gets a new row, so the control sheet keeps every handover with its
    own time and its early / on-time / late mark (domain §1.10).
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveSmallIntegerField(_("lượt"))
    route_index = models.PositiveSmallIntegerField()
    step_no = models.PositiveSmallIntegerField(_("bước số"))
    name = models.TextField(_("nội dung công việc"))
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        Agency, verbose_name=_("đơn vị thực hiện"), on_delete=models.PROTECT, related_name="dossier_steps"
    )
    allotted_working_hours = models.DecimalField(
        _("thời gian (giờ làm việc)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xử lý"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_name = models.CharField(_("người xử lý"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("nhận lúc"))
    deadline = models.OneToOneField(
        Deadline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(_("hạn của bước"), null=True, blank=True)
    half_at = models.DateTimeField(null=True, blank=True)
    three_quarters_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("giao lúc"), null=True, blank=True)
    outcome = models.CharField(_("kết quả"), max_length=16, choices=StepOutcome.choices, blank=True)
    mark = models.CharField(_("đánh giá"), max_length=16, choices=SlaMark.choices, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("lượt xử lý")
        verbose_name_plural = _("các lượt xử lý")
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="workflows_step_unique_seq")]
        indexes = [
            models.Index(
                fields=["half_at"], name="workflows_step_open_half", condition=Q(finished_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} B{self.step_no}: {self.name[:40]}"


class AppendOnlyError(RuntimeError):
    """The audit log is append-only: an event is never changed or deleted."""


class DossierEvent(models.Model):
    """An append-only audit event: who did what to which dossier, when, from which state to which.

    Append-only in the database too (triggers, ``workflows.audit``); never purged.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("thứ tự"))
    event = models.CharField(_("sự kiện"), max_length=32, choices=Event.choices)
    at = models.DateTimeField(_("thời điểm"))
    # PROTECT, not SET_NULL: the row is append-only in the database and its hash covers the user id, so a
    # user who acted is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    actor_name = models.CharField(_("người thực hiện"), max_length=150, blank=True)
    from_status = models.CharField(_("từ trạng thái"), max_length=16, choices=DossierStatus.choices)
    to_status = models.CharField(_("sang trạng thái"), max_length=16, choices=DossierStatus.choices)
    note = models.TextField(_("ghi chú, lý do"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    # The hash chain of the dossier's events (workflows.audit): written with the row, checked by audit_verify.
    prev_hash = models.CharField(_("mã băm sự kiện trước"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("mã băm"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("sự kiện hồ sơ")
        verbose_name_plural = pgettext_lazy("plural", "sự kiện hồ sơ")
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="workflows_event_unique_seq")]
        # The daily audit check picks the dossiers with events written in the last days.
        indexes = [models.Index(fields=["recorded_at"], name="workflows_event_recorded")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.event} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("dossier events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        raise AppendOnlyError("dossier events are append-only")


class SlaNotice(models.Model):
    """A threshold crossing already notified; the unique constraint makes each crossing notify once."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="notices")
    step_seq = models.PositiveSmallIntegerField(default=0, help_text="0 = the dossier's own clock")
    threshold = models.CharField(max_length=16, choices=NoticeThreshold.choices)
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thông báo thời hạn")
        verbose_name_plural = pgettext_lazy("plural", "thông báo thời hạn")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "step_seq", "threshold"], name="workflows_notice_once_per_crossing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.step_seq} {self.threshold}"


class Complaint(models.Model):
    """A complaint or recommendation (phản ánh, kiến nghị — PAKN) with its own handling deadline.

    Domain §4.2 group 5: 5.1 counts the classified ones, 5.2 those handled by ``due_at`` (15 working days
    by default, ``COMPLAINT_HANDLING_WORKING_DAYS`` [U]), 5.3 those neither disliked, overdue nor repeated.
    """

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="complaints"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="complaints"
    )
    kind = models.CharField(_("phân loại"), max_length=16, choices=ComplaintKind.choices)
    content = models.TextField(_("nội dung"), blank=True)
    received_at = models.DateTimeField(_("tiếp nhận lúc"))
    due_at = models.DateTimeField(_("hạn xử lý"))
    resolved_at = models.DateTimeField(_("xử lý xong lúc"), null=True, blank=True)
    repeated = models.BooleanField(_("phản ánh lặp lại về kết quả"), default=False)
    likes = models.PositiveSmallIntegerField(_("lượt hài lòng"), default=0)
    dislikes = models.PositiveSmallIntegerField(_("lượt không hài lòng"), default=0)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = pgettext_lazy("plural", "phản ánh, kiến nghị")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["agency", "received_at"], name="workflows_complaint_agency")]

    def __str__(self) -> str:
        return f"PAKN {self.dossier_id} {self.received_at:%d/%m/%Y}"


# --- issue 5: integration clients, idempotent intake, the outbox, personal-data access log ----------------


class ApiClient(AbstractAPIKey):
    """A partner system (online portal, ministry system) calling the REST API with its own key and scopes.

    The client acts as ``user``: its unit memberships decide what it may do, through the same services and
    permission checks as a desk officer in the UI — there is no second code path for the API.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản đại diện"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    scopes = models.JSONField(_("phạm vi được phép"), default=list, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("hệ thống tích hợp")
        verbose_name_plural = pgettext_lazy("plural", "hệ thống tích hợp")

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class IdempotencyKey(models.Model):
    """The first answer to a request carrying ``Idempotency-Key``; a retry gets the same answer back.

    The unique constraint is the lock: concurrent retries race on the insert and exactly one wins.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="workflows_idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


class OutboxEvent(models.Model):
    """One lifecycle event in the national sync shape (domain §4.3), written with the event itself.

    Written in the same transaction as the ``DossierEvent`` (``workflows.services.outbox``), so a committed
    event is never missing here and a rolled-back one never appears.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="outbox")
    event = models.OneToOneField(DossierEvent, on_delete=models.PROTECT, related_name="outbox")
    seq = models.PositiveIntegerField(_("thứ tự trong hồ sơ"))
    kind = models.CharField(_("sự kiện"), max_length=32, choices=Event.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sự kiện chờ đồng bộ")
        verbose_name_plural = pgettext_lazy("plural", "sự kiện chờ đồng bộ")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.kind}"


class Subscriber(models.Model):
    """A system that receives every outbox event by webhook (HMAC-signed), e.g. the national portal."""

    name = models.CharField(_("tên"), max_length=100, unique=True)
    url = models.URLField(_("địa chỉ webhook"), max_length=500)
    secret = models.CharField(_("khóa ký HMAC"), max_length=200)
    active = models.BooleanField(_("đang hoạt động"), default=True)
    national = models.BooleanField(
        _("là Cổng DVCQG"),
        default=False,
        help_text=_("Xác nhận của hệ thống này được tính là hồ sơ đã đồng bộ (766 chỉ số 1.4)."),
    )
    max_attempts = models.PositiveSmallIntegerField(_("số lần thử tối đa"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hệ thống nhận đồng bộ")
        verbose_name_plural = pgettext_lazy("plural", "hệ thống nhận đồng bộ")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One outbox event to one subscriber: retried with back-off, dead after N tries, replayable."""

    outbox_event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("số lần đã thử"), default=0)
    next_attempt_at = models.DateTimeField(_("thử lại lúc"))
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(_("được xác nhận lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lượt gửi đồng bộ")
        verbose_name_plural = pgettext_lazy("plural", "lượt gửi đồng bộ")
        constraints = [
            models.UniqueConstraint(fields=["outbox_event", "subscriber"], name="workflows_delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="workflows_delivery_due"),
            models.Index(fields=["subscriber", "dossier", "status"], name="workflows_delivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.outbox_event_id}→{self.subscriber_id} {self.status}"


class PersonalDataAccess(models.Model):
    """Who saw which dossier's personal data, when and how (domain §8: audit logging, kept ≥ 2 years)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xem"), on_delete=models.PROTECT, related_name="+"
    )
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="personal_data_accesses"
    )
    purpose = models.CharField(_("mục đích"), max_length=16, choices=AccessPurpose.choices)
    path = models.CharField(_("địa chỉ truy cập"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("lượt truy cập dữ liệu cá nhân")
        verbose_name_plural = pgettext_lazy("plural", "lượt truy cập dữ liệu cá nhân")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["dossier", "at"], name="workflows_pda_dossier"),
            models.Index(fields=["user", "at"], name="workflows_pda_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.dossier_id} {self.at:%Y-%m-%d %H:%M}"


class RetentionPurge(models.Model):
    """One run of a retention purge: what was deleted, up to which cut-off, by whom (append-only, kept).

    The access-log purge is the one sanctioned delete of audit data (Decree 13/2023/NĐ-CP: personal data is
    kept no longer than needed; the access log at least two years), so each run leaves this row behind.
    """

    kind = models.CharField(_("loại dữ liệu"), max_length=32)
    cutoff = models.DateTimeField(_("xóa các bản ghi trước"))
    retention_days = models.PositiveIntegerField(_("thời hạn lưu (ngày)"))
    deleted = models.PositiveIntegerField(_("số bản ghi đã xóa"))
    by = models.CharField(_("thực hiện bởi"), max_length=150)
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("lượt xóa dữ liệu hết hạn lưu")
        verbose_name_plural = pgettext_lazy("plural", "lượt xóa dữ liệu hết hạn lưu")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.cutoff:%Y-%m-%d}: {self.deleted}"


class AuditCheck(models.Model):
    """The result of one hash-chain verification run, read by the Prometheus collector at scrape time.

    Stored in the database, not in a process's gauge: beat's worker runs the check, any web process answers
    the scrape (``motcua_audit_broken_chains``).
    """

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    since = models.DateTimeField(_("hồ sơ có sự kiện từ"), null=True, blank=True)
    dossiers = models.PositiveIntegerField(_("số hồ sơ đã kiểm tra"))
    events = models.PositiveIntegerField(_("số sự kiện đã kiểm tra"))
    broken = models.PositiveIntegerField(_("số chuỗi bị phá vỡ"))
    report = models.JSONField(_("liên kết hỏng đầu tiên của mỗi hồ sơ"), default=list, blank=True)

    class Meta:
        verbose_name = _("lượt kiểm tra nhật ký")
        verbose_name_plural = pgettext_lazy("plural", "lượt kiểm tra nhật ký")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}: {self.broken}"
