"""Public (no login) pages of the procedure catalogue; mounted in the ``public`` namespace (config/urls)."""

from __future__ import annotations

from django.urls import path

from procedures import views

urlpatterns = [
    path("thu-tuc/", views.catalogue, name="catalogue"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
]
