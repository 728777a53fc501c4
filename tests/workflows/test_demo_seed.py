"""``manage.py demo_seed`` loads the demo province once, and again changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from procedures.models import Procedure
from workflows.management.commands.demo_seed import DEMO_PASSWORD, DEMO_USERS
from workflows.roles import Role, role_group_name

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_creates_a_user_per_role(client):
    call_command("demo_seed", stdout=StringIO())
    procedures = Procedure.objects.count()
    users = get_user_model().objects.count()
    call_command("demo_seed", stdout=StringIO())
    assert Procedure.objects.count() == procedures >= 30
    assert get_user_model().objects.count() == users == len(DEMO_USERS)
    assert {r for _u, r, _n in DEMO_USERS} == set(Role)
    for username, role, _name in DEMO_USERS:
        user = get_user_model().objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.groups.get().name == role_group_name(role)


def test_demo_administrator_can_open_the_catalogue_in_the_admin(client):
    call_command("demo_seed", stdout=StringIO())
    assert client.login(username="quantri", password=DEMO_PASSWORD)
    response = client.get("/admin/procedures/procedure/")
    assert response.status_code == 200
    assert "1.014438" in response.content.decode()


def test_only_the_administrator_demo_user_is_staff(client):
    """Least privilege: a role that administers nothing never enters the Django admin (it works in the
    scoped one-stop pages); the catalogue stays readable on the public catalogue page."""
    call_command("demo_seed", stdout=StringIO())
    staff = set(get_user_model().objects.filter(is_staff=True).values_list("username", flat=True))
    assert staff == {u for u, role, _n in DEMO_USERS if role is Role.ADMINISTRATOR}
    assert client.login(username="motcua", password=DEMO_PASSWORD)
    response = client.get("/admin/procedures/procedure/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
