"""Start-up check of the calendar settings: a wrong office-hours string or cut-off mode must stop the
service with a clear message, not surface later as an error in the middle of a receipt."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import Error, register

from sla.calendar import Cutoff, parse_sessions


@register()
def check_calendar_settings(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    try:
        parse_sessions(settings.SLA_OFFICE_HOURS)
    except ValueError as exc:
        errors.append(Error(f"SLA_OFFICE_HOURS is invalid: {exc}", id="sla.E001"))
    if settings.SLA_DEFAULT_CUTOFF not in {c.value for c in Cutoff}:
        errors.append(
            Error(
                f"SLA_DEFAULT_CUTOFF={settings.SLA_DEFAULT_CUTOFF!r}; expected one of "
                + "|".join(c.value for c in Cutoff),
                id="sla.E002",
            )
        )
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", settings.SLA_CUTOFF_TIME):
        errors.append(Error(f"SLA_CUTOFF_TIME={settings.SLA_CUTOFF_TIME!r}; expected HH:MM", id="sla.E003"))
    if not settings.SLA_FIRST_YEAR <= settings.SLA_LAST_YEAR:
        errors.append(Error("SLA_FIRST_YEAR must not be after SLA_LAST_YEAR", id="sla.E004"))
    return errors
