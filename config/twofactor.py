"""TOTP second factor (django-otp) for the accounts that can change or oversee everything.

Who: superusers, staff (they reach the Django admin) and holders of the administrator or supervisor role
(group or unit membership, :mod:`workflows.roles`). With ``MOTCUA_2FA_REQUIRED`` (production default) such a
user who has logged in with a password is held on the enrolment page (``/accounts/2fa/setup/``: QR code for an
authenticator app, then a first code) or the verification page (``/accounts/2fa/verify/``) until a valid code
is given; in the demo it is optional, but whoever has enrolled a device is always asked for a code.
Required by the account-management rules for a level-3 system (Decree 85/2016/NĐ-CP, TCVN 11930:2017).
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from workflows.models import Membership
from workflows.roles import Role, role_group_name

SECOND_FACTOR_ROLES = (Role.ADMINISTRATOR, Role.SUPERVISOR)
DEVICE_NAME = "motcua"
INVALID_CODE = _("Mã không đúng hoặc đã hết hạn. Nhập mã đang hiển thị trong ứng dụng.")


def second_factor_applies(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the second factor is mandatory for ``user`` when MOTCUA_2FA_REQUIRED is on."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    if user.groups.filter(name__in=[role_group_name(r) for r in SECOND_FACTOR_ROLES]).exists():
        return True
    return Membership.objects.filter(user=user, role__in=SECOND_FACTOR_ROLES).exists()


def second_factor_pending(request: HttpRequest) -> bool:
    """A logged-in user who must still give a code: enrolled and not verified in this session, or (when
    required) in a role that needs the second factor. Computed once per request."""
    cached = getattr(request, "_motcua_second_factor_pending", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    pending = False
    if user is not None and user.is_authenticated and not _is_verified(user):
        pending = user_has_device(user) or (settings.MOTCUA_2FA_REQUIRED and second_factor_applies(user))
    request._motcua_second_factor_pending = pending
    return pending


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def _exempt(request: HttpRequest) -> bool:
    """Pages a half-logged-in user may still reach: the code pages, logging out, static files, language
    switch, operational endpoints and the API (authenticated by key, never by the session)."""
    path_info = request.path_info
    static = "/" + settings.STATIC_URL.lstrip("/")
    prefixes = ("/accounts/2fa/", "/accounts/logout/", "/admin/logout/", static, "/i18n/", "/api/")
    return path_info.startswith(prefixes) or path_info in {"/healthz", "/metrics"}


class SecondFactorMiddleware:
    """Holds a user who owes a code on the enrolment or verification page (after AuthenticationMiddleware
    and django-otp's OTPMiddleware)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if second_factor_pending(request) and not _exempt(request):
            name = "twofactor-verify" if user_has_device(request.user) else "twofactor-setup"
            return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return settings.LOGIN_REDIRECT_URL


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Mã 6 chữ số từ ứng dụng xác thực"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: show its QR code and secret, confirm it with a first code.

    A user who already has a confirmed device must verify with it first, so a stolen password alone cannot
    replace the device."""
    user = request.user
    if user_has_device(user) and not _is_verified(user):
        return redirect(f"{reverse('twofactor-verify')}?{urlencode({'next': _next_url(request)})}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, gettext("Đã bật xác thực hai lớp cho tài khoản."))
            return redirect(_next_url(request))
        form.add_error("otp_token", str(INVALID_CODE))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    context = {
        "form": form,
        "qr_svg": qr_svg,
        "secret": _base32(device),
        "next": _next_url(request),
        "required": settings.MOTCUA_2FA_REQUIRED and second_factor_applies(user),
        "enrolled": user_has_device(user),
    }
    return render(request, "twofactor/setup.html", context)


def _base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class VerifyForm(OTPTokenForm):
    """django-otp's token form with Vietnamese labels; the device choice is hidden (one TOTP device)."""

    otp_error_messages = {
        "token_required": _("Nhập mã xác thực."),
        "challenge_exception": _("Không gửi được mã: {0}"),
        "not_interactive": _("Thiết bị không gửi mã chủ động."),
        "challenge_message": _("Đã gửi mã: {0}"),
        "invalid_token": INVALID_CODE,
        "n_failed_attempts": _("Nhập sai %(failure_count)d lần liên tiếp; tạm thời chưa thể xác thực."),
        "verification_not_allowed": _("Tạm thời chưa thể xác thực. Vui lòng thử lại sau."),
        "device_required": _("Tài khoản chưa có thiết bị xác thực."),
    }

    def __init__(self, user: Any, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, request, *args, **kwargs)
        self.fields["otp_device"].widget = forms.HiddenInput()
        self.fields["otp_token"].label = _("Mã 6 chữ số từ ứng dụng xác thực")
        attrs = {"autocomplete": "one-time-code", "inputmode": "numeric"}
        self.fields["otp_token"].widget.attrs.update(attrs)


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the enrolled device."""
    user = request.user
    if not user_has_device(user):
        return redirect(f"{reverse('twofactor-setup')}?{urlencode({'next': _next_url(request)})}")
    data = None
    if request.method == "POST":
        # One TOTP device per user (the one enrolled here): the code is checked against it.
        data = request.POST.copy()
        data["otp_device"] = next(d.persistent_id for d in devices_for_user(user))
    form = VerifyForm(user, request, data=data)
    if form.is_valid():
        otp_login(request, user.otp_device)
        return redirect(_next_url(request))
    return render(request, "twofactor/verify.html", {"form": form, "next": _next_url(request)})


urlpatterns = [
    path("accounts/2fa/setup/", setup, name="twofactor-setup"),
    path("accounts/2fa/verify/", verify, name="twofactor-verify"),
]
