"""Formatting for the desk's pages and printed slips (the forms write times as "giờ, phút, ngày")."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def gio_phut_ngay(value: datetime | None) -> str:
    """``16 giờ 30 phút, ngày 05/09/2025`` in local time — the wording of Mẫu 01/06 (domain §1.10)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return _("%(h)s giờ %(m)s phút, ngày %(d)s") % {
        "h": f"{local:%H}",
        "m": f"{local:%M}",
        "d": f"{local:%d/%m/%Y}",
    }


@register.filter
def ngay_thang_nam(value: datetime | None) -> str:
    """``ngày 05 tháng 09 năm 2025`` — the place/date line of a slip's header."""
    if not value:
        return ""
    local = timezone.localtime(value) if isinstance(value, datetime) else value
    return _("ngày %(d)s tháng %(m)s năm %(y)s") % {
        "d": f"{local:%d}",
        "m": f"{local:%m}",
        "y": f"{local:%Y}",
    }


@register.filter
def lines(value: str) -> list[str]:
    """Non-empty lines of a text (a reason typed one item per line becomes a numbered list)."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]
