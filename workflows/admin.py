"""Admin for administrators: dossiers and their audit log are read-only (only the lifecycle writes them);
memberships — who works where in which role — are edited here."""

from __future__ import annotations

from django.contrib import admin

from workflows.models import Dossier, DossierEvent, DossierStep, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "agency__code", "agency__name"]
    autocomplete_fields = ["agency"]
    list_select_related = ["user", "agency"]


class _ReadOnly:
    """No add/change/delete: the lifecycle services are the only writers (audit trail, optimistic lock)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


class DossierEventInline(_ReadOnly, admin.TabularInline):
    model = DossierEvent
    extra = 0
    fields = ["seq", "event", "at", "actor_name", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["code", "applicant_name", "status", "channel", "agency", "received_at", "due_at"]
    list_filter = ["status", "channel", "agency", "legal_regime"]
    search_fields = ["code", "applicant_name", "applicant_id_number"]
    list_select_related = ["agency"]
    date_hierarchy = "received_at"
    inlines = [DossierStepInline, DossierEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(DossierEvent)
class DossierEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["dossier", "seq", "event", "at", "actor_name", "from_status", "to_status"]
    list_filter = ["event"]
    search_fields = ["dossier__code", "actor_name", "note"]
    list_select_related = ["dossier"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
