"""Login throttling (django-axes), session timeout after inactivity, and the CSRF-protected logout."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tests.conftest import LoginClient

pytestmark = pytest.mark.django_db

PASSWORD = "Mật-khẩu-đúng-2026"
START = datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def clerk(django_user_model):
    """A staff member who may log in on both pages (the admin requires staff status)."""
    return django_user_model.objects.create_user(username="canbo", password=PASSWORD, is_staff=True)


def _post_login(client: Client, path: str, password: str, address: str = "10.1.1.1"):
    return client.post(path, {"username": "canbo", "password": password}, REMOTE_ADDR=address)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_forty_wrong_passwords_then_the_right_one_is_refused_until_an_administrator_unlocks(
    clerk, django_user_model, path
):
    attacker = Client()
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(40):
            response = _post_login(attacker, path, "doan-mo-mat-khau")
            assert response.status_code in {200, 429}
        response = _post_login(attacker, path, PASSWORD)
        assert response.status_code == 429
        assert "Tài khoản tạm khóa" in response.content.decode()
        assert not _logged_in(attacker)

        # Still locked a minute later; then an administrator unlocks it in the admin ("Access attempts").
        from axes.models import AccessAttempt

        clock.shift(timedelta(minutes=1))
        assert _post_login(attacker, path, PASSWORD).status_code == 429
        attempts = list(AccessAttempt.objects.filter(username="canbo").values_list("pk", flat=True))
        assert attempts
        admin = django_user_model.objects.create_superuser("quantri2", password="Khác-hẳn-2026")
        admin_client = Client()
        admin_client.force_login(admin)
        changelist = "/admin/axes/accessattempt/"
        assert "canbo" in admin_client.get(changelist).content.decode()
        response = admin_client.post(
            changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}
        )
        assert response.status_code == 302
        assert not AccessAttempt.objects.filter(username="canbo").exists()

        response = _post_login(attacker, path, PASSWORD)
        assert response.status_code == 302, response.content.decode()[:500]
        assert _logged_in(attacker)


def test_the_lockout_is_per_username_and_address_and_ends_after_the_cool_off(clerk, django_user_model):
    django_user_model.objects.create_user(username="dongnghiep", password=PASSWORD)
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            _post_login(Client(), "/accounts/login/", "sai", address="10.1.1.1")
        assert _post_login(Client(), "/accounts/login/", PASSWORD, address="10.1.1.1").status_code == 429
        # The same clerk from another address, and a colleague from the same address, still log in.
        assert _post_login(Client(), "/accounts/login/", PASSWORD, address="10.2.2.2").status_code == 302
        colleague = Client().post(
            "/accounts/login/", {"username": "dongnghiep", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
        )
        assert colleague.status_code == 302
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert _post_login(Client(), "/accounts/login/", PASSWORD, address="10.1.1.1").status_code == 302


def test_axes_unlock_command_resets_a_username(clerk):
    from django.core.management import call_command

    with time_machine.travel(START, tick=False):
        for _ in range(6):
            _post_login(Client(), "/accounts/login/", "sai")
        assert _post_login(Client(), "/accounts/login/", PASSWORD).status_code == 429
        call_command("axes_reset_username", "canbo")
        assert _post_login(Client(), "/accounts/login/", PASSWORD).status_code == 302


def test_session_ends_after_thirty_minutes_without_a_request(clerk):
    client = LoginClient()
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(clerk)
        assert client.get("/admin/").status_code == 200
        # Activity keeps the session alive: 29 minutes, twice.
        clock.shift(timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200
        # 31 minutes of inactivity end it.
        clock.shift(timedelta(minutes=31))
        response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_logout_is_a_post_with_a_csrf_token_and_refused_without_it(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    page = client.get("/admin/").content.decode()
    assert 'action="/admin/logout/"' in page
    assert "csrfmiddlewaretoken" in page
    for path in ("/accounts/logout/", "/admin/logout/"):
        assert client.post(path).status_code == 403
        assert _logged_in(client)
        # A GET never logs out (a link or an image cannot end the session).
        assert client.get(path).status_code == 405
        assert _logged_in(client)


def test_the_administrator_role_unlocks_in_the_admin(clerk, django_user_model):
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Group

    from workflows.roles import Role, role_group_name, role_groups_sync

    role_groups_sync()
    administrator = django_user_model.objects.create_user(
        "quantrivien", password="Khác-hẳn-2026", is_staff=True
    )
    administrator.groups.add(Group.objects.get(name=role_group_name(Role.ADMINISTRATOR)))
    # The role unlocks the accounts of the agencies it administers (workflows.policy.administered_users).
    from procedures.models import Agency
    from workflows.models import Membership

    commune = Agency.objects.create(code="XA-A", name="UBND xã A", level="commune")
    Membership.objects.create(user=administrator, agency=commune, role=Role.ADMINISTRATOR)
    Membership.objects.create(user=clerk, agency=commune, role=Role.DESK_OFFICER)
    with time_machine.travel(START, tick=False):
        for _ in range(6):
            _post_login(Client(), "/accounts/login/", "sai")
        assert _post_login(Client(), "/accounts/login/", PASSWORD).status_code == 429
        admin_client = Client()
        admin_client.force_login(administrator)
        attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
        response = admin_client.post(
            "/admin/axes/accessattempt/",
            {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
        )
        assert response.status_code == 302
        assert _post_login(Client(), "/accounts/login/", PASSWORD).status_code == 302


def test_an_ipv6_client_cannot_escape_the_lockout_by_rotating_addresses_in_its_own_64(clerk):
    """One IPv6 subscriber holds a whole /64 (2^64 addresses): the lockout counts it as one address, like the
    public pages' rate limits (django-ratelimit's RATELIMIT_IPV6_MASK)."""
    with time_machine.travel(START, tick=False):
        for n in range(40):
            _post_login(Client(), "/accounts/login/", "sai", address=f"2001:db8:1:2::{n + 1:x}")
        response = _post_login(Client(), "/accounts/login/", PASSWORD, address="2001:db8:1:2::ffff")
        assert response.status_code == 429
        # Another subscriber's /64 is another address.
        assert (
            _post_login(Client(), "/accounts/login/", PASSWORD, address="2001:db8:1:3::1").status_code == 302
        )
