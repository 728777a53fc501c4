"""The permission matrix: every URL pattern of the site and who may reach what through it.

Decree 85/2016/NĐ-CP and TCVN 11930:2017 (security level 3) require access control per user and function;
Decree 13/2023/NĐ-CP requires that personal data be read only for the purpose of the reader's work and that
each read be logged. This table is the reviewable statement of that control: each URL pattern of the
URLconf (viewflow's and the admin's included) has exactly one verdict. ``tests/security`` walks the
URLconf, fails on any pattern the table does not classify — so no page can be added unscoped — and checks
each verdict against the real responses for every role, from the user's own agency, another agency, no
membership and anonymous. ``manage.py security_matrix`` prints the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import gettext_lazy as _

# --- verdicts --------------------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, no login; never a dossier's personal data without the applicant's own secret
AUTH = "auth"  # login, logout, language: no dossier data
SYSTEM = "system"  # health and Prometheus: loopback or token, no personal data
STAFF = "staff"  # login; no dossier personal data (charts, statistics by unit)
SCOPED = "scoped"  # login; dossiers through workflows.policy; personal data shown is logged
FLOW = "flow"  # viewflow page wrapped by workflows.views.flow: policy-filtered lists, 404 for others' ids
ADMIN = "admin"  # Django admin: is_staff + model permissions, no dossier data (catalogue, users, site)
ADMIN_SCOPED = "admin-scoped"  # Django admin of dossier data: get_queryset filtered by workflows.policy
API = "api"  # REST API: API key or session; dossiers through workflows.policy; access logged

VERDICTS: dict[str, str] = {
    PUBLIC: _("công khai, không đăng nhập; không hiển thị dữ liệu cá nhân của hồ sơ"),
    AUTH: _("đăng nhập, đăng xuất, ngôn ngữ; không có dữ liệu hồ sơ"),
    SYSTEM: _("kiểm tra hệ thống: chỉ máy nội bộ hoặc có mã; không có dữ liệu cá nhân"),
    STAFF: _("cán bộ đăng nhập; không hiển thị dữ liệu cá nhân"),
    SCOPED: _("cán bộ đăng nhập; chỉ hồ sơ theo phân quyền đơn vị; ghi nhật ký truy cập dữ liệu cá nhân"),
    FLOW: _("trang viewflow đã lọc theo phân quyền đơn vị; mã của đơn vị khác trả về 404"),
    ADMIN: _("trang quản trị: chỉ tài khoản quản trị, không có dữ liệu hồ sơ"),
    ADMIN_SCOPED: _("trang quản trị dữ liệu hồ sơ: chỉ hồ sơ theo phân quyền đơn vị"),
    API: _("API: khóa API hoặc phiên đăng nhập; chỉ hồ sơ theo phân quyền; ghi nhật ký truy cập"),
}

# --- the table: URL pattern (as the URLconf spells it, prefixes joined) → verdict ------------------------

PATTERNS: dict[str, str] = {
    "i18n/setlang/": AUTH,
    "healthz": SYSTEM,
    "metrics": SYSTEM,
    "accounts/login/": AUTH,
    "accounts/logout/": AUTH,
    "accounts/2fa/setup/": AUTH,  # the user's own second factor (django-otp)
    "accounts/2fa/verify/": AUTH,
    # public pages
    "thu-tuc/": PUBLIC,
    "thu-tuc/<str:code>/": PUBLIC,
    "tra-cuu/": PUBLIC,
    "tra-cuu/danh-gia/": PUBLIC,
    "tra-cuu/phan-anh/": PUBLIC,
    "thong-ke/": PUBLIC,
    "thong-ke/<str:code>/": PUBLIC,
    "api/schema/": PUBLIC,
    "api/docs/": PUBLIC,
    # REST API
    "api/v1/procedures/": PUBLIC,
    "api/v1/procedures/<str:code>/": PUBLIC,
    "api/v1/dossiers/": API,
    "api/v1/dossiers/<str:code>/": API,
    "api/v1/dossiers/<str:code>/events/": API,
    "api/v1/indicators/": API,
    "^api/(?P<rest>.*)$": PUBLIC,  # unknown API paths: a problem+json 404, no data
    # desk, dossier page, supervisor (workflows.urls)
    "": STAFF,  # home: redirect to the inbox or the login page
    "ho-so/": SCOPED,
    "ho-so/tiep-nhan/": SCOPED,
    "ho-so/cho-tiep-nhan/": SCOPED,
    "ho-so/<str:code>/": SCOPED,
    "ho-so/<str:code>/thao-tac/": SCOPED,
    "ho-so/<str:code>/mau-<str:number>/": SCOPED,
    "ho-so/<str:code>/du-lieu/<slug:fact>/": SCOPED,
    "giam-sat/": SCOPED,
    # indicators (metrics.urls): codes only, per supervised unit
    "chi-so/": STAFF,
    "chi-so/ho-so/": SCOPED,
    "chi-so/bao-cao.xlsx": STAFF,
    # viewflow's flow application (workflows.views.flow.ScopedFlowAppViewset)
    "dossier/": FLOW,
    "dossier/queue/assign/": FLOW,
    "dossier/inbox/unassign/": FLOW,
    "dossier/flows/": FLOW,
    "dossier/<int:process_pk>/": FLOW,
    "dossier/<int:process_pk>/cancel/": FLOW,
    "dossier/tasks/": FLOW,
    "dossier/chart/": STAFF,
    "dossier/<int:process_pk>/chart/": FLOW,
    "dossier/inbox/": FLOW,
    "dossier/queue/": FLOW,
    "dossier/archive/": FLOW,
    # the admin site's own pages
    "admin/": ADMIN,
    "admin/login/": AUTH,
    "admin/logout/": AUTH,
    "admin/password_change/": AUTH,  # the user's own password
    "admin/password_change/done/": AUTH,
    "admin/autocomplete/": ADMIN_SCOPED,  # answers from each ModelAdmin's (scoped) get_queryset
    "admin/jsi18n/": ADMIN,
    "admin/r/<path:content_type_id>/<path:object_id>/": ADMIN,  # redirect to the object's own (scoped) page
    "admin/(?P<url>.*)$": ADMIN,  # catch-all: 404 or login
}

# Every URL of viewflow's per-task routes (any node of the flow) is wrapped the same way.
FLOW_TASK_ROUTE = re.compile(r"^dossier/<int:process_pk>/[a-z_]+/<int:task_pk>/([a-z_]+/)?$")
# The API's action routes are generated from one action table: one verdict for all of them.
API_ACTION_ROUTE = re.compile(r"^api/v1/dossiers/<str:code>/actions/[a-z_]+/$")
ADMIN_APP_LIST = re.compile(r"^admin/\^\(\?P<app_label>[a-z_|]+\)/\$$")
ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/")

# Admin pages per registered model: a newly registered model is unclassified until it is added here.
ADMIN_MODELS: dict[str, str] = {
    "auth.group": ADMIN,
    "auth.user": ADMIN,
    "viewflow.process": ADMIN_SCOPED,
    "viewflow.task": ADMIN_SCOPED,
    "rest_framework_api_key.apikey": ADMIN,
    "sla.calendaroverride": ADMIN,
    "sla.officehours": ADMIN,
    "sla.deadline": ADMIN,  # dossier code and dates only, no applicant
    "procedures.agency": ADMIN,
    "procedures.procedure": ADMIN,
    "procedures.procedureversion": ADMIN,
    "workflows.membership": ADMIN,
    "workflows.dossier": ADMIN_SCOPED,
    "workflows.complaint": ADMIN_SCOPED,
    "workflows.dossierevent": ADMIN_SCOPED,
    "workflows.outboxevent": ADMIN_SCOPED,
    "workflows.subscriber": ADMIN,
    "workflows.delivery": ADMIN_SCOPED,
    "workflows.personaldataaccess": ADMIN_SCOPED,
    "workflows.apiclient": ADMIN,
    "metrics.agencytarget": ADMIN,
    # login throttling (django-axes) and second factors (django-otp): usernames and addresses, no dossier
    "axes.accessattempt": ADMIN,
    "axes.accesslog": ADMIN,
    "axes.accessfailurelog": ADMIN,
    "otp_totp.totpdevice": ADMIN,
}


@dataclass(frozen=True)
class Route:
    """One URL pattern of the URLconf: its route (prefixes joined), qualified name and view."""

    route: str
    name: str | None
    callback: object


def url_routes() -> list[Route]:
    """Every URL pattern of the URLconf, nested resolvers (viewflow, admin, API) walked recursively."""

    def walk(patterns, prefix: str, namespace: str) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}{entry.name}" if entry.name else None
                yield Route(prefix + str(entry.pattern), name, entry.callback)

    return list(walk(get_resolver().url_patterns, "", ""))


def verdict(route: str) -> str | None:
    """The verdict of one route, or None when the table does not classify it."""
    if route in PATTERNS:
        return PATTERNS[route]
    if FLOW_TASK_ROUTE.match(route):
        return FLOW
    if API_ACTION_ROUTE.match(route):
        return API
    if ADMIN_APP_LIST.match(route):
        return ADMIN
    found = ADMIN_MODEL_ROUTE.match(route)
    if found:
        return ADMIN_MODELS.get(f"{found['app']}.{found['model']}")
    return None


def matrix() -> list[tuple[str, str | None, str | None]]:
    """(route, URL name, verdict or None) for every URL pattern, in URLconf order."""
    return [(r.route, r.name, verdict(r.route)) for r in url_routes()]
