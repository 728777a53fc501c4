"""Public (no login) dossier lookup, rating and PAKN; mounted in the ``public`` namespace (config/urls)."""

from __future__ import annotations

from django.urls import path

from workflows.views import public

urlpatterns = [
    path("tra-cuu/", public.lookup, name="lookup"),
    path("tra-cuu/danh-gia/", public.rate, name="rate"),
    path("tra-cuu/phan-anh/", public.complaint, name="complaint"),
]
