from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Application, Site, route

from config import views
from config.twofactor import urlpatterns as twofactor_urls
from metrics.api.urls import urlpatterns as metrics_api
from metrics.prometheus import metrics_view
from metrics.public_urls import urlpatterns as metrics_public
from metrics.urls import MetricsApplication
from procedures.api.urls import urlpatterns as procedures_api
from procedures.public_urls import urlpatterns as procedures_public
from workflows.api.problems import api_not_found
from workflows.api.urls import urlpatterns as workflows_api
from workflows.flows import DossierFlow
from workflows.public_urls import urlpatterns as workflows_public
from workflows.urls import urlpatterns as desk_urlpatterns
from workflows.views.desk import home
from workflows.views.flow import ScopedFlowAppViewset

admin.site.site_header = _("motcua — Hệ thống giải quyết thủ tục hành chính một cửa")
admin.site.site_title = _("motcua")
admin.site.index_title = _("Quản trị danh mục và lịch làm việc")


class DeskApplication(Application):
    """The desk's own pages (receive, online queue, dossier page, slips) in viewflow's Material UI menu."""

    title = _("Hồ sơ")
    icon = "folder_open"
    app_name = "workflows"
    menu_template_name = "workflows/includes/desk_menu.html"
    urlpatterns = desk_urlpatterns


class MotcuaSite(Site):
    """viewflow's Material UI: the flow app (inbox, queue, archive) and the desk's pages.

    The desk is routed at the root so its addresses stay short (/ho-so/…); the flow app gets /<app name>/.
    """

    desk_path = route("", DeskApplication())
    metrics_path = route("chi-so/", MetricsApplication())


site = MotcuaSite(title=_("Một cửa"), viewsets=[ScopedFlowAppViewset(DossierFlow, icon="assignment")])

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    # Public pages (no login): catalogue, dossier lookup, rating and PAKN, statistics.
    path("", include((procedures_public + workflows_public + metrics_public, "public"))),
    # REST API for portals and partner systems (issue 5).
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include((procedures_api + workflows_api + metrics_api, "api"))),
    # Anything else under /api/ is a problem+json 404, never the site's HTML page (RFC 9457).
    re_path(r"^api/(?P<rest>.*)$", api_not_found, name="api-not-found"),
    # Second factor (TOTP): enrolment and the code step after the password (config/twofactor.py).
    path("", include(twofactor_urls)),
    path("accounts/", AuthViewset(with_profile_view=False, allow_password_change=False).urls),
    path("", home, name="home"),
    path("", site.urls),
]
