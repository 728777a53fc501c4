from django.contrib import admin

from sla.models import CalendarOverride, Deadline, DeadlineExtension, DeadlinePause, OfficeHours


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "name", "agency_code")
    list_filter = ("kind",)
    search_fields = ("name", "agency_code")
    date_hierarchy = "day"


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ("agency_code", "sessions")
    search_fields = ("agency_code",)


class DeadlinePauseInline(admin.TabularInline):
    model = DeadlinePause
    extra = 0
    readonly_fields = ("reason", "note", "started_at", "ended_at", "working_seconds")
    can_delete = False


class DeadlineExtensionInline(admin.TabularInline):
    model = DeadlineExtension
    extra = 0
    readonly_fields = ("amount", "unit", "reason", "granted_at")
    can_delete = False


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    """Read-only: a clock changes only through ``sla.services`` so its due moment stays derivable."""

    list_display = ("subject", "agency_code", "started_at", "term_amount", "term_unit", "due_at", "state")
    list_filter = ("state", "term_unit", "semantics")
    search_fields = ("subject", "agency_code")
    inlines = [DeadlinePauseInline, DeadlineExtensionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
