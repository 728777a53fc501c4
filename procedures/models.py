"""The catalogue of administrative procedures (TTHC): agencies, procedures, versions and internal steps.

Legal basis: a TTHC's mandatory components include its time limit, agency, fees and dossier (Decree 63/2010
Art 8 k2, domain §2.1); each TTHC has an approved internal procedure whose steps carry a role and an allotted
time and add up to the committed term (domain §1.5); online service levels follow Decree 42/2022 (domain
§3.1); national procedure codes follow the observed ``d.dddddd`` format (domain §7).

A procedure's terms, fees and documents change over time by new publication decisions, so they live on
``ProcedureVersion`` rows keyed by ``effective_from``; a dossier refers to the version in force on its
reception date.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.choices import AgencyLevel, OnlineLevel, ProcedureLevel, TermUnit
from procedures.terms import Term, format_decimal, hours_certainly_exceed, term_certainly_exceeds
from sla.choices import ClockSemantics, CutoffMode

# Domain §7: national procedure code, e.g. 1.004227. Local suffixes (.H38, .000.00.00.H13) are not part of it.
NATIONAL_CODE_RE = re.compile(r"^[1-9]\.\d{6}$")
# Demo convention: codes invented for demos and tests start with "DEMO." and can never collide with a real
# national code (which starts with a digit); the six digits keep the national code's shape.
DEMO_CODE_RE = re.compile(r"^DEMO\.\d{6}$")
PROCEDURE_CODE_RE = re.compile(rf"{NATIONAL_CODE_RE.pattern}|{DEMO_CODE_RE.pattern}")
# Agency codes are ours (the national agency identifier is ``e_id``): short, slug-like, e.g. DEMO-SKHCN.
AGENCY_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

TERM_MAX_DIGITS = 7
TERM_DECIMAL_PLACES = 2
HOURS_MAX_DIGITS = 8
HOURS_DECIMAL_PLACES = 2

validate_procedure_code = RegexValidator(
    PROCEDURE_CODE_RE,
    _("Mã thủ tục phải có dạng mã quốc gia d.dddddd (ví dụ 1.004227) hoặc mã demo DEMO.dddddd."),
)
validate_agency_code = RegexValidator(
    AGENCY_CODE_RE,
    _("Mã cơ quan chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới (tối đa 64 ký tự)."),
)


class Agency(models.Model):
    """An agency or unit in the tree province → department → division, plus communes (domain §0: two
    tiers)."""

    code = models.CharField(_("mã cơ quan"), max_length=64, unique=True, validators=[validate_agency_code])
    name = models.CharField(_("tên cơ quan"), max_length=255)
    level = models.CharField(_("cấp"), max_length=16, choices=AgencyLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    e_id = models.CharField(
        _("mã định danh điện tử"),
        max_length=32,
        blank=True,
        help_text=_("Mã định danh điện tử của cơ quan (dùng trong mã hồ sơ), ví dụ 000.00.12.H13."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = pgettext_lazy("plural", "cơ quan, đơn vị")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestors(self) -> list[Agency]:
        """Agencies from the root down to ``self`` (inclusive); stops on a cycle instead of looping."""
        chain: list[Agency] = []
        seen: set[int | None] = set()
        node: Agency | None = self
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        chain.reverse()
        return chain

    def calendar_scope_codes(self) -> list[str]:
        """Codes from the root to this agency, for per-agency working calendars.

        A local closure or office-hours rule set for an agency applies to everything below it (``sla`` keys
        them by agency code), so the calendar of an agency is the national one overlaid with the rules of
        these codes in this order, the most specific last.
        """
        return [agency.code for agency in self.ancestors()]

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Cơ quan không thể là cấp trên của chính nó.")})
        node = self.parent
        seen: set[int] = set()
        while node is not None and node.pk not in seen:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": _("Chọn cơ quan cấp trên này sẽ tạo vòng lặp trong cây.")})
            seen.add(node.pk)
            node = node.parent


class Procedure(models.Model):
    """A TTHC identified by its national code; what changes over time is on :class:`ProcedureVersion`."""

    code = models.CharField(
        _("mã thủ tục"),
        max_length=16,
        unique=True,
        validators=[validate_procedure_code],
        help_text=_("Mã TTHC quốc gia dạng d.dddddd, không kèm hậu tố địa phương; mã demo dạng DEMO.dddddd."),
    )
    name = models.TextField(_("tên thủ tục"))
    field = models.CharField(_("lĩnh vực"), max_length=255, blank=True)
    level = models.CharField(_("cấp thực hiện"), max_length=20, choices=ProcedureLevel.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan giải quyết"), on_delete=models.PROTECT, related_name="procedures"
    )

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = pgettext_lazy("plural", "thủ tục hành chính")
        ordering = ["code"]
        indexes = [models.Index(fields=["field"], name="procedures_procedure_field_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_demo(self) -> bool:
        return bool(DEMO_CODE_RE.match(self.code))


class ProcedureVersion(models.Model):
    """Terms, fees and documents of a procedure from ``effective_from`` on.

    The committed term is what the province promises after a reduction (domain §5: NQ 66/2025 asks for at
    least 30%); it is always stored, equal to the statutory term when there is no reduction, so deadlines
    never need a fallback. A NULL online term means online dossiers use the committed term.
    """

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("thủ tục"), on_delete=models.CASCADE, related_name="versions"
    )
    effective_from = models.DateField(_("áp dụng từ ngày"))
    effective_to = models.DateField(
        _("áp dụng đến ngày"),
        null=True,
        blank=True,
        help_text=_("Tự động đặt là ngày trước ngày áp dụng của phiên bản kế tiếp."),
    )
    statutory_term_amount = models.DecimalField(
        _("thời hạn theo quy định"),
        max_digits=TERM_MAX_DIGITS,
        decimal_places=TERM_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("0 ngày làm việc = trả kết quả ngay trong ngày."),
    )
    statutory_term_unit = models.CharField(
        _("đơn vị thời hạn theo quy định"), max_length=16, choices=TermUnit.choices
    )
    committed_term_amount = models.DecimalField(
        _("thời hạn cam kết"),
        max_digits=TERM_MAX_DIGITS,
        decimal_places=TERM_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Thời hạn sau cắt giảm; bằng thời hạn theo quy định nếu không cắt giảm."),
    )
    committed_term_unit = models.CharField(
        _("đơn vị thời hạn cam kết"), max_length=16, choices=TermUnit.choices
    )
    online_term_amount = models.DecimalField(
        _("thời hạn trực tuyến"),
        max_digits=TERM_MAX_DIGITS,
        decimal_places=TERM_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        null=True,
        blank=True,
        help_text=_("Để trống nếu hồ sơ trực tuyến dùng thời hạn cam kết."),
    )
    online_term_unit = models.CharField(
        _("đơn vị thời hạn trực tuyến"), max_length=16, choices=TermUnit.choices, blank=True
    )
    online_level = models.CharField(
        _("mức độ dịch vụ công trực tuyến"),
        max_length=8,
        choices=OnlineLevel.choices,
        default=OnlineLevel.NONE,
    )
    full_online_eligible = models.BooleanField(
        _("đủ điều kiện xử lý toàn trình"),
        default=False,
        help_text=_("Nộp, thanh toán, xử lý và trả kết quả điện tử hoàn toàn trực tuyến (domain §3.1)."),
    )
    paper_result_required = models.BooleanField(
        _("kết quả phải cấp bản giấy"),
        default=False,
        help_text=_(
            "Thủ tục có kết quả bằng giấy: hồ sơ trực tuyến chỉ được tính (766 chỉ số 3.3, 4.1, 4.2) "
            "khi có mã và tệp kết quả điện tử."
        ),
    )
    for_citizens = models.BooleanField(
        _("đối tượng là công dân"),
        default=True,
        help_text=_("Mẫu số của 766 chỉ số 4.5a: TTHC có đối tượng thực hiện là công dân."),
    )
    publication_decision = models.CharField(_("quyết định công bố"), max_length=64, blank=True)
    publication_decision_date = models.DateField(_("ngày quyết định công bố"), null=True, blank=True)
    legal_basis_effective_date = models.DateField(
        _("ngày có hiệu lực của văn bản quy định"),
        null=True,
        blank=True,
        help_text=_(
            "766 chỉ số 1.1: công bố đúng hạn khi quyết định ban hành trước ngày này "
            "(5 ngày làm việc với tỉnh)."
        ),
    )
    publicized_on = models.DateField(
        _("ngày công khai trên CSDLQG"),
        null=True,
        blank=True,
        help_text=_(
            "766 chỉ số 1.2: công khai đúng hạn khi không muộn hơn ngày quyết định + 5 ngày làm việc (tỉnh)."
        ),
    )
    fees_vnd = models.PositiveBigIntegerField(
        _("phí, lệ phí (đồng)"),
        null=True,
        blank=True,
        help_text=_("Để trống nếu chưa rõ hoặc phụ thuộc từng trường hợp; 0 = không thu phí."),
    )
    fees_text = models.TextField(_("phí, lệ phí (nội dung công bố)"), blank=True)
    required_documents = models.TextField(
        _("thành phần hồ sơ"), blank=True, help_text=_("Mỗi dòng một giấy tờ.")
    )
    result_documents = models.TextField(
        _("kết quả thực hiện"), blank=True, help_text=_("Mỗi dòng một loại giấy tờ kết quả.")
    )
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    clock_cutoff = models.CharField(
        _("quy tắc tiếp nhận muộn"),
        max_length=16,
        choices=CutoffMode.choices,
        blank=True,
        help_text=_(
            "Để trống: theo cấu hình chung (sau giờ làm việc). Thủ tục trả trong ngày (chứng thực, hộ tịch) "
            "dùng mốc 15 giờ."
        ),
    )
    clock_semantics = models.CharField(
        _("cách tính khi bổ sung hồ sơ"),
        max_length=16,
        choices=ClockSemantics.choices,
        default=ClockSemantics.PAUSE,
        blank=True,
        help_text=_(
            "Tạm dừng (mặc định, theo cách tính 766) hoặc tính lại từ đầu khi luật chuyên ngành quy định."
        ),
    )
    # Where a dossier of this version may be received beyond the default (procedures.selectors.receivable_by).
    # Decree 118/2025 has provincial and commune centres receive the TTHC of their province and the ministry
    # TTHC delegated to the locality; a ministry procedure lists here the provinces (or centres) it is
    # delegated to.
    received_in = models.ManyToManyField(
        Agency,
        verbose_name=_("tiếp nhận thêm tại (phân cấp, ủy quyền)"),
        blank=True,
        related_name="received_versions",
        help_text=_(
            "Mặc định hồ sơ được tiếp nhận tại mọi Bộ phận Một cửa thuộc tỉnh của cơ quan giải quyết "
            "(thủ tục cấp bộ: tại bộ). Chọn thêm tỉnh (hoặc đơn vị) được giao tiếp nhận, ví dụ tỉnh được bộ "
            "phân cấp."
        ),
    )

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = pgettext_lazy("plural", "phiên bản thủ tục")
        ordering = ["procedure_id", "-effective_from"]  # no join by default; the admin orders by code
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "effective_from"], name="procedures_version_unique_effective_from"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="procedures_version_effective_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(statutory_term_amount__gte=0) & Q(committed_term_amount__gte=0),
                name="procedures_version_terms_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(online_term_amount__isnull=True) & Q(online_term_unit=""))
                | (Q(online_term_amount__gte=0) & ~Q(online_term_unit="")),
                name="procedures_version_online_term_complete",
            ),
        ]
        indexes = [models.Index(fields=["effective_from"], name="procedures_version_from_idx")]

    def __str__(self) -> str:
        return str(
            _("%(code)s từ %(date)s")
            % {"code": self.procedure.code, "date": f"{self.effective_from:%d/%m/%Y}"}
        )

    @property
    def statutory_term(self) -> Term:
        return Term(self.statutory_term_amount, self.statutory_term_unit)

    @property
    def committed_term(self) -> Term:
        return Term(self.committed_term_amount, self.committed_term_unit)

    @property
    def online_term(self) -> Term | None:
        if self.online_term_amount is None or self.online_term_unit not in TermUnit.values:
            return None
        return Term(self.online_term_amount, self.online_term_unit)

    @property
    def required_documents_list(self) -> list[str]:
        return [line.strip() for line in self.required_documents.splitlines() if line.strip()]

    @property
    def result_documents_list(self) -> list[str]:
        return [line.strip() for line in self.result_documents.splitlines() if line.strip()]

    def steps_working_hours(self) -> Decimal:
        """Sum of the counted allotments of the saved steps (NULL = "không tính thời gian" adds nothing)."""
        if self.pk is None:
            return Decimal(0)
        total = self.steps.aggregate(total=Sum("allotted_working_hours"))["total"]
        return total or Decimal(0)

    def clean(self) -> None:
        """Check the catalogue's inequalities (domain §1.5, §5); see :mod:`procedures.terms` for the units.

        The saved steps are checked against the committed term unless ``steps_checked_by_caller`` is set: the
        admin checks the steps being submitted on the same page instead of the stored ones.
        """
        super().clean()
        errors: dict[str, list] = {}
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors.setdefault("effective_to", []).append(_("Ngày kết thúc áp dụng trước ngày bắt đầu."))
        if (self.online_term_amount is None) != (not self.online_term_unit):
            errors.setdefault("online_term_amount", []).append(
                _("Nhập cả thời hạn trực tuyến và đơn vị, hoặc để trống cả hai.")
            )
        terms_complete = None not in (
            self.statutory_term_amount,
            self.committed_term_amount,
        ) and {self.statutory_term_unit, self.committed_term_unit} <= set(TermUnit.values)
        if terms_complete:
            message = version_terms_error(
                statutory=self.statutory_term, committed=self.committed_term, online=self.online_term
            )
            if message:
                field, text = message
                errors.setdefault(field, []).append(text)
            elif self.pk is not None and not getattr(self, "steps_checked_by_caller", False):
                total = self.steps_working_hours()
                if hours_certainly_exceed(total, self.committed_term):
                    errors.setdefault("committed_term_amount", []).append(steps_exceed_message(total, self))
        if errors:
            raise ValidationError(errors)


def version_terms_error(*, statutory: Term, committed: Term, online: Term | None) -> tuple[str, str] | None:
    """(field, message) for the first broken inequality among statutory ≥ committed ≥ online, else None."""
    if term_certainly_exceeds(committed, statutory):
        return "committed_term_amount", str(
            _("Thời hạn cam kết (%(committed)s) dài hơn thời hạn theo quy định (%(statutory)s).")
            % {"committed": _term_label(committed), "statutory": _term_label(statutory)}
        )
    if online is not None and term_certainly_exceeds(online, committed):
        return "online_term_amount", str(
            _("Thời hạn trực tuyến (%(online)s) dài hơn thời hạn cam kết (%(committed)s).")
            % {"online": _term_label(online), "committed": _term_label(committed)}
        )
    return None


def steps_exceed_message(total_hours: Decimal, version: ProcedureVersion) -> str:
    return str(
        _(
            "Tổng thời gian các bước (%(hours)s giờ làm việc) vượt thời hạn cam kết %(committed)s "
            "(tối đa %(bound)s giờ làm việc)."
        )
        % {
            "hours": format_decimal(total_hours),
            "committed": _term_label(version.committed_term),
            "bound": format_decimal(version.committed_term.max_working_hours()),
        }
    )


def _term_label(term: Term) -> str:
    return f"{format_decimal(term.amount)} {TermUnit(term.unit).label}"


class ProcedureStep(models.Model):
    """One step of the internal procedure (quy trình nội bộ, domain §1.5) with its allotted working time.

    Allotments are stored in working hours so fractions of a day (0.25, 0.5) stay exact; NULL means the source
    marks the step "không tính thời gian" (returning the result, the applicant completing the dossier), which
    the step deadline and the sum both ignore.
    """

    version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("phiên bản thủ tục"), on_delete=models.CASCADE, related_name="steps"
    )
    step_no = models.PositiveSmallIntegerField(_("bước số"), validators=[MinValueValidator(1)])
    name = models.TextField(_("nội dung công việc"))
    role = models.CharField(_("người thực hiện"), max_length=255, blank=True)
    unit = models.ForeignKey(
        Agency,
        verbose_name=_("đơn vị thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="procedure_steps",
    )
    allotted_working_hours = models.DecimalField(
        _("thời gian (giờ làm việc)"),
        max_digits=HOURS_MAX_DIGITS,
        decimal_places=HOURS_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("1 ngày làm việc = 8 giờ. Để trống nếu bước không tính thời gian."),
    )
    deciding = models.BooleanField(
        _("bước quyết định"),
        default=False,
        help_text=_(
            "Người thực hiện bước này ký, ghi nhận kết quả giải quyết. Không đánh dấu bước nào: bước xử lý "
            "cuối cùng là bước quyết định."
        ),
    )

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("các bước xử lý (quy trình nội bộ)")
        ordering = ["version", "step_no"]
        constraints = [
            models.UniqueConstraint(fields=["version", "step_no"], name="procedures_step_unique_no"),
            models.CheckConstraint(
                condition=Q(allotted_working_hours__isnull=True) | Q(allotted_working_hours__gte=0),
                name="procedures_step_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"B{self.step_no}: {self.name[:60]}"

    @property
    def is_counted(self) -> bool:
        return self.allotted_working_hours is not None

    def clean(self) -> None:
        """The version's steps, this one included, must fit inside its committed term.

        Skipped when ``steps_checked_by_caller`` is set (the admin checks all submitted steps together).
        """
        super().clean()
        if self.version_id is None or self.allotted_working_hours is None:
            return
        if getattr(self, "steps_checked_by_caller", False):
            return
        others = self.version.steps.exclude(pk=self.pk).aggregate(total=Sum("allotted_working_hours"))[
            "total"
        ]
        total = (others or Decimal(0)) + self.allotted_working_hours
        if hours_certainly_exceed(total, self.version.committed_term):
            raise ValidationError({"allotted_working_hours": steps_exceed_message(total, self.version)})
