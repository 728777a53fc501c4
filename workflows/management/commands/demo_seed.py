"""``manage.py demo_seed``: a demo province to click through (agencies, catalogue, users per role).

Idempotent: running it again changes nothing. Passwords are for the demo only and are printed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from procedures.services import catalogue_load_demo
from workflows.roles import Role, role_groups_sync

DEMO_PASSWORD = "motcua-demo"

DEMO_USERS: list[tuple[str, Role, str]] = [
    ("motcua", Role.DESK_OFFICER, "Nguyễn Thị Một Cửa"),
    ("chuyenvien", Role.SPECIALIST, "Trần Văn Chuyên"),
    ("truongphong", Role.HEAD_OF_UNIT, "Lê Thị Trưởng Phòng"),
    ("giamdoc", Role.DIRECTOR, "Phạm Văn Giám Đốc"),
    ("giamsat", Role.SUPERVISOR, "Hoàng Thị Giám Sát"),
    ("quantri", Role.ADMINISTRATOR, "Đỗ Văn Quản Trị"),
]


class Command(BaseCommand):
    help = "Load the demo province: agencies, the S&T procedure catalogue, and one user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password for every demo user")

    def handle(self, *args, **opts) -> None:
        summary = catalogue_load_demo()
        self.stdout.write(f"catalogue: {summary}")
        groups = role_groups_sync()
        User = get_user_model()
        for username, role, full_name in DEMO_USERS:
            first, _sep, last = full_name.rpartition(" ")
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": last, "last_name": first}
            )
            if created:
                user.set_password(opts["password"])
            user.is_staff = True
            user.is_superuser = role is Role.ADMINISTRATOR
            user.save()
            user.groups.set([groups[role]])
        self.stdout.write("demo users (password for all: {}):".format(opts["password"]))
        for username, role, _name in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role.label}")
