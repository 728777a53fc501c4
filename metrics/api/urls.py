"""REST API routes of the indicators (issue 5); mounted under ``/api/v1/`` by ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from metrics.api import views

urlpatterns = [
    path("indicators/", views.IndicatorsView.as_view(), name="indicators"),
]
