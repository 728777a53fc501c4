"""TOTP second factor (django-otp) for superusers, staff, administrators and supervisors.

Tokens are computed from the enrolled device's secret under a frozen clock (RFC 6238 is time-based), with a
real ``TOTPDevice`` in the database.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from tests.conftest import LoginClient
from workflows.roles import Role, role_group_name

pytestmark = pytest.mark.django_db

PASSWORD = "Mật-khẩu-quản-trị-2026"
START = datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("UTC"))


def _token(device) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def _password_login(username: str) -> LoginClient:
    client = LoginClient()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("quantri", password=PASSWORD)


def test_required_second_factor_enrol_then_verify_at_every_login(admin_user, settings):
    settings.MOTCUA_2FA_REQUIRED = True
    with time_machine.travel(START, tick=False) as clock:
        client = _password_login("quantri")
        # The password alone opens nothing: the admin sends the user to the enrolment page.
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/setup/?next=%2Fadmin%2F"
        assert client.get("/ho-so/").status_code == 302
        page = client.get("/accounts/2fa/setup/?next=/admin/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "<svg" in html
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user=admin_user, confirmed=False)

        response = client.post("/accounts/2fa/setup/", {"otp_token": "000000", "next": "/admin/"})
        assert response.status_code == 200
        assert "Mã không đúng" in response.content.decode()
        clock.shift(timedelta(seconds=31))  # past django-otp's throttle after a wrong code
        response = client.post("/accounts/2fa/setup/", {"otp_token": _token(device), "next": "/admin/"})
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        device.refresh_from_db()
        assert device.confirmed
        assert client.get("/admin/").status_code == 200

        # Next login: password, then a code from the device.
        clock.shift(timedelta(minutes=1))
        other = _password_login("quantri")
        response = other.get("/admin/")
        assert response["Location"] == "/accounts/2fa/verify/?next=%2Fadmin%2F"
        # A stolen password cannot enrol a second device while the first is not verified.
        assert other.get("/accounts/2fa/setup/")["Location"].startswith("/accounts/2fa/verify/")
        wrong = other.post("/accounts/2fa/verify/", {"otp_token": "123456", "next": "/admin/"})
        assert wrong.status_code == 200
        assert other.get("/admin/").status_code == 302
        # django-otp throttles after a failure (1 s, doubling): the next try comes later.
        clock.shift(timedelta(seconds=31))
        response = other.post("/accounts/2fa/verify/", {"otp_token": _token(device), "next": "/admin/"})
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        assert other.get("/admin/").status_code == 200


def test_supervisor_group_needs_the_second_factor_a_plain_user_does_not(django_user_model, settings):
    settings.MOTCUA_2FA_REQUIRED = True
    from workflows.roles import role_groups_sync

    role_groups_sync()
    supervisor = django_user_model.objects.create_user("giamsat", password=PASSWORD)
    supervisor.groups.add(Group.objects.get(name=role_group_name(Role.SUPERVISOR)))
    django_user_model.objects.create_user("canbo", password=PASSWORD)

    response = _password_login("giamsat").get("/giam-sat/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/setup/")
    response = _password_login("canbo").get("/accounts/2fa/setup/")
    assert response.status_code == 200  # may enrol, is not forced to
    assert not _password_login("canbo").get("/").get("Location", "").startswith("/accounts/2fa/")


def test_demo_second_factor_is_optional_but_enforced_once_enrolled(admin_user, settings):
    settings.MOTCUA_2FA_REQUIRED = False
    with time_machine.travel(START, tick=False):
        client = _password_login("quantri")
        assert client.get("/admin/").status_code == 200
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=admin_user, name="motcua", confirmed=True)
        assert _password_login("quantri").get("/admin/")["Location"].startswith("/accounts/2fa/verify/")


def test_the_admin_site_itself_refuses_an_unverified_user(admin_user, settings):
    """Without the middleware too, no admin page opens with a password alone (as in OTPAdminSite)."""
    settings.MOTCUA_2FA_REQUIRED = True
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "config.twofactor.SecondFactorMiddleware"]
    response = _password_login("quantri").get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_public_pages_healthz_and_logout_stay_reachable_while_the_code_is_owed(admin_user, settings):
    settings.MOTCUA_2FA_REQUIRED = True
    client = _password_login("quantri")
    assert client.get("/healthz").status_code in {200, 503}
    assert client.get("/accounts/2fa/setup/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code in {200, 302}
    assert "_auth_user_id" not in client.session


def test_an_administrator_never_reads_another_users_totp_secret(admin_user, django_user_model, settings):
    """The administrator role may reset a lost device (view, delete) but must not read its key: with the key
    or its QR code anyone computes the codes, and the superuser's second factor is gone."""
    settings.MOTCUA_2FA_REQUIRED = False
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from workflows.roles import role_groups_sync

    role_groups_sync()
    device = TOTPDevice.objects.create(user=admin_user, name="motcua", confirmed=True)
    administrator = django_user_model.objects.create_user("quantri-xa", password=PASSWORD, is_staff=True)
    administrator.groups.add(Group.objects.get(name=role_group_name(Role.ADMINISTRATOR)))
    client = _password_login("quantri-xa")
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200  # may still find a lost device
    for page in ("change", "config", "qrcode"):
        response = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{page}/")
        assert device.key not in response.content.decode(errors="replace"), page
        assert page == "change" or response.status_code == 403, page


def test_an_administrator_resets_devices_and_lockouts_of_their_own_agency_only(
    admin_user, django_user_model, settings
):
    """A commune's administrator must not strip the second factor of a superuser or of another agency's staff
    (with a stolen password the next login would enrol the thief's phone), nor lift their login lockout."""
    settings.MOTCUA_2FA_REQUIRED = False
    from axes.models import AccessAttempt
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from procedures.models import Agency
    from workflows.models import Membership
    from workflows.roles import role_groups_sync

    role_groups_sync()
    commune = Agency.objects.create(code="XA-A", name="UBND xã A", level="commune")
    other = Agency.objects.create(code="XA-B", name="UBND xã B", level="commune")
    administrator = django_user_model.objects.create_user("quantri-xa", password=PASSWORD, is_staff=True)
    administrator.groups.add(Group.objects.get(name=role_group_name(Role.ADMINISTRATOR)))
    Membership.objects.create(user=administrator, agency=commune, role=Role.ADMINISTRATOR)
    colleague = django_user_model.objects.create_user("chuyenvien-a", password=PASSWORD)
    Membership.objects.create(user=colleague, agency=commune, role=Role.SPECIALIST)
    stranger = django_user_model.objects.create_user("giamsat-b", password=PASSWORD)
    Membership.objects.create(user=stranger, agency=other, role=Role.SUPERVISOR)
    devices = {
        user.username: TOTPDevice.objects.create(user=user, name="motcua", confirmed=True)
        for user in (admin_user, colleague, stranger)
    }
    for user in (admin_user, colleague, stranger):
        AccessAttempt.objects.create(username=user.username, ip_address="10.0.0.1", failures_since_start=5)

    client = _password_login("quantri-xa")
    listed = client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert ">chuyenvien-a</a>" in listed
    assert ">quantri</a>" not in listed and ">giamsat-b</a>" not in listed
    for device in devices.values():
        client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert set(TOTPDevice.objects.values_list("user__username", flat=True)) == {"quantri", "giamsat-b"}

    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    unlock = {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}
    client.post("/admin/axes/accessattempt/", unlock)
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"quantri", "giamsat-b"}


def test_an_administrator_cannot_move_another_agency_into_their_own_tree(django_user_model, settings):
    """A membership covers the agencies below it: a commune's administrator who could set a department's
    parent to their commune would administer that department, its staff's memberships and its dossiers."""
    settings.MOTCUA_2FA_REQUIRED = False
    from procedures.models import Agency
    from workflows import policy
    from workflows.models import Membership
    from workflows.roles import role_groups_sync

    role_groups_sync()
    province = Agency.objects.create(code="TINH", name="UBND tỉnh", level="province")
    department = Agency.objects.create(code="SO", name="Sở", level="department", parent=province)
    commune = Agency.objects.create(code="XA-A", name="UBND xã A", level="commune", parent=province)
    administrator = django_user_model.objects.create_user("quantri-xa", password=PASSWORD, is_staff=True)
    administrator.groups.add(Group.objects.get(name=role_group_name(Role.ADMINISTRATOR)))
    Membership.objects.create(user=administrator, agency=commune, role=Role.ADMINISTRATOR)
    client = _password_login("quantri-xa")
    inline = {
        f"children-{k}": v for k, v in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MAX_NUM_FORMS", 1000))
    }
    fields = {"name": "Sở", "level": "department", "e_id": "", "is_active": "on", **inline}
    client.post(
        f"/admin/procedures/agency/{department.pk}/change/", {"code": "SO", "parent": commune.pk, **fields}
    )
    client.post("/admin/procedures/agency/add/", {"code": "XA-A-MOI", "parent": province.pk, **fields})
    department.refresh_from_db()
    assert department.parent_id == province.pk
    assert not Agency.objects.filter(code="XA-A-MOI", parent=province).exists()
    assert department.pk not in policy.administered_agency_ids(
        django_user_model.objects.get(pk=administrator.pk)
    )
    # Their own tree stays theirs to keep: a unit below the commune is added there.
    client.post("/admin/procedures/agency/add/", {"code": "XA-A-VP", "parent": commune.pk, **fields})
    assert Agency.objects.filter(code="XA-A-VP", parent=commune).exists()
