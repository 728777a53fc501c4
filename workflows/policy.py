"""The one policy: who may see which dossier and who may do what to it.

A user acts only on dossiers of the agencies and units they belong to (``Membership``), in the roles they
hold there; a membership in an agency covers the units below it. The desk acts on dossiers received at its
agency; processors act on the step currently at their unit in their role; heads and directors of the
deciding agency issue the apology (domain §1.7); supervisors see their units. Superusers act everywhere.

The same memberships are exposed to viewflow as virtual permissions ``workflows.role:<role>@<agency id>``
by :class:`UnitRoleBackend`, so viewflow's queue offers a step's task exactly to the people of its unit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.backends import BaseBackend
from django.db.models import Q

from procedures.models import Agency
from procedures.selectors import agency_subtree_ids
from workflows.models import Dossier, Membership
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
    wanted = set(roles)
    roots = [agency_id for role, agency_id in _memberships(user) if role in wanted]
    if not roots:
        return set()
    return agency_subtree_ids(Agency(pk=pk) for pk in roots)


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


def visible_dossiers(user):
    """Dossiers the user may open: those of any agency they belong to (in any role), subtrees included."""
    qs = Dossier.objects.all()
    if user.is_superuser:
        return qs
    ids = _covered(user, [r.value for r in Role])
    return qs.filter(Q(agency_id__in=ids) | Q(reception_agency_id__in=ids))


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
