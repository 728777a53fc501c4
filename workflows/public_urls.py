"""Public (no login) dossier lookup, rating and PAKN; mounted in the ``public`` namespace (config/urls)."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("tra-cuu/", TemplateView.as_view(template_name="public/base.html"), name="lookup"),
]
