"""Public (no login) pages of the procedure catalogue; mounted in the ``public`` namespace (config/urls)."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("thu-tuc/", TemplateView.as_view(template_name="public/base.html"), name="catalogue"),
]
