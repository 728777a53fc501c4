"""Reads of the catalogue: which version applies on a date, which agencies and procedures sit under an
agency."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion


def version_in_force(procedure: Procedure, on: date) -> ProcedureVersion | None:
    """The version that applies to a dossier received on ``on``; None outside every version's period.

    A dossier keeps the version of its reception date even if a new one starts while it is processed, so
    callers pass the reception date, not today.
    """
    return (
        ProcedureVersion.objects.filter(procedure=procedure, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from")
        .first()
    )


def version_steps(version: ProcedureVersion) -> QuerySet[ProcedureStep]:
    """Steps of a version in order, with their unit loaded."""
    return version.steps.select_related("unit").order_by("step_no")


def agency_subtree_ids(roots: Iterable[Agency]) -> set[int]:
    """Ids of the given agencies and everything below them (one query for the whole tree)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Agency.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    stack = [agency.pk for agency in roots]
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children.get(pk, []))
    return found


def procedures_of_agency(agency: Agency, *, include_subtree: bool = True) -> QuerySet[Procedure]:
    """Procedures decided by ``agency`` (and by the agencies below it unless ``include_subtree`` is False)."""
    ids = agency_subtree_ids([agency]) if include_subtree else {agency.pk}
    return Procedure.objects.filter(agency_id__in=ids).select_related("agency").order_by("code")


def catalogue_queryset(procedures: QuerySet[Procedure] | None = None) -> QuerySet[Procedure]:
    """Procedures with versions and steps prefetched in export order (code, effective_from, step_no)."""
    qs = procedures if procedures is not None else Procedure.objects.all()
    return qs.select_related("agency").prefetch_related(
        Prefetch("versions", queryset=ProcedureVersion.objects.order_by("effective_from")),
        Prefetch(
            "versions__steps", queryset=ProcedureStep.objects.select_related("unit").order_by("step_no")
        ),
    )
