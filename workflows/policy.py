"""The one policy: who may see which dossier and who may do what to it.

A user acts only on dossiers of the agencies and units they belong to (``Membership``), in the roles they
hold there; a membership in an agency covers the units below it. The desk acts on dossiers received at its
agency; processors act on the step currently at their unit in their role; heads and directors of the
deciding agency issue the apology (domain §1.7); supervisors see their units. Superusers act everywhere.

Who *sees* which dossier is :func:`visible_dossiers` (a queryset) and :func:`dossier_visible` (one dossier);
viewflow's processes and tasks are filtered by the same rule (:func:`visible_processes`,
:func:`visible_tasks`), so every page, the admin, the exports and the API read through one condition.

The same memberships are exposed to viewflow as virtual permissions ``workflows.role:<role>@<agency id>``
by :class:`UnitRoleBackend`, so viewflow's queue offers a step's task exactly to the people of its unit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.backends import BaseBackend
from django.db.models import Exists, OuterRef, Q, QuerySet

from procedures.models import Agency
from procedures.selectors import agency_subtree_ids
from workflows.models import Dossier, DossierStep, Membership
from workflows.roles import Role

DESK = "desk"
STEP = "step"
LEAD = "lead"
DESK_OR_STEP = "desk_or_step"


def unit_permission(role: str, agency_id: int) -> str:
    """The viewflow ``owner_permission`` of a task for ``role`` at ``agency_id``."""
    return f"workflows.role:{role}@{agency_id}"


def _memberships(user) -> list[tuple[str, int]]:
    cache = getattr(user, "_motcua_memberships", None)
    if cache is None:
        cache = list(Membership.objects.filter(user=user).values_list("role", "agency_id"))
        user._motcua_memberships = cache
    return cache


def _covered(user, roles: Iterable[str]) -> set[int]:
    """Agency ids the user covers in any of ``roles`` (their agencies and everything below)."""
    wanted = frozenset(roles)
    cache = getattr(user, "_motcua_covered", None)
    if cache is None:
        cache = user._motcua_covered = {}
    if wanted not in cache:
        roots = [agency_id for role, agency_id in _memberships(user) if role in wanted]
        cache[wanted] = agency_subtree_ids(Agency(pk=pk) for pk in roots) if roots else set()
    return cache[wanted]


def user_roles(user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return {role for role, _agency in _memberships(user)}


def user_may(user, dossier: Dossier, kind: str) -> bool:
    """True if ``user`` may perform an action of ``kind`` on ``dossier``; ``None`` is the system/importer."""
    if user is None:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if kind in (DESK, DESK_OR_STEP):
        desk_agency = dossier.reception_agency_id or dossier.agency_id
        if desk_agency in _covered(user, [Role.DESK_OFFICER]):
            return True
        if kind == DESK:
            return False
    if kind in (STEP, DESK_OR_STEP):
        step = dossier.current_step
        if step is not None:
            return step.unit_id in _covered(user, [step.role])
        return dossier.agency_id in _covered(user, [Role.HEAD_OF_UNIT, Role.DIRECTOR])
    if kind == LEAD:
        return dossier.agency_id in _covered(user, [Role.HEAD_OF_UNIT, Role.DIRECTOR])
    return False


def desk_agencies(user) -> list[Agency]:
    """Agencies where ``user`` works at the one-stop desk (where a dossier they receive is received)."""
    ids = [agency_id for role, agency_id in _memberships(user) if role == Role.DESK_OFFICER]
    return list(Agency.objects.filter(pk__in=ids).order_by("code"))


def supervised_agency_ids(user) -> set[int] | None:
    """Agency ids whose dossiers ``user`` may see as a supervisor; None means all (superuser)."""
    if user.is_superuser:
        return None
    return _covered(user, [Role.SUPERVISOR, Role.DIRECTOR, Role.HEAD_OF_UNIT])


def _visibility(user) -> Q | None:
    """The condition on ``Dossier`` rows ``user`` may see; ``None`` means every row (superuser).

    Decree 13/2023/NĐ-CP Art. 3 and the Law on Personal Data Protection 2025 (purpose limitation): a member of
    staff reads an applicant only where their work needs it, so each role sees what it works on:

    - desk officers: dossiers received at, or addressed to, an agency their desk membership covers;
    - heads of unit and directors: dossiers decided by an agency they cover, or that were at a unit they
      cover (a step of the internal procedure, ``ProcedureStep``);
    - specialists: only dossiers that are or were at a unit they cover in the specialist role (a
      ``DossierStep`` there: steps are created when they start, never ahead of time);
    - supervisors and administrators: the dossiers of their subtree, read-only (no action kind of
      :func:`user_may` grants them anything).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    condition = Q(pk__in=[])
    desk = _covered(user, [Role.DESK_OFFICER])
    if desk:
        condition |= Q(reception_agency_id__in=desk) | Q(agency_id__in=desk)
    lead = _covered(user, [Role.HEAD_OF_UNIT, Role.DIRECTOR])
    if lead:
        condition |= Q(agency_id__in=lead) | Q(
            Exists(DossierStep.objects.filter(dossier_id=OuterRef("pk"), unit_id__in=lead))
        )
    specialist = _covered(user, [Role.SPECIALIST])
    if specialist:
        condition |= Q(Exists(DossierStep.objects.filter(dossier_id=OuterRef("pk"), unit_id__in=specialist)))
    watch = _covered(user, [Role.SUPERVISOR, Role.ADMINISTRATOR])
    if watch:
        condition |= (
            Q(agency_id__in=watch)
            | Q(reception_agency_id__in=watch)
            | Q(Exists(DossierStep.objects.filter(dossier_id=OuterRef("pk"), unit_id__in=watch)))
        )
    return condition


def administered_agency_ids(user) -> set[int] | None:
    """Agencies whose memberships ``user`` manages (administrator role, subtrees included); None = all.

    Memberships are what this policy reads: an administrator of a commune who could add a membership
    elsewhere would grant themselves every other agency's dossiers."""
    if user.is_superuser:
        return None
    return _covered(user, [Role.ADMINISTRATOR])


def administered_users(user) -> QuerySet | None:
    """Accounts whose login lockout and second-factor device ``user`` may reset; None means all (superuser).

    Only accounts whose every membership lies in agencies ``user`` administers, and never a superuser: an
    administrator of a commune must not strip the second factor of the province's accounts."""
    from django.contrib.auth import get_user_model

    ids = administered_agency_ids(user)
    if ids is None:
        return None
    elsewhere = Membership.objects.exclude(agency_id__in=ids).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_superuser=False, memberships__agency_id__in=ids)
        .exclude(pk__in=elsewhere)
        .distinct()
    )


def visible_dossiers(user) -> QuerySet[Dossier]:
    """Dossiers ``user`` may open (one SQL query; see :func:`_visibility` for who sees what)."""
    condition = _visibility(user)
    qs = Dossier.objects.all()
    return qs if condition is None else qs.filter(condition)


def dossier_visible(user, dossier: Dossier | int) -> bool:
    """True if ``user`` may see ``dossier`` (the same rule as :func:`visible_dossiers`)."""
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    condition = _visibility(user)
    if condition is None:
        return True
    return Dossier.objects.filter(condition, pk=pk).exists()


def _dossier_content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Dossier).pk


def visible_processes(user, processes: QuerySet) -> QuerySet:
    """viewflow processes (or any queryset of ``Process``) whose dossier ``user`` may see."""
    condition = _visibility(user)
    if condition is None:
        return processes
    return processes.filter(
        artifact_content_type_id=_dossier_content_type_id(),
        artifact_object_id__in=Dossier.objects.filter(condition).values("pk"),
    )


def visible_tasks(user, tasks: QuerySet) -> QuerySet:
    """viewflow tasks whose process's dossier ``user`` may see (inbox, queue, archive, task lists)."""
    condition = _visibility(user)
    if condition is None:
        return tasks
    return tasks.filter(
        process__artifact_content_type_id=_dossier_content_type_id(),
        process__artifact_object_id__in=Dossier.objects.filter(condition).values("pk"),
    )


def process_dossier_id(user, process_pk: int) -> int | None:
    """The dossier id of viewflow process ``process_pk`` if ``user`` may see it, else None (one query)."""
    from viewflow.workflow.models import Process

    found = visible_processes(user, Process.objects.filter(pk=process_pk))
    return found.values_list("artifact_object_id", flat=True).first()


class UnitRoleBackend(BaseBackend):
    """Memberships as virtual permissions for viewflow's task queue (see module docstring)."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        perms = set()
        for role, _agency in _memberships(user_obj):
            for agency_id in _covered(user_obj, [role]):
                perms.add(unit_permission(role, agency_id))
        return perms


# --- actions and facts: what a user may do now (actions offered = actions allowed) ------------------------
# The pages and the API offer exactly these; the services check the same rules again and refuse with the
# rule's reason when an action is posted anyway.


def actions_allowed(user, dossier: Dossier, *, page: str, now=None) -> list[str]:
    """Names of the actions ``page`` offers ``user`` on ``dossier`` now, in the action table's order.

    django-fsm's available transitions for the user (state, the transition's conditions, and its
    ``permission`` — :func:`user_may` for the desk / step / lead) plus the table's own conditions (a step is
    open, the dossier stands at a deciding step, the due moment has not passed).
    """
    from django.utils import timezone

    from workflows.services.actions import actions_for_page

    if user is not None and not user.is_authenticated:
        return []
    now = now or timezone.now()
    available = {t.name for t in dossier.get_available_user_status_transitions(user)}
    return [
        action.name
        for action in actions_for_page(page)
        if action.name in available and action.offered_now(dossier, now)
    ]


# Who records each fact the 766 indicators count. People judged by a figure never record it themselves: the
# citizen's rating (5.4) is the applicant's — recorded by the desk only on the applicant's explicit behalf,
# and flagged so — and the national-portal sync (1.4) is the system's (the portal's acknowledgement, the
# importer) or an administrator's.
APPLICANT = "applicant"  # the public lookup page after its second factor (no staff user)
SYSTEM = "system"  # ``user=None``: the outbox acknowledgement, dossiers_import
HANDLER = "handler"  # the desk or the holder of the current step (``DESK_OR_STEP``)
DESK_ON_BEHALF = "desk_on_behalf"  # the desk of the dossier, explicitly on the applicant's behalf
ADMINISTRATOR = "administrator"  # superusers and administrators of the dossier's agency

FACT_RECORDERS: dict[str, frozenset[str]] = {
    "e_result": frozenset({HANDLER, SYSTEM}),
    "digitised": frozenset({HANDLER, SYSTEM}),
    "vneid": frozenset({HANDLER, SYSTEM}),
    "fee": frozenset({HANDLER, SYSTEM}),
    "complaint": frozenset({HANDLER, APPLICANT, SYSTEM}),
    "complaint_done": frozenset({HANDLER, SYSTEM}),
    "sync": frozenset({SYSTEM, ADMINISTRATOR}),
    "rate": frozenset({APPLICANT, DESK_ON_BEHALF, SYSTEM}),
}


def _administers(user, dossier: Dossier) -> bool:
    if user.is_superuser:
        return True
    covered = _covered(user, [Role.ADMINISTRATOR])
    return dossier.agency_id in covered or (dossier.reception_agency_id or dossier.agency_id) in covered


def fact_refusal(user, dossier: Dossier, fact: str, *, on_behalf: bool = False) -> str | None:
    """Why ``user`` may not record ``fact`` on ``dossier`` (a Vietnamese reason), or None if they may.

    ``user=None`` is the system or the applicant (the public page checks its second factor itself).
    """
    from django.utils.translation import gettext as _

    who = FACT_RECORDERS[fact]
    if user is None:
        return None if (SYSTEM in who or APPLICANT in who) else _("Dữ liệu này cần người ghi nhận.")
    if not user.is_authenticated or not user.is_active:
        return _("Bạn cần đăng nhập.")
    if HANDLER in who and user_may(user, dossier, DESK_OR_STEP):
        return None
    if ADMINISTRATOR in who and _administers(user, dossier):
        return None
    if DESK_ON_BEHALF in who and user_may(user, dossier, DESK):
        if on_behalf:
            return None
        return _(
            "Đánh giá là của người dân: Bộ phận Một cửa chỉ ghi thay khi người dân đề nghị, và phải đánh dấu "
            "“ghi thay người dân”."
        )
    if fact == "rate":
        return _(
            "Chỉ người dân (trang tra cứu) hoặc Bộ phận Một cửa ghi thay theo đề nghị của người dân mới ghi "
            "nhận đánh giá hồ sơ %(code)s."
        ) % {"code": dossier.code}
    if fact == "sync":
        return _(
            "Việc đồng bộ lên Cổng Dịch vụ công quốc gia do hệ thống ghi nhận (xác nhận của Cổng) hoặc "
            "quản trị hệ thống; cán bộ xử lý hồ sơ %(code)s không tự ghi."
        ) % {"code": dossier.code}
    return _("Bạn không có vai trò tại đơn vị đang giữ hồ sơ %(code)s.") % {"code": dossier.code}


def facts_allowed(user, dossier: Dossier) -> set[str]:
    """The facts whose form the dossier page may show ``user`` (the desk's rating form is on behalf)."""
    return {fact for fact in FACT_RECORDERS if fact_refusal(user, dossier, fact, on_behalf=True) is None}
