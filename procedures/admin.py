"""Admin for the catalogue: agencies as a tree, procedures with their versions, versions with their steps."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion, steps_exceed_message
from procedures.services import procedure_versions_close
from procedures.terms import Term, format_decimal, hours_certainly_exceed


class ChildAgencyInline(admin.TabularInline):
    model = Agency
    fk_name = "parent"
    fields = ("code", "name", "level", "e_id", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("đơn vị trực thuộc")
    verbose_name_plural = _("đơn vị trực thuộc")

    def has_add_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "tree_name", "level", "parent", "e_id", "procedure_count", "is_active")
    list_display_links = ("code", "tree_name")
    list_filter = ("level", "is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "e_id")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent__parent__parent",)
    fields = ("code", "name", "level", "parent", "e_id", "is_active", "calendar_scope")
    readonly_fields = ("calendar_scope",)
    inlines = (ChildAgencyInline,)
    ordering = ("code",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        return super().get_queryset(request).annotate(procedure_total=Count("procedures", distinct=True))

    @admin.display(description=_("tên cơ quan"), ordering="name")
    def tree_name(self, obj: Agency) -> str:
        """The name indented by depth, so the list reads as the tree (province → department → division)."""
        depth, node, seen = 0, obj.parent, {obj.pk}
        while node is not None and node.pk not in seen and depth < 6:
            depth, seen = depth + 1, seen | {node.pk}
            node = node.parent
        return format_html("{}{}", "\u2003" * depth + ("└ " if depth else ""), obj.name)

    @admin.display(description=_("số thủ tục"), ordering="procedure_total")
    def procedure_count(self, obj: Agency) -> int:
        return getattr(obj, "procedure_total", 0)

    @admin.display(description=_("phạm vi lịch làm việc"))
    def calendar_scope(self, obj: Agency) -> str:
        return " › ".join(obj.calendar_scope_codes()) if obj.pk else "—"


class _TermColumns:
    """Statutory and committed terms as one readable column each, for every list of versions."""

    @admin.display(description=_("thời hạn theo quy định"))
    def statutory(self, obj: ProcedureVersion) -> str:
        return _term_text(obj.statutory_term_amount, obj.statutory_term_unit)

    @admin.display(description=_("thời hạn cam kết"))
    def committed(self, obj: ProcedureVersion) -> str:
        return _term_text(obj.committed_term_amount, obj.committed_term_unit)


class ProcedureVersionInline(_TermColumns, admin.TabularInline):
    model = ProcedureVersion
    fields = ("effective_from", "effective_to", "statutory", "committed", "online_level", "fees_vnd")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-effective_from",)

    def has_add_permission(self, request: HttpRequest, obj: Procedure | None = None) -> bool:
        return False  # versions are added on their own page, where steps are edited too


def _term_text(amount: Decimal | None, unit: str) -> str:
    if amount is None:
        return "—"
    label = dict(ProcedureVersion._meta.get_field("statutory_term_unit").choices).get(unit, unit)
    return f"{format_decimal(amount)} {label}"


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "field", "level", "agency", "current_term")
    list_filter = ("level", "field", ("agency", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "field", "agency__name", "agency__code")
    autocomplete_fields = ("agency",)
    list_select_related = ("agency",)
    inlines = (ProcedureVersionInline,)
    ordering = ("code",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Procedure]:
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description=_("thời hạn cam kết hiện hành"))
    def current_term(self, obj: Procedure) -> str:
        """From the prefetched versions (no query per row); same rule as ``selectors.version_in_force``."""
        today = timezone.localdate()
        in_force = [
            v
            for v in obj.versions.all()
            if v.effective_from <= today and (v.effective_to is None or v.effective_to >= today)
        ]
        if not in_force:
            return "—"
        version = max(in_force, key=lambda v: v.effective_from)
        return _term_text(version.committed_term_amount, version.committed_term_unit)


class _StepsCheckedTogether:
    """Model validation of a version or a step sees the *stored* steps; on this page they are being edited, so
    the per-object sum check is switched off and :class:`StepInlineFormSet` checks the submitted steps."""

    def _post_clean(self) -> None:
        self.instance.steps_checked_by_caller = True
        super()._post_clean()


class ProcedureVersionForm(_StepsCheckedTogether, forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = (
            "procedure",
            "effective_from",
            "effective_to",
            "statutory_term_amount",
            "statutory_term_unit",
            "committed_term_amount",
            "committed_term_unit",
            "online_term_amount",
            "online_term_unit",
            "online_level",
            "full_online_eligible",
            "fees_vnd",
            "fees_text",
            "required_documents",
            "result_documents",
            "legal_basis",
            "clock_cutoff",
            "clock_semantics",
            "received_in",
        )


class ProcedureStepForm(_StepsCheckedTogether, forms.ModelForm):
    class Meta:
        model = ProcedureStep
        fields = ("step_no", "name", "role", "unit", "allotted_working_hours", "deciding")


class StepInlineFormSet(BaseInlineFormSet):
    """The submitted steps, together, must fit inside the committed term typed on the same page (domain
    §1.5)."""

    def clean(self) -> None:
        super().clean()
        version: ProcedureVersion = self.instance
        if version.committed_term_amount is None or not version.committed_term_unit:
            return
        total = Decimal(0)
        numbers: set[int] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            number = form.cleaned_data.get("step_no")
            if number in numbers:
                raise ValidationError(_("Bước số %(no)s bị trùng.") % {"no": number})
            numbers.add(number)
            total += form.cleaned_data.get("allotted_working_hours") or Decimal(0)
        committed = Term(version.committed_term_amount, version.committed_term_unit)
        if hours_certainly_exceed(total, committed):
            raise ValidationError(steps_exceed_message(total, version))


class ProcedureStepInline(admin.TabularInline):
    model = ProcedureStep
    form = ProcedureStepForm
    formset = StepInlineFormSet
    fields = ("step_no", "name", "role", "unit", "allotted_working_hours")
    autocomplete_fields = ("unit",)
    extra = 0
    ordering = ("step_no",)


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(_TermColumns, admin.ModelAdmin):
    form = ProcedureVersionForm
    list_display = (
        "procedure_code",
        "procedure_name",
        "effective_from",
        "effective_to",
        "statutory",
        "committed",
        "online_level",
        "step_count",
    )
    list_filter = ("online_level", "full_online_eligible", "statutory_term_unit", "procedure__level")
    search_fields = ("procedure__code", "procedure__name")
    autocomplete_fields = ("procedure", "received_in")
    list_select_related = ("procedure",)
    date_hierarchy = "effective_from"
    ordering = ("procedure__code", "-effective_from")
    readonly_fields = ("steps_total",)
    inlines = (ProcedureStepInline,)
    fieldsets = (
        (None, {"fields": ("procedure", ("effective_from", "effective_to"))}),
        (
            _("Thời hạn giải quyết"),
            {
                "fields": (
                    ("statutory_term_amount", "statutory_term_unit"),
                    ("committed_term_amount", "committed_term_unit"),
                    ("online_term_amount", "online_term_unit"),
                    "steps_total",
                    ("clock_cutoff", "clock_semantics"),
                )
            },
        ),
        (_("Dịch vụ công trực tuyến"), {"fields": ("online_level", "full_online_eligible")}),
        (_("Nơi tiếp nhận"), {"fields": ("received_in",)}),
        (_("Phí, lệ phí"), {"fields": ("fees_vnd", "fees_text")}),
        (_("Hồ sơ và căn cứ"), {"fields": ("required_documents", "result_documents", "legal_basis")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcedureVersion]:
        return super().get_queryset(request).annotate(step_total=Count("steps"))

    @admin.display(description=_("mã thủ tục"), ordering="procedure__code")
    def procedure_code(self, obj: ProcedureVersion) -> str:
        return obj.procedure.code

    @admin.display(description=_("tên thủ tục"))
    def procedure_name(self, obj: ProcedureVersion) -> str:
        name = obj.procedure.name
        return name if len(name) <= 90 else name[:89] + "…"

    @admin.display(description=_("số bước"), ordering="step_total")
    def step_count(self, obj: ProcedureVersion) -> int:
        return getattr(obj, "step_total", 0)

    @admin.display(description=_("tổng thời gian các bước"))
    def steps_total(self, obj: ProcedureVersion) -> str:
        if obj.pk is None:
            return "—"
        hours = obj.steps_working_hours()
        bound = obj.committed_term.max_working_hours()
        return str(
            _("%(hours)s giờ làm việc (%(days)s ngày làm việc); tối đa %(bound)s giờ theo thời hạn cam kết")
            % {
                "hours": format_decimal(hours),
                "days": format_decimal(hours / 8),
                "bound": format_decimal(bound),
            }
        )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """After saving, close the predecessor: its effective_to becomes the day before this version."""
        super().save_related(request, form, formsets, change)
        procedure_versions_close(procedure_ids=[form.instance.procedure_id])
