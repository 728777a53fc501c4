"""Admin for the targets an agency sets itself each year (domain §5): the dashboard's "chỉ tiêu" and gaps."""

from __future__ import annotations

from django.contrib import admin

from metrics.models import AgencyTarget


@admin.register(AgencyTarget)
class AgencyTargetAdmin(admin.ModelAdmin):
    list_display = (
        "agency",
        "year",
        "on_time_pct",
        "full_online_pct",
        "online_dossier_pct",
        "time_reduction_pct",
        "satisfaction_pct",
    )
    list_filter = ("year",)
    search_fields = ("agency__code", "agency__name")
    autocomplete_fields = ("agency",)
    ordering = ("-year", "agency__code")
