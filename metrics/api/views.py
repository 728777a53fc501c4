"""``GET /api/v1/indicators/``: the JSON of ``manage.py indicators --format json`` over HTTP (issue 5).

Why it calls ``metrics.indicators.scorecard`` directly: the command, the dashboard and the API must never
disagree, so all three print the one function's dict; the query parameters are the command's options
(``agency``, ``include_children``, ``from``, ``to``, ``source``). Who may see an agency's figures is the
dashboard's rule: supervisors and leaders of that agency (or above), superusers everywhere.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from metrics.api.serializers import IndicatorQuerySerializer, IndicatorsSerializer
from metrics.indicators import IndicatorError, scope_for, scorecard
from metrics.views import may_view_metrics
from workflows.api.problems import Problem
from workflows.choices import ApiScope
from workflows.policy import supervised_agency_ids


class IndicatorsView(generics.GenericAPIView):
    required_scope = ApiScope.INDICATORS_READ.value
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        tags=["indicators"],
        summary="Chỉ số của một cơ quan trong một kỳ (như manage.py indicators --format json)",
        parameters=[IndicatorQuerySerializer],
        responses=IndicatorsSerializer,
    )
    def get(self, request: Request) -> Response:
        query = IndicatorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            scope = scope_for(data["agency"], include_children=data["include_children"])
        except IndicatorError as exc:
            raise Problem("validation", str(exc), errors=[{"field": "agency", "message": str(exc)}]) from exc
        if not may_view_metrics(request.user):
            raise PermissionDenied(_("Chỉ cán bộ giám sát, lãnh đạo được xem chỉ số và báo cáo."))
        allowed = supervised_agency_ids(request.user)
        if allowed is not None and scope.agency.pk not in allowed:
            raise PermissionDenied(_("Bạn không được xem số liệu của cơ quan này."))
        return Response(scorecard(scope, data["period_obj"], source=data["source"]))
