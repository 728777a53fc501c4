"""Admin for administrators: dossiers, their audit log and complaints (PAKN) are read-only (only the lifecycle
and fact services write them); memberships — who works where in which role — are edited here.

The status-sync outbox (``workflows.services.outbox``): subscribers are edited here; outbox events and
deliveries are read-only (the delivery service is their only writer) except for "Gửi lại", which hands the
selected deliveries back to it. The personal-data access log (domain §8) is read-only evidence.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from procedures.models import Agency
from procedures.text import nfc
from workflows import policy
from workflows.choices import AccessPurpose
from workflows.models import (
    Complaint,
    Delivery,
    Dossier,
    DossierEvent,
    DossierStep,
    Membership,
    OutboxEvent,
    PersonalDataAccess,
    Subscriber,
)
from workflows.services.access import personal_data_access_log, personal_data_access_log_many
from workflows.services.outbox import deliveries_reset


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "agency__code", "agency__name"]
    autocomplete_fields = ["agency"]
    list_select_related = ["user", "agency"]

    def get_queryset(self, request):
        """Only the memberships of the agencies the user administers (``policy.administered_agency_ids``)."""
        qs = super().get_queryset(request)
        ids = policy.administered_agency_ids(request.user)
        return qs if ids is None else qs.filter(agency_id__in=ids)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A membership can be given only at an agency the user administers."""
        ids = policy.administered_agency_ids(request.user)
        if db_field.name == "agency" and ids is not None:
            kwargs["queryset"] = Agency.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class _ReadOnly:
    """No add/change/delete: the lifecycle services are the only writers (audit trail, optimistic lock)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term: str):
        """Names are stored NFC (``Applicant``): a search typed in decomposed Unicode must find them too."""
        return super().get_search_results(request, queryset, nfc(search_term))


class _PolicyScoped:
    """Rows limited to the dossiers ``workflows.policy`` lets the user see: the list, its search, the change
    page, the history page and the autocomplete/raw-id lookups all start from ``get_queryset``. An
    administrator of a commune must not find another agency's applicant by ID number (Decree 13/2023/NĐ-CP,
    purpose limitation)."""

    # The path from the model to its dossier ("" for Dossier itself).
    dossier_path = "dossier"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        visible = policy.visible_dossiers(request.user).values("pk")
        if not self.dossier_path:
            return qs.filter(pk__in=visible)
        return qs.filter(**{f"{self.dossier_path}__in": visible})


class DossierStepInline(_ReadOnly, admin.TabularInline):
    model = DossierStep
    extra = 0
    fields = [
        "seq",
        "step_no",
        "name",
        "unit",
        "role",
        "owner_name",
        "started_at",
        "due_at",
        "finished_at",
        "mark",
    ]
    readonly_fields = fields
    show_change_link = False


class ComplaintInline(_ReadOnly, admin.TabularInline):
    model = Complaint
    extra = 0
    fields = ["kind", "received_at", "due_at", "resolved_at", "repeated", "likes", "dislikes", "content"]
    readonly_fields = fields
    show_change_link = True


class DossierEventInline(_ReadOnly, admin.TabularInline):
    model = DossierEvent
    extra = 0
    fields = ["seq", "event", "at", "actor_name", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(_PolicyScoped, _ReadOnly, admin.ModelAdmin):
    dossier_path = ""
    list_display = ["code", "applicant_name", "status", "channel", "agency", "received_at", "due_at"]
    list_filter = ["status", "channel", "agency", "legal_regime"]
    search_fields = ["code", "applicant_name", "applicant_id_number"]
    list_select_related = ["agency"]
    date_hierarchy = "received_at"
    inlines = [DossierStepInline, ComplaintInline, DossierEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def changelist_view(self, request, extra_context=None):
        """The list shows applicants' names (and finds them by ID number): log each dossier listed."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            shown = changelist.result_list
            personal_data_access_log_many(
                user=request.user, dossiers=shown, purpose=AccessPurpose.ADMIN, request=request
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The admin shows the applicant's personal data: log who opened which dossier (domain §8)."""
        dossier = self.get_object(request, unquote(object_id))
        if dossier is not None:
            personal_data_access_log(
                user=request.user, dossier=dossier, purpose=AccessPurpose.ADMIN, request=request
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fieldsets(self, request, obj=None):
        """The lifecycle fields first, the indicator facts (issue 4) in their own section."""
        facts = [f for f in FACT_FIELDS if f in self.get_readonly_fields(request, obj)]
        others = [f for f in self.get_readonly_fields(request, obj) if f not in facts]
        return [
            (None, {"fields": others}),
            (_("Dữ liệu số hóa, thanh toán, đồng bộ và đánh giá"), {"fields": facts}),
        ]


FACT_FIELDS = [
    "e_result_code",
    "e_result_url",
    "e_result_at",
    "digitised_attachments",
    "digitised_reused",
    "digitised_from_store",
    "result_in_store",
    "vneid_verified",
    "fee_total_vnd",
    "paid_online",
    "synced_at",
    "rating",
    "rated_at",
]


@admin.register(Complaint)
class ComplaintAdmin(_PolicyScoped, _ReadOnly, admin.ModelAdmin):
    list_display = [
        "dossier",
        "agency",
        "kind",
        "received_at",
        "due_at",
        "resolved_at",
        "repeated",
        "likes",
        "dislikes",
    ]
    list_filter = ["kind", "agency"]
    search_fields = ["dossier__code", "content"]
    list_select_related = ["dossier", "agency"]
    date_hierarchy = "received_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(DossierEvent)
class DossierEventAdmin(_PolicyScoped, _ReadOnly, admin.ModelAdmin):
    list_display = ["dossier", "seq", "event", "at", "actor_name", "from_status", "to_status"]
    list_filter = ["event"]
    search_fields = ["dossier__code", "actor_name", "note"]
    list_select_related = ["dossier"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(OutboxEvent)
class OutboxEventAdmin(_PolicyScoped, _ReadOnly, admin.ModelAdmin):
    list_display = ["pk", "dossier", "seq", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    """Edited by administrators; the secret is shown only in the form (shared with the subscriber)."""

    list_display = ["name", "url", "active", "national", "max_attempts", "created_at"]
    list_filter = ["active", "national"]
    search_fields = ["name", "url"]
    # A webhook address typed without a scheme is an HTTPS one (and Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Delivery)
class DeliveryAdmin(_PolicyScoped, _ReadOnly, admin.ModelAdmin):
    list_display = [
        "outbox_event",
        "subscriber",
        "dossier",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "delivered_at",
    ]
    list_filter = ["status", "subscriber"]
    search_fields = ["dossier__code"]
    list_select_related = ["outbox_event", "subscriber", "dossier"]
    actions = ["replay"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_replay_permission(self, request) -> bool:
        """The rows stay read-only; handing them back to the delivery service needs the change right."""
        return request.user.has_perm("workflows.change_delivery")

    @admin.action(description=_("Gửi lại"), permissions=["replay"])
    def replay(self, request, queryset) -> None:
        """Back to pending with 0 attempts, due now; already delivered ones are re-sent (the subscriber
        deduplicates by event id) and still go in order per dossier."""
        count = deliveries_reset(deliveries=Delivery.objects.filter(pk__in=queryset.values("pk")))
        self.message_user(
            request,
            ngettext("%(count)d lượt gửi sẽ được gửi lại.", "%(count)d lượt gửi sẽ được gửi lại.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(_PolicyScoped, _ReadOnly, admin.ModelAdmin):
    list_display = ["at", "user", "dossier", "purpose", "ip"]
    list_filter = ["purpose", "at"]
    search_fields = ["dossier__code", "user__username", "ip"]
    list_select_related = ["user", "dossier"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


from workflows.api import admin as _api_admin  # noqa: E402,F401


def _rescope(model, scope, **methods) -> None:
    """Re-register ``model``'s admin (or a plain one) with ``scope(user, queryset)`` applied to its rows;
    ``methods`` are further overrides, each called with the original admin class as ``_base``."""
    base = type(admin.site._registry[model]) if admin.site.is_registered(model) else admin.ModelAdmin

    def get_queryset(self, request, _base=base):
        return scope(request.user, _base.get_queryset(self, request))

    if admin.site.is_registered(model):
        admin.site.unregister(model)
    attrs = {"get_queryset": get_queryset, "__module__": __name__}
    for name, method in methods.items():
        attrs[name] = (lambda m: lambda self, *args, **kwargs: m(self, base, *args, **kwargs))(method)
    admin.site.register(model, type(f"Scoped{base.__name__}", (base,), attrs))


def _agency_scope() -> None:
    """A membership covers the agencies below it (``policy._covered``), so the agency tree is part of the
    policy: an administrator edits only the agencies they administer and attaches new ones only below them.
    One who could set a department's parent to their own commune would administer the department's staff
    and see its dossiers. Moving the root of their own tree is the superuser's."""

    def agencies(user, queryset):
        ids = policy.administered_agency_ids(user)
        return queryset if ids is None else queryset.filter(pk__in=ids)

    def formfield_for_foreignkey(self, _base, db_field, request, **kwargs):
        ids = policy.administered_agency_ids(request.user)
        if db_field.name == "parent" and ids is not None:
            kwargs["queryset"] = Agency.objects.filter(pk__in=ids)
        return _base.formfield_for_foreignkey(self, db_field, request, **kwargs)

    def get_readonly_fields(self, _base, request, obj=None):
        fields = list(_base.get_readonly_fields(self, request, obj))
        ids = policy.administered_agency_ids(request.user)
        if obj is not None and ids is not None and obj.parent_id not in ids:
            fields.append("parent")
        return fields

    _rescope(
        Agency,
        agencies,
        formfield_for_foreignkey=formfield_for_foreignkey,
        get_readonly_fields=get_readonly_fields,
    )


def _viewflow_admin_scope() -> None:
    """viewflow registers admin pages for every process and task (its briefs name dossiers); re-register
    them with the querysets filtered by the same policy as the flow pages."""
    from viewflow.workflow.models import Process, Task

    for model, scope in ((Process, policy.visible_processes), (Task, policy.visible_tasks)):
        _rescope(model, scope)


def _account_reset_scope() -> None:
    """The administrator role unlocks throttled logins and deletes lost TOTP devices: only of the accounts
    ``policy.administered_users`` gives it, never a superuser's or another agency's (with a stolen password,
    a deleted device lets the thief enrol their own phone at the next login)."""
    import axes.admin  # noqa: F401  (registers AccessAttempt now, so it is re-registered scoped)
    import django_otp.plugins.otp_totp.admin  # noqa: F401
    from axes.models import AccessAttempt
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def devices(user, queryset):
        users = policy.administered_users(user)
        return queryset if users is None else queryset.filter(user__in=users.values("pk"))

    def attempts(user, queryset):
        users = policy.administered_users(user)
        return queryset if users is None else queryset.filter(username__in=users.values("username"))

    _rescope(TOTPDevice, devices)
    if admin.site.is_registered(AccessAttempt):
        _rescope(AccessAttempt, attempts)


def _catalogue_scope() -> None:
    """The catalogue decides where a dossier may be received (``received_in``, read by
    ``procedures.selectors.reception_condition``) and which unit handles each step, so it is part of the
    policy too: an administrator edits only the procedures their agencies decide, and picks agencies (the
    deciding agency, a step's unit, another reception point) only among those they administer. Delegating
    reception across provinces or ministries stays with the superuser. Values a superuser already set outside
    the administrator's tree are kept as choices of that object (it still saves) but never offered elsewhere.
    The working calendars (``sla``) are keyed by agency code, an empty code meaning nationwide: an
    administrator keeps only their agencies' closures and office hours, since a day added to another agency's
    calendar moves all of its deadlines."""
    import sla.admin  # noqa: F401  (registers the calendar admins now, so they are re-registered scoped)
    from procedures.admin import ProcedureStepInline
    from procedures.models import Procedure, ProcedureVersion
    from sla.models import CalendarOverride, OfficeHours

    def procedures(user, queryset):
        ids = policy.administered_agency_ids(user)
        return queryset if ids is None else queryset.filter(agency_id__in=ids)

    def versions(user, queryset):
        ids = policy.administered_agency_ids(user)
        return queryset if ids is None else queryset.filter(procedure__agency_id__in=ids)

    def by_code(user, queryset):
        ids = policy.administered_agency_ids(user)
        if ids is None:
            return queryset
        return queryset.filter(agency_code__in=Agency.objects.filter(pk__in=ids).values("code"))

    def choices(request, db_field, kwargs: dict) -> dict:
        ids = policy.administered_agency_ids(request.user)
        if ids is None:
            return kwargs
        if db_field.name in ("agency", "unit", "received_in"):
            kwargs["queryset"] = Agency.objects.filter(pk__in=ids)
        elif db_field.name == "procedure":
            kwargs["queryset"] = Procedure.objects.filter(agency_id__in=ids)
        return kwargs

    def formfield_for_foreignkey(self, _base, db_field, request, **kwargs):
        return _base.formfield_for_foreignkey(self, db_field, request, **choices(request, db_field, kwargs))

    def formfield_for_manytomany(self, _base, db_field, request, **kwargs):
        return _base.formfield_for_manytomany(self, db_field, request, **choices(request, db_field, kwargs))

    def keep(field, request, kept) -> None:
        """Widen a limited choice list by the values the object already holds outside the user's tree."""
        ids = policy.administered_agency_ids(request.user)
        kept = set(kept) - {None} - (ids or set())
        if ids is not None and kept and field is not None:
            field.queryset = Agency.objects.filter(pk__in=ids | kept)

    class ScopedProcedureStepInline(ProcedureStepInline):
        def formfield_for_foreignkey(self, db_field, request, **kwargs):
            return super().formfield_for_foreignkey(db_field, request, **choices(request, db_field, kwargs))

        def get_formset(self, request, obj=None, **kwargs):
            formset = super().get_formset(request, obj, **kwargs)
            if obj is not None:
                units = obj.steps.values_list("unit_id", flat=True)
                keep(formset.form.base_fields.get("unit"), request, units)
            return formset

    def get_inlines(self, _base, request, obj=None):
        inlines = _base.get_inlines(self, request, obj)
        return [ScopedProcedureStepInline if i is ProcedureStepInline else i for i in inlines]

    def get_version_form(self, _base, request, obj=None, **kwargs):
        form = _base.get_form(self, request, obj, **kwargs)
        if obj is not None:
            keep(form.base_fields.get("received_in"), request, obj.received_in.values_list("pk", flat=True))
        return form

    def formfield_for_dbfield(self, _base, db_field, request, **kwargs):
        ids = policy.administered_agency_ids(request.user)
        if db_field.name != "agency_code" or ids is None:
            return _base.formfield_for_dbfield(self, db_field, request, **kwargs)
        codes = Agency.objects.filter(pk__in=ids).order_by("code").values_list("code", "name")
        return forms.ChoiceField(
            label=db_field.verbose_name,
            choices=[(code, f"{code} — {name}") for code, name in codes],
            help_text=_("Chỉ các cơ quan bạn quản trị; ngày điều chỉnh toàn quốc do quản trị cấp tỉnh nhập."),
        )

    _rescope(
        Procedure,
        procedures,
        formfield_for_foreignkey=formfield_for_foreignkey,
    )
    _rescope(
        ProcedureVersion,
        versions,
        formfield_for_foreignkey=formfield_for_foreignkey,
        formfield_for_manytomany=formfield_for_manytomany,
        get_inlines=get_inlines,
        get_form=get_version_form,
    )
    for model in (CalendarOverride, OfficeHours):
        _rescope(model, by_code, formfield_for_dbfield=formfield_for_dbfield)


_viewflow_admin_scope()
_account_reset_scope()
_agency_scope()
_catalogue_scope()
