"""Catalogue endpoints of the REST API: list procedures, get one with the version in force (issue 5).

Thin (architecture): the date rule is ``procedures.selectors.version_in_force``; authentication, the scope
check (``required_scope``), throttling and problem+json errors come from ``REST_FRAMEWORK`` settings, so this
module never imports ``workflows`` (import-linter layers).
"""

from __future__ import annotations

from datetime import date

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from procedures.api.filters import ProcedureFilter
from procedures.api.pagination import ApiPagination
from procedures.api.serializers import ProcedureDetailSerializer, ProcedureListSerializer
from procedures.models import Procedure, ProcedureVersion
from procedures.selectors import version_in_force

SCOPE = "procedures:read"


def procedures_with_online_level(on: date) -> QuerySet[Procedure]:
    """Procedures annotated with ``online_level`` of their version in force on ``on`` (NULL if none)."""
    in_force = (
        ProcedureVersion.objects.filter(procedure=OuterRef("pk"), effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from")
        .values("online_level")[:1]
    )
    return (
        Procedure.objects.select_related("agency").annotate(online_level=Subquery(in_force)).order_by("code")
    )


class _CatalogueView(generics.GenericAPIView):
    required_scope = SCOPE
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    pagination_class = ApiPagination

    def get_queryset(self) -> QuerySet[Procedure]:
        return procedures_with_online_level(timezone.localdate())


@extend_schema(tags=["procedures"], summary="Danh mục thủ tục hành chính")
class ProcedureListView(_CatalogueView, generics.ListAPIView):
    """Procedures of the catalogue, by code; filter by agency (with its units), field, online level, text."""

    serializer_class = ProcedureListSerializer
    filterset_class = ProcedureFilter


@extend_schema(tags=["procedures"], summary="Một thủ tục và phiên bản đang áp dụng")
class ProcedureDetailView(_CatalogueView, generics.RetrieveAPIView):
    """One procedure by its national code (``1.004227``) with the version in force today: terms, fees,
    required documents and the internal steps."""

    serializer_class = ProcedureDetailSerializer
    lookup_field = "code"

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if getattr(self, "_procedure", None) is not None:
            context["version"] = version_in_force(self._procedure, timezone.localdate())
        return context

    def get_object(self) -> Procedure:
        procedure = self.get_queryset().filter(code=self.kwargs["code"]).first()
        if procedure is None:
            raise Http404
        self._procedure = procedure
        return procedure
