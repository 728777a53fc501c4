"""Public statistics (công khai kết quả giải quyết); mounted in the ``public`` namespace by config/urls.py."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("thong-ke/", TemplateView.as_view(template_name="public/base.html"), name="statistics"),
]
