"""Staff roles of a one-stop desk and the deciding units (domain §1.3–1.5).

A role is a Django group, so a province assigns people to roles in the admin. The permissions
below are the catalogue/calendar rights each role needs today; dossier rights join them when the
lifecycle lands.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DESK_OFFICER = "desk_officer", _("Cán bộ Bộ phận Một cửa")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    HEAD_OF_UNIT = "head_of_unit", _("Lãnh đạo phòng, đơn vị")
    DIRECTOR = "director", _("Lãnh đạo cơ quan")
    SUPERVISOR = "supervisor", _("Cán bộ giám sát")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


_VIEW_CATALOGUE = [
    "procedures.view_agency",
    "procedures.view_procedure",
    "procedures.view_procedureversion",
    "procedures.view_procedurestep",
    "sla.view_calendaroverride",
    "sla.view_officehours",
]
_MANAGE_CATALOGUE = [
    f"{app}.{action}_{model}"
    for app, model in [
        ("procedures", "agency"),
        ("procedures", "procedure"),
        ("procedures", "procedureversion"),
        ("procedures", "procedurestep"),
        ("sla", "calendaroverride"),
        ("sla", "officehours"),
    ]
    for action in ("add", "change", "delete", "view")
]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.DESK_OFFICER: _VIEW_CATALOGUE,
    Role.SPECIALIST: _VIEW_CATALOGUE,
    Role.HEAD_OF_UNIT: _VIEW_CATALOGUE,
    Role.DIRECTOR: _VIEW_CATALOGUE,
    Role.SUPERVISOR: [*_VIEW_CATALOGUE, "sla.view_deadline"],
    Role.ADMINISTRATOR: [*_MANAGE_CATALOGUE, "sla.view_deadline"],
}


def role_group_name(role: Role) -> str:
    """The group's name is its Vietnamese label whatever language the caller runs in, so a sync under
    English never creates a second set of groups."""
    with translation.override("vi"):
        return str(role.label)


def role_groups_sync() -> dict[Role, Group]:
    """Create or update one group per role with exactly its permissions (idempotent)."""
    wanted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in={w.split(".")[0] for w in wanted}
        )
    }
    missing = wanted - by_name.keys()
    if missing:
        raise LookupError(f"permissions not found (migrations not applied?): {sorted(missing)}")
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role_group_name(role))
        group.permissions.set([by_name[p] for p in perms])
        groups[role] = group
    return groups
