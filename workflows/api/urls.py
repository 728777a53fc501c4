"""REST API routes of dossiers (issue 5); mounted under ``/api/v1/`` (namespace ``api``) by config/urls.py."""

from __future__ import annotations

from django.urls import path

from workflows.api import views

urlpatterns = [
    path("dossiers/", views.DossierListCreateView.as_view(), name="dossier-list"),
    path("dossiers/<str:code>/", views.DossierDetailView.as_view(), name="dossier-detail"),
    path("dossiers/<str:code>/events/", views.DossierEventsView.as_view(), name="dossier-events"),
    *(
        path(f"dossiers/<str:code>/actions/{name}/", view.as_view(), name=f"dossier-action-{name}")
        for name, view in views.ACTION_VIEWS.items()
    ),
]
