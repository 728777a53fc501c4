"""Pages of the one-stop desk and the dossier page, mounted inside the viewflow ``Site`` (config/urls.py).

The names live in the ``workflows`` namespace: ``reverse("workflows:dossier", args=[code])``.
"""

from __future__ import annotations

from django.urls import path

from workflows.views import desk, facts

urlpatterns = [
    path("ho-so/", desk.dossier_list, name="index"),
    path("ho-so/tiep-nhan/", desk.receive, name="receive"),
    path("ho-so/cho-tiep-nhan/", desk.awaiting, name="awaiting"),
    path("ho-so/<str:code>/", desk.dossier_detail, name="dossier"),
    path("ho-so/<str:code>/thao-tac/", desk.dossier_action, name="dossier_action"),
    path("ho-so/<str:code>/mau-<str:number>/", desk.slip, name="slip"),
    path("ho-so/<str:code>/du-lieu/<slug:fact>/", facts.dossier_fact, name="dossier_fact"),
]

# --- supervisor ---
from workflows.views import supervisor  # noqa: E402

urlpatterns += [path("giam-sat/", supervisor.supervisor_list, name="supervisor")]
