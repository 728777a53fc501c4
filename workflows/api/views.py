"""Dossier endpoints of the REST API: submit online, read, follow the events, act (issue 5).

Thin (architecture): every write is one call of a ``workflows.services`` lifecycle function with
``user=request.user`` — the client's user, whose unit memberships decide what it may do exactly as at the
desk (no second code path); reads go through ``workflows.api.selectors`` and a django-filter FilterSet.
Refusals by the rules leave as problem+json (``workflows.api.problems``): 403 when the user lacks the role
in the unit holding the dossier, 409 when the rule refuses the event, with the rule's own message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from procedures.api.pagination import ApiPagination
from workflows import services as svc
from workflows.api import schema as _schema  # noqa: F401  (registers the API-key security scheme)
from workflows.api import serializers as s
from workflows.api.filters import DossierApiFilter
from workflows.api.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    StoredAnswer,
    idempotency_key_of,
    idempotent_create,
    request_hash,
    stored_answer,
)
from workflows.api.parsers import BoundedJSONParser
from workflows.api.problems import Problem, django_field_errors
from workflows.api.schema import problem
from workflows.api.selectors import api_dossiers, dossier_events
from workflows.choices import AccessPurpose, ApiScope, Event
from workflows.models import Dossier
from workflows.services.actions import API as API_PAGE
from workflows.services.actions import actions_for_page

# Service field names in a Django ValidationError → the API's field names.
_FIELD_NAMES = {"applicant_name": "applicant.name", "applicant_id_number": "applicant.id_number"}


class _ApiView(generics.GenericAPIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [BoundedJSONParser]  # size and depth bounded: 413/400, never a 500
    pagination_class = ApiPagination

    def visible(self) -> QuerySet[Dossier]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no client
            return Dossier.objects.none()
        return api_dossiers(self.request.user)

    def dossier_or_404(self, code: str) -> Dossier:
        dossier = self.visible().filter(code=code).first()
        if dossier is None:
            raise Http404
        return dossier

    def serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "now": timezone.now()}


def _log_personal_data(request: Request, dossier: Dossier) -> None:
    svc.personal_data_access_log(
        user=request.user, dossier=dossier, purpose=AccessPurpose.API, request=request._request
    )


def _replayable(body: dict[str, Any]) -> dict[str, Any]:
    """The body as stored JSON (what a retry gets back byte for byte)."""
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description=(
        "Khóa duy nhất của lần nộp này (ví dụ một UUID), 1–255 ký tự ASCII. Gửi lại cùng khóa và cùng nội "
        "dung: nhận lại đúng câu trả lời đầu tiên (tiêu đề `Idempotent-Replayed: true`), không tạo hồ sơ "
        "thứ hai; cùng khóa, nội dung khác: 422. Yêu cầu bị từ chối (400, 409) không giữ khóa."
    ),
)
REPLAYED_PARAMETER = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    required=False,
    enum=["true"],
    description="Có mặt khi đây là câu trả lời đã lưu của lần gửi trước cùng Idempotency-Key.",
)
LOCATION_PARAMETER = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    OpenApiParameter.HEADER,
    response=[201],
    required=False,
    description="Địa chỉ của hồ sơ.",
)
SUBMIT_EXAMPLE = OpenApiExample(
    "Nộp trực tuyến",
    request_only=True,
    value={
        "procedure": "1.014431",
        "applicant": {
            "kind": "person",
            "name": "Nguyễn Văn A",
            "id_number": "001090000001",
            "address": "Số 1, phường Ba Đình, Hà Nội",
            "phone": "0912345678",
            "email": "a@example.vn",
        },
        "request_summary": "Cấp giấy chứng nhận",
    },
)


@extend_schema(tags=["dossiers"])
class DossierListCreateView(_ApiView):
    """``GET``: dossiers the client may see (no personal data); ``POST``: submit one online, idempotently."""

    required_scopes = {"get": ApiScope.DOSSIERS_READ.value, "post": ApiScope.DOSSIERS_SUBMIT.value}
    filterset_class = DossierApiFilter
    serializer_class = s.DossierListSerializer

    def get_queryset(self) -> QuerySet[Dossier]:
        return self.visible()

    @extend_schema(summary="Danh sách hồ sơ", responses=s.DossierListSerializer(many=True))
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = s.DossierListSerializer(page, many=True, context=self.serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Nộp hồ sơ trực tuyến",
        description=(
            "Tạo hồ sơ trực tuyến ở trạng thái `submitted` (TrangThaiHoSo 1, chờ Bộ phận Một cửa kiểm tra). "
            "Bắt buộc tiêu đề `Idempotency-Key`: thử lại bao nhiêu lần, kể cả đồng thời, cũng chỉ có một "
            "hồ sơ. Câu trả lời không chứa thông tin cá nhân của người nộp."
        ),
        request=s.DossierSubmitSerializer,
        parameters=[IDEMPOTENCY_PARAMETER, REPLAYED_PARAMETER, LOCATION_PARAMETER],
        examples=[SUBMIT_EXAMPLE],
        responses={
            201: OpenApiResponse(s.DossierReceiptSerializer, description="Đã tạo (hoặc câu trả lời đã lưu)."),
            **problem(409, "Thủ tục không có phiên bản áp dụng hôm nay, hoặc yêu cầu cùng khóa đang xử lý."),
            **problem(422, "Idempotency-Key đã dùng cho một nội dung khác."),
        },
    )
    def post(self, request: Request) -> Response:
        client = request.auth
        key = idempotency_key_of(request)
        digest = request_hash(request.data)
        answer = stored_answer(client=client, key=key, digest=digest)
        if answer is None:
            serializer = s.DossierSubmitSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            answer = idempotent_create(
                client=client, key=key, digest=digest, create=lambda: self._submit(serializer.validated_data)
            )
        return self._answer(answer)

    def _submit(self, data: dict[str, Any]) -> tuple[Dossier, dict[str, Any]]:
        try:
            dossier = svc.dossier_submit(
                procedure=data["procedure"],
                applicant=svc.Applicant(**data["applicant"]),
                reception_agency=data["reception_agency"],
                request_summary=data["request_summary"],
                user=self.request.user,
            )
        except DjangoValidationError as exc:
            errors = django_field_errors(exc, _FIELD_NAMES)
            raise Problem("validation", " ".join(e["message"] for e in errors), errors=errors) from exc
        dossier = Dossier.objects.select_related(
            "procedure_version__procedure", "agency", "reception_agency"
        ).get(pk=dossier.pk)
        body = s.DossierReceiptSerializer(dossier, context=self.serializer_context()).data
        return dossier, _replayable(body)

    def _answer(self, answer: StoredAnswer) -> Response:
        headers = {}
        code = answer.body.get("code")
        if code:
            headers["Location"] = self.request.build_absolute_uri(reverse("api:dossier-detail", args=[code]))
        if answer.replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(answer.body, status=answer.status_code, headers=headers)


@extend_schema(tags=["dossiers"])
class DossierDetailView(_ApiView):
    """One dossier with its applicant and steps; each answer is logged as a personal-data access."""

    required_scope = ApiScope.DOSSIERS_READ.value
    serializer_class = s.DossierDetailSerializer

    @extend_schema(summary="Một hồ sơ (có thông tin người nộp; ghi nhật ký truy cập dữ liệu cá nhân)")
    def get(self, request: Request, code: str) -> Response:
        dossier = self.dossier_or_404(code)
        data = s.DossierDetailSerializer(dossier, context=self.serializer_context()).data
        _log_personal_data(request, dossier)
        return Response(data)


@extend_schema(tags=["dossiers"])
class DossierEventsView(_ApiView):
    """The dossier's audit trail, oldest first, paginated."""

    required_scope = ApiScope.DOSSIERS_READ.value
    serializer_class = s.DossierEventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dossier.objects.none()
        return dossier_events(self.dossier_or_404(self.kwargs["code"]))

    @extend_schema(summary="Các sự kiện của hồ sơ", responses=s.DossierEventSerializer(many=True))
    def get(self, request: Request, code: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.DossierEventSerializer(page, many=True).data)


# --- lifecycle actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiAction:
    """One lifecycle event offered to integrating units: its service and the body it takes."""

    name: str
    service: Callable[..., Dossier]
    serializer: type[s._ActionSerializer]


# The request body of each action; the service, and whether the API offers it, come from the one action
# table (``workflows.services.actions``) the desk and the task pages read too.
_SERIALIZERS: dict[str, type[s._ActionSerializer]] = {
    "receive": s.ReceiveActionSerializer,
    "refuse_receipt": s.RefuseReceiptActionSerializer,
    "request_supplement": s.ReasonRequiredActionSerializer,
    "supplement_done": s.NoteActionSerializer,
    "request_payment": s.ReasonOptionalActionSerializer,
    "payment_done": s.NoteActionSerializer,
    "step_done": s.NoteActionSerializer,
    "return_step": s.ReasonRequiredActionSerializer,
    "stop": s.ReasonRequiredActionSerializer,
    "withdraw": s.ReasonOptionalActionSerializer,
    "apologize": s.ApologizeActionSerializer,
    "decide": s.DecideActionSerializer,
    "return_result": s.ReturnResultActionSerializer,
}
ACTIONS: dict[str, ApiAction] = {
    action.name: ApiAction(action.name, action.service, _SERIALIZERS[action.name])
    for action in actions_for_page(API_PAGE)
}


class DossierActionView(_ApiView):
    """``POST /dossiers/{code}/actions/<action>/``: one lifecycle event by the client's user."""

    required_scope = ApiScope.DOSSIERS_ACT.value
    action_spec: ApiAction

    def post(self, request: Request, code: str) -> Response:
        dossier = self.dossier_or_404(code)
        serializer = self.action_spec.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            self.action_spec.service(
                dossier=dossier,
                user=request.user,
                expected_revision=serializer.validated_data.get("expected_revision"),
                **serializer.service_kwargs(),
            )
        except DjangoValidationError as exc:
            errors = django_field_errors(exc)
            raise Problem("validation", " ".join(e["message"] for e in errors), errors=errors) from exc
        dossier = self.dossier_or_404(code)
        data = s.DossierDetailSerializer(dossier, context=self.serializer_context()).data
        _log_personal_data(request, dossier)
        return Response(data)


def _action_view(action: ApiAction) -> type[DossierActionView]:
    """A view class per action, so each has its own request body in the OpenAPI schema."""
    label = Event(action.name).label
    view = type(
        f"Dossier{action.name.title().replace('_', '')}ActionView",
        (DossierActionView,),
        {"action_spec": action, "serializer_class": action.serializer, "__doc__": f"{label}."},
    )
    return extend_schema_view(
        post=extend_schema(
            tags=["dossier actions"],
            summary=str(label),
            description=(
                f"Sự kiện `{action.name}` qua cùng hàm nghiệp vụ và cùng kiểm tra quyền như giao diện "
                "Một cửa, với tài khoản đại diện của khóa API. 403: tài khoản không có vai trò phù hợp tại "
                "đơn vị đang giữ hồ sơ; 409: quy tắc xử lý từ chối (trạng thái, thứ tự, điều kiện) hoặc "
                "hồ sơ vừa được người khác cập nhật (`expected_revision`)."
            ),
            request=action.serializer,
            responses={
                200: s.DossierDetailSerializer,
                **problem(409, "Quy tắc xử lý hồ sơ từ chối; `detail` nêu quy tắc."),
            },
            operation_id=f"dossier_action_{action.name}",
        )
    )(view)


ACTION_VIEWS: dict[str, type[DossierActionView]] = {name: _action_view(a) for name, a in ACTIONS.items()}
