"""RFC 9457 problem details (``application/problem+json``) for every error of the REST API.

Why one handler: a partner system must be able to branch on one stable field whatever went wrong — a bad
field, a missing scope, a rule of the lifecycle refusing an action — so every error, from DRF, Django or
our services, leaves the API as the same shape::

    {"type": "/api/problems/validation", "title": "...", "status": 400, "detail": "...",
     "instance": "/api/v1/dossiers/", "errors": [{"field": "applicant.id_number", "message": "..."}]}

``type`` is a relative URI naming the kind of problem (``PROBLEM_TYPES`` below, listed in the OpenAPI
description); ``title`` is fixed per type, ``detail`` says what happened this time (for a lifecycle refusal:
the rule's own message from ``workflows.services``). ``errors`` is present for validation problems only.
Titles and details are Vietnamese (the project's source language), translated through gettext.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

from workflows.services import ChangedByOther, LifecycleError, LifecyclePermissionError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "/api/problems/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: Any  # a lazy translation

    @property
    def uri(self) -> str:
        return f"{PROBLEM_TYPE_BASE}{self.slug}"


_TYPES = [
    ProblemType("validation", 400, _("Dữ liệu gửi lên không hợp lệ")),
    ProblemType("malformed-request", 400, _("Không đọc được nội dung yêu cầu")),
    ProblemType("idempotency-key-missing", 400, _("Thiếu tiêu đề Idempotency-Key")),
    ProblemType("not-authenticated", 401, _("Chưa xác thực: thiếu khóa API")),
    ProblemType("authentication-failed", 401, _("Khóa API không hợp lệ, đã thu hồi hoặc hết hạn")),
    ProblemType("insufficient-scope", 403, _("Khóa API không có phạm vi được phép cho thao tác này")),
    ProblemType("permission-denied", 403, _("Không có quyền thực hiện")),
    ProblemType("action-forbidden", 403, _("Tài khoản không có vai trò phù hợp để thực hiện thao tác")),
    ProblemType("not-found", 404, _("Không tìm thấy")),
    ProblemType("method-not-allowed", 405, _("Phương thức không được hỗ trợ")),
    ProblemType("not-acceptable", 406, _("Không trả được định dạng yêu cầu")),
    ProblemType("lifecycle-refused", 409, _("Thao tác bị quy tắc xử lý hồ sơ từ chối")),
    ProblemType("changed-by-other", 409, _("Hồ sơ vừa được người khác cập nhật")),
    ProblemType("idempotency-in-progress", 409, _("Yêu cầu cùng Idempotency-Key đang được xử lý")),
    ProblemType("payload-too-large", 413, _("Nội dung yêu cầu quá lớn")),
    ProblemType("unsupported-media-type", 415, _("Định dạng nội dung không được hỗ trợ")),
    ProblemType("idempotency-key-reused", 422, _("Idempotency-Key đã dùng cho một yêu cầu khác")),
    ProblemType("throttled", 429, _("Vượt quá số yêu cầu cho phép")),
    ProblemType("server-error", 500, _("Lỗi máy chủ")),
]
PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in _TYPES}


class Problem(exceptions.APIException):
    """An error a view raises by its problem type, e.g. ``Problem("idempotency-key-reused", detail=...)``."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.problem_type = PROBLEM_TYPES[slug]
        self.status_code = self.problem_type.status
        self.errors = errors
        self.headers = dict(headers or {})
        super().__init__(detail=detail or str(self.problem_type.title), code=slug)


# --- field errors ---------------------------------------------------------------------------------------


def _join(prefix: str | None, key: Any) -> str | None:
    if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__", None):
        return prefix
    if isinstance(key, int):
        return f"{prefix or ''}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def field_errors(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """Flatten DRF's nested error detail into ``[{field: "applicant.id_number", message}]``.

    Non-field errors get ``field: null``; list items are addressed as ``documents[2]``.
    """
    out: list[dict[str, Any]] = []
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            out.extend(field_errors(value, _join(prefix, key)))
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            out.extend({"field": prefix, "message": str(item)} for item in detail)
        else:
            for index, item in enumerate(detail):
                if isinstance(item, Mapping | list | tuple):
                    out.extend(field_errors(item, _join(prefix, index)))
                elif item:
                    out.append({"field": prefix, "message": str(item)})
    elif detail not in (None, ""):
        out.append({"field": prefix, "message": str(detail)})
    return out


def django_field_errors(exc: DjangoValidationError, rename: Mapping[str, str] | None = None) -> list[dict]:
    """A Django ``ValidationError`` from a service as field errors; ``rename`` maps model to API names."""
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        return [
            {"field": rename.get(field, None if field == "__all__" else field), "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": message} for message in exc.messages]


# --- the handler ------------------------------------------------------------------------------------------

_DRF_TYPES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ValidationError, "validation"),
    (exceptions.ParseError, "malformed-request"),
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "authentication-failed"),
    (exceptions.PermissionDenied, "permission-denied"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "throttled"),
]


def problem_response(
    slug: str,
    *,
    detail: str | None = None,
    instance: str | None = None,
    errors: Iterable[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    status_code: int | None = None,
) -> Response:
    """A DRF ``Response`` carrying one problem, with the problem+json content type."""
    kind = PROBLEM_TYPES[slug]
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": str(kind.title),
        "status": status_code or kind.status,
        "detail": detail or str(kind.title),
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return Response(
        body,
        status=status_code or kind.status,
        headers=dict(headers or {}),
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _detail_text(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_detail_text(d) for d in detail)
    if isinstance(detail, Mapping):
        return " ".join(_detail_text(d) for d in detail.values())
    return str(detail)


def too_large_detail() -> str:
    """What a 413 says: the limit the body went over (``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    return str(_("Nội dung yêu cầu vượt quá %(limit)s byte.")) % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


def _classify(exc: Exception) -> tuple[str, str | None, list[dict] | None, dict[str, str]]:
    """(problem slug, detail, field errors, extra headers) for any exception a view may raise."""
    headers: dict[str, str] = {}
    if isinstance(exc, Problem):
        return exc.problem_type.slug, str(exc.detail), exc.errors, exc.headers
    if isinstance(exc, ChangedByOther):
        return "changed-by-other", str(exc), None, headers
    if isinstance(exc, LifecyclePermissionError):
        return "action-forbidden", str(exc), None, headers
    if isinstance(exc, LifecycleError):
        return "lifecycle-refused", str(exc), None, headers
    if isinstance(exc, DjangoValidationError):
        errors = django_field_errors(exc)
        return "validation", " ".join(e["message"] for e in errors), errors, headers
    if isinstance(exc, Http404):
        return "not-found", None, None, headers
    if isinstance(exc, RequestDataTooBig):  # Django read request.body past DATA_UPLOAD_MAX_MEMORY_SIZE
        return "payload-too-large", too_large_detail(), None, headers
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return "malformed-request", str(exc) or None, None, headers
    if isinstance(exc, DjangoPermissionDenied):
        return "permission-denied", str(exc) or None, None, headers
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        for cls, slug in _DRF_TYPES:
            if isinstance(exc, cls):
                if slug == "validation":
                    errors = field_errors(exc.detail)
                    return slug, " ".join(e["message"] for e in errors) or None, errors, headers
                if slug == "not-found":
                    return slug, None, None, headers
                return slug, _detail_text(exc.detail), None, headers
        return "server-error" if exc.status_code >= 500 else "malformed-request", None, None, headers
    return "server-error", None, None, headers


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF ``EXCEPTION_HANDLER``: every exception of an API view becomes a problem+json response.

    Unexpected exceptions are logged with their traceback and answered as a 500 problem, so a partner never
    sees an HTML error page; the transaction of the request is rolled back as DRF's own handler does.
    """
    from rest_framework.views import set_rollback  # rest_framework.views imports this module's users

    request = context.get("request")
    slug, detail, errors, headers = _classify(exc)
    if slug == "server-error":
        logger.error("API error on %s", getattr(request, "path", "?"), exc_info=exc)
    set_rollback()
    if slug == "validation" and errors is None:
        errors = []
    return problem_response(
        slug,
        detail=detail,
        instance=request.get_full_path() if request is not None else None,
        errors=errors,
        headers=headers,
        status_code=500 if slug == "server-error" else getattr(exc, "status_code", None),
    )


# --- unknown API paths ------------------------------------------------------------------------------------


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """The last route under ``/api/``: an unknown path answers a ``not-found`` problem, not an HTML page.

    A partner's client parses every error the same way (RFC 9457), so a typo in a path must not return the
    site's HTML 404. Plain Django (no DRF view): no key is needed to learn that a path does not exist. Like
    ``CommonMiddleware`` (``APPEND_SLASH``), a GET for a real route without its trailing slash is redirected.
    """
    path = request.path
    if settings.APPEND_SLASH and not path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(path + "/" + (f"?{query}" if query else ""))
    kind = PROBLEM_TYPES["not-found"]
    body = {
        "type": kind.uri,
        "title": str(kind.title),
        "status": kind.status,
        "detail": str(kind.title),
        "instance": request.get_full_path(),
    }
    return JsonResponse(body, status=kind.status, content_type=PROBLEM_CONTENT_TYPE)


# --- the schema of a problem (OpenAPI) --------------------------------------------------------------------


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="Trường có lỗi (đường dẫn có dấu chấm, ví dụ applicant.id_number)."
    )
    message = serializers.CharField(help_text="Thông báo lỗi.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; ``errors`` only for ``/api/problems/validation``."""

    type = serializers.CharField(help_text="URI (tương đối) của loại lỗi, ví dụ /api/problems/validation.")
    title = serializers.CharField(help_text="Tên loại lỗi.")
    status = serializers.IntegerField(help_text="Mã trạng thái HTTP.")
    detail = serializers.CharField(help_text="Mô tả lỗi lần này (với quy tắc xử lý hồ sơ: nội dung quy tắc).")
    instance = serializers.CharField(allow_null=True, help_text="Địa chỉ yêu cầu gây lỗi.")
    errors = ProblemFieldErrorSerializer(many=True, required=False, help_text="Lỗi theo từng trường.")

    class Meta:
        ref_name = "Problem"


def problem_types_markdown() -> str:
    """The problem types as a Markdown table (for the OpenAPI description)."""
    rows = ["| type | status | title |", "|---|---|---|"]
    rows += [f"| `{t.uri}` | {t.status} | {t.title} |" for t in _TYPES]
    return "\n".join(rows)


__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "PROBLEM_TYPES",
    "Problem",
    "ProblemSerializer",
    "api_not_found",
    "django_field_errors",
    "field_errors",
    "problem_exception_handler",
    "problem_response",
    "too_large_detail",
]


ProblemSerializer.__doc__ = (
    "RFC 9457 problem details (`application/problem+json`); `errors` lists field errors of a validation "
    f"problem.\n\n{problem_types_markdown()}"
)
