"""The years the working calendar knows (``SLA_FIRST_YEAR``–``SLA_LAST_YEAR``), as a bound for typed dates.

Why every date input is bounded by them: outside these years the public holidays and day swaps (Labour Code
2019 Art. 112 and the yearly Prime Minister's notices) are unknown, so the calendar refuses to compute
(``sla.calendar.CalendarOutOfRange``); a report period, a new appointment date or a filter date outside them
can only be a typing mistake — or an attempt to make date arithmetic overflow (year 1 or 9999) and the page
fail. Checking the date where it is typed gives the user a sentence instead of an error page.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def calendar_years() -> tuple[int, int]:
    """(first, last) year of the working calendar, both included."""
    return settings.SLA_FIRST_YEAR, settings.SLA_LAST_YEAR


def in_calendar(value: date | datetime) -> bool:
    first, last = calendar_years()
    return first <= value.year <= last


def outside_calendar_message() -> str:
    first, last = calendar_years()
    return _("Ngày phải nằm trong các năm %(first)s–%(last)s của lịch làm việc.") % {
        "first": first,
        "last": last,
    }


def validate_in_calendar(value: date | datetime | None) -> None:
    """Form/serializer validator: a date or moment inside the working calendar's years (None passes)."""
    if value is not None and not in_calendar(value):
        raise ValidationError(outside_calendar_message(), code="outside_calendar")


__all__ = ["calendar_years", "in_calendar", "outside_calendar_message", "validate_in_calendar"]
