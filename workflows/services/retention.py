"""Retention purges: what may be deleted, after how long, and the record each purge leaves behind.

Each purge is a management command and a Celery beat entry (``config/settings.py``), and every run writes a
``RetentionPurge`` row (kind, cut-off, retention, rows deleted, by whom) — append-only in the database.

* ``idempotency_purge`` — ``IdempotencyKey`` rows older than ``IDEMPOTENCY_KEY_RETENTION_DAYS`` (7): a
  partner retries a request within minutes or hours; after a week a repeated key is a new request.
* ``outbox_purge`` — ``OutboxEvent`` rows older than ``OUTBOX_RETENTION_DAYS`` (90) whose every delivery was
  acknowledged more than that long ago, with those deliveries. Never a pending or dead delivery (it is still
  owed to its subscriber) nor the event it carries. The ``DossierEvent`` itself stays: dossier events are
  never purged. ``outbox_replay --missing`` can then fill a new subscriber in over the last 90 days only.
* ``access_log_purge`` — ``PersonalDataAccess`` rows older than ``PERSONAL_DATA_ACCESS_RETENTION_DAYS``
  (730; Decree 13/2023/NĐ-CP and the Law on Personal Data Protection 2025 — keep no longer than needed;
  provincial rules keep the access log at least two years). A setting below
  :data:`workflows.audit.ACCESS_LOG_MIN_RETENTION_DAYS` is refused here, and the database trigger refuses to
  delete a younger row whoever asks. This is the one sanctioned delete of audit data.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from workflows.audit import ACCESS_LOG_MIN_RETENTION_DAYS
from workflows.choices import DeliveryStatus
from workflows.models import Delivery, IdempotencyKey, OutboxEvent, PersonalDataAccess, RetentionPurge

BATCH = 1000

KIND_IDEMPOTENCY = "idempotency_key"
KIND_OUTBOX = "outbox"
KIND_ACCESS_LOG = "personal_data_access"


def purge_actor(via: str) -> str:
    """Who runs a purge, as the purge log records it: the operating-system account and the entry point."""
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        account = f"uid {os.getuid()}" if hasattr(os, "getuid") else "?"
    return f"{account} ({via})"[:150]


def _log(kind: str, cutoff: datetime, days: int, deleted: int, by: str) -> RetentionPurge:
    return RetentionPurge.objects.create(
        kind=kind, cutoff=cutoff, retention_days=days, deleted=deleted, by=by
    )


def _delete_in_batches(queryset) -> int:
    """Delete by primary key in batches, so a first purge of a large backlog does not hold one huge lock."""
    deleted = 0
    while pks := list(queryset.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            deleted += queryset.model.objects.filter(pk__in=pks).delete()[0]
    return deleted


def idempotency_keys_purge(*, by: str, now: datetime | None = None) -> RetentionPurge:
    """Delete idempotency keys older than ``IDEMPOTENCY_KEY_RETENTION_DAYS`` (default 7)."""
    days = int(settings.IDEMPOTENCY_KEY_RETENTION_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = _delete_in_batches(IdempotencyKey.objects.filter(created_at__lt=cutoff))
    return _log(KIND_IDEMPOTENCY, cutoff, days, deleted, by)


def outbox_purge(*, by: str, now: datetime | None = None) -> RetentionPurge:
    """Delete outbox rows older than ``OUTBOX_RETENTION_DAYS`` (default 90) that owe nobody anything."""
    days = int(settings.OUTBOX_RETENTION_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    owed = Delivery.objects.filter(outbox_event_id=OuterRef("pk")).filter(
        ~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=True) | Q(delivered_at__gte=cutoff)
    )
    old = OutboxEvent.objects.filter(created_at__lt=cutoff).filter(~Exists(owed)).order_by("pk")
    deleted = 0
    while pks := list(old.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():  # the deliveries go with their event (CASCADE)
            deleted += OutboxEvent.objects.filter(pk__in=pks).delete()[1].get(OutboxEvent._meta.label, 0)
    return _log(KIND_OUTBOX, cutoff, days, deleted, by)


def access_log_retention_days() -> int:
    """``PERSONAL_DATA_ACCESS_RETENTION_DAYS``, refused below the legal minimum (two years)."""
    days = int(settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS)
    if days < ACCESS_LOG_MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"PERSONAL_DATA_ACCESS_RETENTION_DAYS={days}: the personal-data access log is kept at least "
            f"{ACCESS_LOG_MIN_RETENTION_DAYS} days"
        )
    return days


def access_log_purge(*, by: str, now: datetime | None = None) -> RetentionPurge:
    """Delete access-log rows past their retention; the deletion and its log row commit together."""
    days = access_log_retention_days()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        deleted = PersonalDataAccess.objects.filter(at__lt=cutoff).delete()[0]
        return _log(KIND_ACCESS_LOG, cutoff, days, deleted, by)


__all__ = [
    "access_log_purge",
    "access_log_retention_days",
    "idempotency_keys_purge",
    "outbox_purge",
    "purge_actor",
]
