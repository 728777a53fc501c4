"""Admin of the API clients (issue 5); imported by workflows/admin.py.

Why creation shows the key once: only a hash is stored (djangorestframework-api-key), so the administrator
must copy the key when it is made — the package's admin puts it in a one-time message. Revoking is a tick
box and cannot be undone; a client that needs a new key gets a new ``ApiClient``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin

from workflows.choices import ApiScope
from workflows.models import ApiClient


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Phạm vi được phép"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiClient
        fields = ["name", "user", "scopes", "expiry_date", "revoked"]


@admin.register(ApiClient)
class ApiClientAdmin(APIKeyModelAdmin):
    form = ApiClientForm
    list_display = (
        "name",
        "prefix",
        "user",
        "scopes_list",
        "created",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "created")
    search_fields = ("name", "prefix", "user__username")
    autocomplete_fields = ("user",)

    @admin.display(description=_("Phạm vi"))
    def scopes_list(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes or [])

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "user") if obj is not None else fields
