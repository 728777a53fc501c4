"""REST API routes of the catalogue (issue 5); mounted under ``/api/v1/`` by ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from procedures.api import views

urlpatterns = [
    path("procedures/", views.ProcedureListView.as_view(), name="procedure-list"),
    path("procedures/<str:code>/", views.ProcedureDetailView.as_view(), name="procedure-detail"),
]
