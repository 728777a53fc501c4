"""``manage.py demo_seed``: a demo province to click through (agencies, catalogue, users per role).

Idempotent: running it again changes nothing. Passwords are for the demo only and are printed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from procedures.models import Agency
from procedures.services import catalogue_load_demo
from workflows.models import Membership
from workflows.roles import Role, role_groups_sync

DEMO_PASSWORD = "motcua-demo"

DEMO_USERS: list[tuple[str, Role, str]] = [
    ("motcua", Role.DESK_OFFICER, "Nguyễn Thị Một Cửa"),
    ("motcuaxa", Role.DESK_OFFICER, "Vũ Thị Một Cửa Xã"),
    ("chuyenvien", Role.SPECIALIST, "Trần Văn Chuyên"),
    ("truongphong", Role.HEAD_OF_UNIT, "Lê Thị Trưởng Phòng"),
    ("giamdoc", Role.DIRECTOR, "Phạm Văn Giám Đốc"),
    ("giamsat", Role.SUPERVISOR, "Hoàng Thị Giám Sát"),
    ("quantri", Role.ADMINISTRATOR, "Đỗ Văn Quản Trị"),
]

# Where each demo user works (a membership covers the units below the agency). Together they staff every
# routed step of the demo catalogue: the provincial desk at the public service centre, a commune desk, the
# S&T department's units, the communes' processors, the province's leaders and the two ministry procedures.
DEMO_MEMBERSHIPS: list[tuple[str, Role, str]] = [
    ("motcua", Role.DESK_OFFICER, "DEMO-TTPVHCC"),
    ("motcuaxa", Role.DESK_OFFICER, "DEMO-XA-A"),
    ("motcuaxa", Role.DESK_OFFICER, "DEMO-XA-B"),
    ("chuyenvien", Role.SPECIALIST, "DEMO-SKHCN"),
    ("chuyenvien", Role.SPECIALIST, "DEMO-XA-A"),
    ("chuyenvien", Role.SPECIALIST, "DEMO-XA-B"),
    ("chuyenvien", Role.SPECIALIST, "DEMO-BKHCN"),
    ("truongphong", Role.HEAD_OF_UNIT, "DEMO-SKHCN"),
    ("truongphong", Role.HEAD_OF_UNIT, "DEMO-XA-A"),
    ("truongphong", Role.HEAD_OF_UNIT, "DEMO-XA-B"),
    ("truongphong", Role.HEAD_OF_UNIT, "DEMO-BKHCN"),
    # The decide task of a procedure decided by the province is offered to a head of unit there.
    ("truongphong", Role.HEAD_OF_UNIT, "DEMO-UBND"),
    ("giamdoc", Role.DIRECTOR, "DEMO-SKHCN"),
    ("giamdoc", Role.DIRECTOR, "DEMO-UBND"),
    ("giamdoc", Role.DIRECTOR, "DEMO-BKHCN"),
    ("giamsat", Role.SUPERVISOR, "DEMO-UBND"),
    ("giamsat", Role.SUPERVISOR, "DEMO-BKHCN"),
]


def demo_users_seed(password: str = DEMO_PASSWORD) -> dict[str, object]:
    """Create or update the demo users, their role groups and memberships; returns users by username.

    Shared by the command and the test fixtures so tests click through exactly the province the demo shows.
    Expects the demo catalogue (agencies) to be loaded.
    """
    groups = role_groups_sync()
    User = get_user_model()
    users = {}
    for username, role, full_name in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
        # Vietnamese names read family name first: the whole name is the display name (get_full_name).
        user.first_name, user.last_name = full_name, ""
        # Demo addresses so the SLA sweep's notices show up in the console e-mail backend.
        user.email = user.email or f"{username}@demo.motcua.local"
        # Only a role that administers something enters the Django admin (Decree 85/2016/NĐ-CP, least
        # privilege); everyone else works in the one-stop pages, which are scoped by workflows.policy.
        user.is_staff = role is Role.ADMINISTRATOR
        user.is_superuser = role is Role.ADMINISTRATOR
        user.save()
        user.groups.set([groups[role]])
        users[username] = user
    agencies = {a.code: a for a in Agency.objects.filter(code__in={c for _u, _r, c in DEMO_MEMBERSHIPS})}
    for username, role, code in DEMO_MEMBERSHIPS:
        Membership.objects.get_or_create(user=users[username], agency=agencies[code], role=role)
    return users


class Command(BaseCommand):
    help = "Load the demo province: agencies, the S&T procedure catalogue, and one user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password for every demo user")

    def handle(self, *args, **opts) -> None:
        summary = catalogue_load_demo()
        self.stdout.write(f"catalogue: {summary}")
        demo_users_seed(opts["password"])
        self.stdout.write("demo users (password for all: {}):".format(opts["password"]))
        for username, role, _name in DEMO_USERS:
            where = ", ".join(code for u, _r, code in DEMO_MEMBERSHIPS if u == username)
            self.stdout.write(f"  {username:<12} {role.label}" + (f" — {where}" if where else ""))
