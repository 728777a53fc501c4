"""Misconfigured calendar settings stop the service at start-up with a clear message."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from sla.checks import check_calendar_settings


def test_default_settings_pass():
    assert check_calendar_settings() == []


@pytest.mark.parametrize(
    ("name", "value", "error_id"),
    [
        ("SLA_OFFICE_HOURS", ["07:00-11:30", "11:00-17:00"], "sla.E001"),
        ("SLA_OFFICE_HOURS", ["7h-11h30"], "sla.E001"),
        ("SLA_DEFAULT_CUTOFF", "after_lunch", "sla.E002"),
        ("SLA_CUTOFF_TIME", "15h", "sla.E003"),
        ("SLA_FIRST_YEAR", 2050, "sla.E004"),
    ],
)
def test_bad_settings_are_reported(settings, name, value, error_id):
    setattr(settings, name, value)
    assert [e.id for e in check_calendar_settings()] == [error_id]
    with pytest.raises(SystemCheckError, match=name):
        call_command("check")
