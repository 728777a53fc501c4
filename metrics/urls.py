"""Addresses of the indicator dashboard, mounted in the viewflow ``Site`` at ``/chi-so/`` (config/urls.py).

Names live in the ``metrics`` namespace: ``reverse("metrics:index")`` (dashboard), ``metrics:dossiers`` (the
dossiers behind a number), ``metrics:report`` (the TT 01/2020 Excel report).
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("ho-so/", views.figure_dossiers, name="dossiers"),
    path("bao-cao.xlsx", views.report_download, name="report"),
]


class MetricsApplication(Application):
    """The dashboard as an application of viewflow's Material UI (menu entry for those who may see it)."""

    title = _("Chỉ số, báo cáo")
    icon = "insights"
    app_name = "metrics"
    menu_template_name = "metrics/includes/metrics_menu.html"
    # Anonymous users pass here so that ``login_required`` sends them to the login page (viewflow's
    # SiteMiddleware would answer 403); the views refuse logged-in users without a supervise or lead role.
    permission = staticmethod(lambda user: not user.is_authenticated or views.may_view_metrics(user))
    urlpatterns = urlpatterns
