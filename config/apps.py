"""Django's admin app with motcua's admin site (see :class:`config.admin_site.MotcuaAdminSite`)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class MotcuaAdminConfig(AdminConfig):
    """``admin.site`` becomes :class:`~config.admin_site.MotcuaAdminSite`, so every ``@admin.register``
    of the apps lands on the site that refuses users still owing their second factor."""

    default_site = "config.admin_site.MotcuaAdminSite"
