"""OpenAPI for the API: the API-key security schemes and the problem+json error responses of every operation.

Why a schema class and not per-view decorators: every operation can fail with the same problems (a bad
field, no key, a missing scope, throttling), and schemathesis checks each response against the schema, so
the error responses must be documented everywhere and identically. ``ProblemAutoSchema`` adds them to any
operation that does not document that status itself; views only describe their success bodies and the
problems special to them (409/422 of idempotency, 409 of a lifecycle refusal).

It is set for every API view by ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` (a settings string), so views of
``procedures`` get the same documentation without importing ``workflows``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from workflows.api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

# Problems any authenticated operation may answer, with when.
_COMMON: dict[str, str] = {
    "400": "Tham số hoặc nội dung không hợp lệ (problem `validation`, có `errors` theo từng trường).",
    "401": "Thiếu khóa API, khóa sai, đã thu hồi hoặc hết hạn.",
    "403": "Khóa API không có phạm vi cần thiết, hoặc tài khoản đại diện không có quyền.",
    "429": "Vượt quá số yêu cầu cho phép của khóa API; thử lại sau `Retry-After` giây.",
}
_WITH_PATH: dict[str, str] = {"404": "Không tìm thấy (hoặc không được xem)."}
_WITH_BODY: dict[str, str] = {"415": "Nội dung không phải application/json."}

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429, 409],
    required=False,
    description="Số giây nên chờ trước khi thử lại.",
)


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


def problem(status: int | str, description: str) -> dict[tuple[str, str], OpenApiResponse]:
    """``responses=`` entry for a problem special to one operation (for ``extend_schema``)."""
    return {(str(status), PROBLEM_CONTENT_TYPE): problem_response(description)}


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the common problem+json responses (see module docstring)."""

    def get_override_parameters(self) -> list[Any]:
        params = super().get_override_parameters()
        return [*params, RETRY_AFTER] if self._is_authenticated_operation() else params

    def _is_authenticated_operation(self) -> bool:
        return bool(self.view.get_authenticators()) and "AllowAny" not in {
            type(p).__name__ for p in self.view.get_permissions()
        }

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not self._is_authenticated_operation():
            return responses
        wanted = dict(_COMMON)
        if "{" in self.path:
            wanted.update(_WITH_PATH)
        if self.method in ("POST", "PUT", "PATCH"):
            wanted.update(_WITH_BODY)
        for code, description in wanted.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    problem_response(description), code, (PROBLEM_CONTENT_TYPE,), direction
                )
        return dict(sorted(responses.items()))


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Two ways to send the same key; either is enough (OpenAPI: alternatives are separate requirements)."""

    target_class = "workflows.api.auth.ApiKeyAuthentication"
    name = ["ApiKeyAuthorization", "ApiKeyHeader"]

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list]]:
        return [{"ApiKeyAuthorization": []}, {"ApiKeyHeader": []}]

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: Api-Key <khóa>` — khóa do quản trị cấp "
                "(`manage.py api_client_create`).",
            },
            {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "`X-Api-Key: <khóa>`."},
        ]
