"""Reads of the catalogue: which version applies on a date, which agencies and procedures sit under an
agency."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from procedures.choices import AgencyLevel
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
        "versions__received_in",
        Prefetch(
            "versions__steps", queryset=ProcedureStep.objects.select_related("unit").order_by("step_no")
        ),
    )


def _in_force_on(on: date) -> Q:
    return Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on))


def versions_in_force_on(on: date) -> QuerySet[ProcedureVersion]:
    """One version per procedure: the one in force on ``on``, with its procedure and agency joined.

    The public catalogue lists procedures as citizens meet them today, so it reads versions, not procedures.
    Periods should not overlap (``procedure_versions_close`` ends the previous one), but an imported
    catalogue may still hold an overlap; like :func:`version_in_force`, the latest ``effective_from`` wins,
    here with a ``NOT EXISTS`` on the (procedure, effective_from) unique index instead of a query per row.
    """
    newer = ProcedureVersion.objects.filter(
        _in_force_on(on), procedure=OuterRef("procedure"), effective_from__gt=OuterRef("effective_from")
    )
    return (
        ProcedureVersion.objects.filter(_in_force_on(on))
        .filter(~Exists(newer))
        .select_related("procedure__agency")
    )


def version_in_force_by_code(code: str, on: date) -> ProcedureVersion | None:
    """The version in force on ``on`` of the procedure with national code ``code`` (procedure and agency
    joined), or None when there is no such procedure or none of its versions applies that day."""
    return versions_in_force_on(on).filter(procedure__code=code).first()


def procedure_fields() -> list[str]:
    """The distinct non-empty fields (lĩnh vực) of the catalogue, sorted; reads the ``field`` index only."""
    return list(
        Procedure.objects.exclude(field="").order_by("field").values_list("field", flat=True).distinct()
    )


def agencies_deciding_procedures() -> QuerySet[Agency]:
    """Agencies that decide a procedure themselves or through a unit directly below them (a department
    whose procedures sit on its divisions), by name: the choices of the public catalogue's agency filter."""
    return (
        Agency.objects.filter(Q(procedures__isnull=False) | Q(children__procedures__isnull=False))
        .distinct()
        .order_by("name", "code")
    )


# A search box, not a query language: a few words are enough to find a procedure, and a bound keeps a
# hostile query from growing the SQL without limit.
MAX_SEARCH_WORDS = 8


def procedure_search(text: str, *, prefix: str = "") -> Q:
    """Every word must appear in the procedure's name or code ("cấp phép 1.00" narrows, it does not widen).

    One condition for the public catalogue (over versions, ``prefix="procedure__"``) and the API (over
    procedures), so a citizen and a partner system find the same procedures for the same words.
    """
    condition = Q()
    for word in text.split()[:MAX_SEARCH_WORDS]:
        condition &= Q(**{f"{prefix}name__icontains": word}) | Q(**{f"{prefix}code__icontains": word})
    return condition


# --- where a procedure may be received ----------------------------------------------------------------------
#
# Decree 118/2025/NĐ-CP (one-stop mechanism): the provincial public-service centre and the commune one-stop
# desks receive the TTHC of the province, of its communes and of the vertical agencies located in the
# province, and the ministry TTHC delegated to the locality — whatever the administrative boundary inside
# the province. In the agency tree a province is a root with its departments, units and communes below it,
# and a ministry is a root of its own. So a dossier may be received at a desk inside the *home* of the
# deciding agency (its province; for a ministry, the ministry itself) and, in addition, inside any agency
# the version lists in ``received_in`` (the provinces, or single centres, a ministry delegated it to). The
# rule is the one condition below, used by the desk form, the lifecycle services and the API.


def _provinces() -> dict[int, int]:
    """Agency id → id of its province: the nearest ancestor (or itself) of level province, or the root of
    its tree when there is none (a ministry and its units). One query for the whole tree."""
    rows = {
        pk: (parent_id, level) for pk, parent_id, level in Agency.objects.values_list("pk", "parent", "level")
    }
    found: dict[int, int] = {}
    for pk in rows:
        node, root, seen = pk, pk, set()
        while node is not None and node not in seen:
            seen.add(node)
            parent_id, level = rows[node]
            if level == AgencyLevel.PROVINCE:
                root = node
                break
            root = node
            node = parent_id
        found[pk] = root
    return found


def agency_province(agency: Agency) -> Agency:
    """The province ``agency`` belongs to (for a ministry or its units: the ministry, root of its tree)."""
    return Agency.objects.get(pk=_provinces()[agency.pk])


def reception_condition(agencies: Agency | Iterable[Agency]) -> Q:
    """Condition over ``ProcedureVersion``: versions that may be received at one of ``agencies`` (desks).

    A desk is "inside" an agency when that agency is the desk itself or one of its ancestors, so the desk's
    ancestor chain is compared with the version's home province and its ``received_in`` list.
    """
    desks = [agencies] if isinstance(agencies, Agency) else list(agencies)
    chain_ids: set[int] = {node.pk for desk in desks for node in desk.ancestors()}
    if not chain_ids:
        return Q(pk__in=[])
    delegated = ProcedureVersion.received_in.through.objects.filter(
        procedureversion_id=OuterRef("pk"), agency_id__in=chain_ids
    )
    at_home = {pk for pk, province_id in _provinces().items() if province_id in chain_ids}
    return Q(procedure__agency_id__in=at_home) | Q(Exists(delegated))


def receivable_by(version: ProcedureVersion, agency: Agency) -> bool:
    """Whether a dossier of ``version`` may be received at the desk ``agency`` (Decree 118/2025)."""
    return ProcedureVersion.objects.filter(reception_condition(agency), pk=version.pk).exists()


def procedures_receivable_at(agencies: Agency | Iterable[Agency], on: date) -> QuerySet[Procedure]:
    """Procedures whose version in force on ``on`` may be received at one of ``agencies``: what a desk may
    list and receive that day."""
    receivable = versions_in_force_on(on).filter(reception_condition(agencies))
    return Procedure.objects.filter(pk__in=receivable.values("procedure_id"))
