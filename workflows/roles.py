"""Staff roles of a one-stop desk and the deciding units (domain §1.3–1.5).

A role is a Django group, so a province assigns people to roles in the admin. The permissions
below are the catalogue/calendar rights each role needs, plus the dossier rights: every staff role may
open viewflow's inbox/queue (``view_dossierprocess``, checked by viewflow's ``has_view_permission``) and
view dossiers; which dossiers and which actions is decided per unit by ``workflows.policy``.
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

# viewflow shows the flow app (inbox, queue, archive) to users with "view" on the process class.
_VIEW_DOSSIERS = [
    "workflows.view_dossierprocess",
    "workflows.view_dossier",
    "workflows.view_dossierevent",
]
_PROCESS = [*_VIEW_DOSSIERS, "workflows.process_dossier"]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.DESK_OFFICER: [*_VIEW_CATALOGUE, *_VIEW_DOSSIERS, "workflows.receive_dossier"],
    Role.SPECIALIST: [*_VIEW_CATALOGUE, *_PROCESS],
    Role.HEAD_OF_UNIT: [*_VIEW_CATALOGUE, *_PROCESS],
    Role.DIRECTOR: [*_VIEW_CATALOGUE, *_PROCESS, "workflows.supervise_dossier"],
    Role.SUPERVISOR: [*_VIEW_CATALOGUE, *_VIEW_DOSSIERS, "sla.view_deadline", "workflows.supervise_dossier"],
    Role.ADMINISTRATOR: [
        *_MANAGE_CATALOGUE,
        *_VIEW_DOSSIERS,
        "sla.view_deadline",
        "workflows.supervise_dossier",
        "workflows.view_membership",
        "workflows.add_membership",
        "workflows.change_membership",
        "workflows.delete_membership",
        # Unlock accounts locked by login throttling, and reset a lost second-factor device.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    ],
}


def role_group_name(role: Role) -> str:
    """The group's name is its Vietnamese label whatever language the caller runs in, so a sync under
    English never creates a second set of groups."""
    with translation.override("vi"):
        return str(role.label)


def _proxy_permissions_ensure() -> None:
    """Create the permissions of the viewflow process proxy when no migration declares the proxy.

    ``workflows.flows.DossierProcess`` is a proxy model defined with the flow, outside the migrations, so
    Django's post-migrate hook never creates its permissions; viewflow still checks ``view_dossierprocess``
    to show the inbox. Creating them here is idempotent and harmless once a migration declares the proxy.
    """
    from django.contrib.contenttypes.models import ContentType

    from workflows.flows import DossierProcess

    ct = ContentType.objects.get_for_model(DossierProcess, for_concrete_model=False)
    for action in ("view", "manage"):
        Permission.objects.get_or_create(
            content_type=ct,
            codename=f"{action}_dossierprocess",
            defaults={"name": f"Can {action} {DossierProcess._meta.verbose_name_raw}"},
        )


def role_groups_sync() -> dict[Role, Group]:
    """Create or update one group per role with exactly its permissions (idempotent)."""
    _proxy_permissions_ensure()
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
