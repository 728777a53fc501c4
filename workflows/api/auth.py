"""Who is calling the REST API, what it may call, and how often (issue 5).

Why API keys and not sessions or OAuth: partner systems (the provincial portal, a ministry's system) are
machines configured once by an administrator; each gets its own key (``ApiClient``, stored hashed by
djangorestframework-api-key) so one can be revoked without touching the others, and its own *scopes*
(``workflows.choices.ApiScope``) so a portal that only submits dossiers cannot act on them.

A client acts as its ``user``: once authenticated, ``request.user`` is that Django user and every lifecycle
action goes through the same services and per-unit permission checks as the desk (no second code path);
``request.auth`` is the ``ApiClient``.

The three classes are applied to every API view through ``REST_FRAMEWORK`` in settings, so an app below
``workflows`` (``procedures``) only declares ``required_scope`` on its views and never imports this module.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from workflows.api.problems import Problem
from workflows.models import ApiClient

KEYWORD = "Api-Key"
HEADER_META = "HTTP_X_API_KEY"


def _key_of(request: Request) -> str | None:
    """The key from ``Authorization: Api-Key <key>`` or, failing that, ``X-Api-Key: <key>``."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    keyword, found, key = authorization.partition(" ")
    if found and keyword.lower() == KEYWORD.lower() and key.strip():
        return key.strip()
    return request.META.get(HEADER_META, "").strip() or None


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <prefix.secret>`` (or ``X-Api-Key``) → ``(client.user, client)``.

    No key: not authenticated here (the permission then answers 401). A key that is unknown, revoked,
    expired, or whose user is inactive: 401 at once — a partner must learn its key is dead, not get 403.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiClient] | None:
        key = _key_of(request)
        if key is None:
            return None
        prefix, dot, _secret = key.partition(".")
        client = (
            ApiClient.objects.select_related("user").filter(prefix=prefix, revoked=False).first()
            if dot and prefix
            else None
        )
        if client is None or not client.is_valid(key):
            raise exceptions.AuthenticationFailed(_("Khóa API không đúng hoặc đã bị thu hồi."))
        if client.has_expired:
            raise exceptions.AuthenticationFailed(_("Khóa API đã hết hạn."))
        if not client.user.is_active:
            raise exceptions.AuthenticationFailed(_("Tài khoản đại diện của khóa API đã bị khóa."))
        return client.user, client

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) when the key is missing or wrong."""
        return f'{KEYWORD} realm="api"'


def required_scope(view: Any) -> str | None:
    """The scope a view needs for this request: ``required_scopes[action or method]``, else
    ``required_scope``; ``HEAD`` needs what ``GET`` needs."""
    per_action = getattr(view, "required_scopes", None) or {}
    action = getattr(view, "action", None) or (view.request.method.lower() if view.request else None)
    if action == "head":
        action = "get"
    if action in per_action:
        return per_action[action]
    return getattr(view, "required_scope", None)


class HasScope(BasePermission):
    """The client must be authenticated and hold the view's scope.

    Fail closed: a view that declares no scope is refused, so forgetting ``required_scope`` on a new
    endpoint never opens it. Public views (the schema, the docs) set their own ``permission_classes``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return False  # DRF turns this into 401 not-authenticated (no successful authenticator)
        method = request.method.lower()
        if method == "options" or not hasattr(view, method):
            return True  # metadata, or a method the view lacks: DRF answers it (405), nothing is read
        scope = required_scope(view)
        if scope is None:
            raise Problem("permission-denied", _("Điểm truy cập này chưa khai báo phạm vi (scope)."))
        if not client.has_scope(scope):
            raise Problem(
                "insufficient-scope",
                _("Khóa API “%(name)s” không có phạm vi “%(scope)s” cần cho thao tác này.")
                % {"name": client.name, "scope": scope},
            )
        return True


class ClientRateThrottle(SimpleRateThrottle):
    """``API_RATE_PER_CLIENT`` requests per client key (not per IP: several clients may share a proxy)."""

    scope = "client"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        client = request.auth
        if not isinstance(client, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client.prefix}
