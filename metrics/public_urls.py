"""Public statistics (công khai kết quả giải quyết); mounted in the ``public`` namespace by config/urls.py."""

from __future__ import annotations

from django.urls import path

from metrics import views_public

urlpatterns = [
    path("thong-ke/", views_public.statistics, name="statistics"),
    path("thong-ke/<str:code>/", views_public.statistics_agency, name="statistics_agency"),
]
