"""The admin site: Django's, refusing a user who still owes the second factor (as django-otp's OTPAdminSite).

:class:`config.twofactor.SecondFactorMiddleware` already sends such a user to the code page; checking here too
means no admin view is reachable with a password alone even if the middleware were left out of MIDDLEWARE.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from config.twofactor import second_factor_pending


class MotcuaAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not second_factor_pending(request)
