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

