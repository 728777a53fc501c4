"""Start-up check of the retention settings: a personal-data access log kept shorter than the legal minimum
must stop the service with a clear message, not be discovered when the purge refuses to run."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from workflows.audit import ACCESS_LOG_MIN_RETENTION_DAYS


@register()
def check_retention_settings(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    days = getattr(settings, "PERSONAL_DATA_ACCESS_RETENTION_DAYS", ACCESS_LOG_MIN_RETENTION_DAYS)
    if days < ACCESS_LOG_MIN_RETENTION_DAYS:
        errors.append(
            Error(
                f"PERSONAL_DATA_ACCESS_RETENTION_DAYS={days}; the personal-data access log is kept at least "
                f"{ACCESS_LOG_MIN_RETENTION_DAYS} days (Decree 13/2023/NĐ-CP; provincial rules: two years)",
                id="workflows.E001",
            )
        )
    for name in ("IDEMPOTENCY_KEY_RETENTION_DAYS", "OUTBOX_RETENTION_DAYS", "AUDIT_VERIFY_DAYS"):
        if getattr(settings, name, 1) < 1:
            errors.append(Error(f"{name} must be at least 1 day", id="workflows.E002"))
    return errors
