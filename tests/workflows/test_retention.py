"""Retention purges (idempotency keys 7 days, acknowledged outbox rows 90 days, access log ≥ 2 years) and the
daily audit check: what is kept, what goes, and the record each run leaves (Decree 13/2023/NĐ-CP).

"Now" is frozen with time-machine. The access-log trigger compares with the *database's* clock, which
time-machine does not move: the rows to purge are dated 2021, older than two years whenever the suite runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils.dateparse import parse_datetime

from procedures.models import Agency, Procedure
from procedures.services import catalogue_load_demo
from workflows import services as svc
from workflows.choices import DeliveryStatus
from workflows.models import (
    ApiClient,
    Delivery,
    Dossier,
    DossierEvent,
    IdempotencyKey,
    OutboxEvent,
    PersonalDataAccess,
    Subscriber,
)
from workflows.roles import role_groups_sync

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # the demo procedure is in force from 1/7/2025
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345", phone="0912345678")


@pytest.fixture
def catalogue(db):
    catalogue_load_demo()
    role_groups_sync()
    return Procedure.objects.get(code="1.014431")


def _received(procedure: Procedure, when: datetime) -> Dossier:
    with time_machine.travel(when, tick=False):
        d = svc.dossier_receive(
            procedure=procedure,
            at=when,
            reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
            applicant=PERSON,
        )
        return svc.dossier_step_done(dossier=d, at=when + timedelta(minutes=5))


def _model(name: str):
    """Models added with the purges, looked up by name so the tests fail by behaviour on older code."""
    from django.apps import apps

    return apps.get_model("workflows", name)


def _purge(command: str, **kwargs):
    """Run a purge command at NOW; return the purge-log row it wrote."""
    with time_machine.travel(NOW, tick=False):
        call_command(command, stdout=StringIO(), **kwargs)
    return _model("RetentionPurge").objects.order_by("-pk").first()


def _db_now() -> datetime:
    """The database's own clock (what the access-log trigger compares with)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        value = cursor.fetchone()[0]
    value = parse_datetime(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- idempotency keys: 7 days ------------------------------------------------------------------------------


def test_idempotency_keys_older_than_a_week_go(django_user_model):
    user = django_user_model.objects.create_user("cong")
    client, _ = ApiClient.objects.create_key(name="cổng", user=user, scopes=[])
    for key, age in (("cu", timedelta(days=7, seconds=1)), ("moi", timedelta(days=6, hours=23))):
        with time_machine.travel(NOW - age, tick=False):
            IdempotencyKey.objects.create(client=client, key=key, request_hash="x")
    run = _purge("idempotency_purge")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["moi"]
    assert (run.kind, run.deleted, run.retention_days, run.cutoff) == (
        "idempotency_key",
        1,
        7,
        NOW - timedelta(days=7),
    )


# --- outbox: acknowledged rows after 90 days, never what is still owed -------------------------------------


def test_acknowledged_outbox_rows_older_than_90_days_go_pending_and_dead_stay(catalogue):
    subscriber = Subscriber.objects.create(name="dvcqg", url="https://dvcqg.example/hook", secret="s")
    old = _received(catalogue, NOW - timedelta(days=120))  # 2 events: receive, step done
    mixed = _received(catalogue, NOW - timedelta(days=100))
    late = _received(catalogue, NOW - timedelta(days=110))
    long_ago = NOW - timedelta(days=95)
    Delivery.objects.filter(dossier=old).update(status=DeliveryStatus.DELIVERED, delivered_at=long_ago)
    first, second = Delivery.objects.filter(dossier=mixed).order_by("outbox_event_id")
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.DELIVERED, delivered_at=long_ago)
    Delivery.objects.filter(pk=second.pk).update(status=DeliveryStatus.DEAD)
    # written 110 days ago but acknowledged only 5 days ago: still inside the window
    Delivery.objects.filter(dossier=late).update(
        status=DeliveryStatus.DELIVERED, delivered_at=NOW - timedelta(days=5)
    )
    pending = _received(catalogue, NOW - timedelta(days=200))  # never acknowledged: pending forever
    events_before = DossierEvent.objects.count()

    run = _purge("outbox_purge")

    assert run.deleted == 3  # both of `old`, the first of `mixed`
    assert not OutboxEvent.objects.filter(dossier=old).exists()
    assert not Delivery.objects.filter(dossier=old).exists()
    assert list(OutboxEvent.objects.filter(dossier=mixed).values_list("seq", flat=True)) == [2]
    assert Delivery.objects.get(dossier=mixed).status == DeliveryStatus.DEAD
    assert OutboxEvent.objects.filter(dossier=late).count() == 2
    assert Delivery.objects.filter(dossier=pending, status=DeliveryStatus.PENDING).count() == 2
    assert DossierEvent.objects.count() == events_before  # dossier events are never purged
    assert subscriber.deliveries.count() == 8 - 3


# --- the personal-data access log: at least two years, logged, enforced by the database --------------------


@pytest.fixture
def access_rows(catalogue):
    dossier = _received(catalogue, NOW - timedelta(days=10))
    user = get_user_model().objects.create_user("xem", password="x")
    rows = {}
    for label, when in (
        ("2021", datetime(2021, 3, 1, tzinfo=UTC)),
        ("2025", datetime(2025, 3, 1, tzinfo=UTC)),
    ):
        with time_machine.travel(when, tick=False):
            rows[label] = PersonalDataAccess.objects.create(user=user, dossier=dossier, purpose="desk_page")
    return rows


def test_access_log_rows_past_two_years_go_and_the_purge_is_logged(access_rows):
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("access_log_purge", stdout=out)
    assert list(PersonalDataAccess.objects.values_list("pk", flat=True)) == [access_rows["2025"].pk]
    run = _model("RetentionPurge").objects.get()
    assert run.kind == "personal_data_access" and run.deleted == 1 and run.retention_days == 730
    assert run.cutoff == NOW - timedelta(days=730)
    assert "manage.py access_log_purge" in run.by and run.at == NOW
    assert "1 bản ghi" in out.getvalue()


def test_a_longer_configured_retention_keeps_more(access_rows, settings):
    settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS = 6 * 365  # 2021-03 is 5¼ years before NOW
    assert _purge("access_log_purge").deleted == 0
    assert PersonalDataAccess.objects.count() == 2


def test_a_retention_under_two_years_is_refused(access_rows, settings):
    settings.PERSONAL_DATA_ACCESS_RETENTION_DAYS = 729
    from workflows.services.retention import access_log_purge

    with time_machine.travel(NOW, tick=False), pytest.raises(ImproperlyConfigured):
        access_log_purge(by="test")
    with pytest.raises(CommandError, match="730"):
        call_command("access_log_purge")
    from workflows.checks import check_retention_settings

    assert [e.id for e in check_retention_settings()] == ["workflows.E001"]
    assert PersonalDataAccess.objects.count() == 2 and not _model("RetentionPurge").objects.exists()


def test_the_database_refuses_to_delete_a_row_inside_its_retention(catalogue):
    """Whatever the application is configured or tricked into doing: a row younger than 730 days by the
    database's clock stays (the ORM's delete and raw SQL alike)."""
    dossier = _received(catalogue, NOW)
    user = get_user_model().objects.create_user("xem", password="x")
    with time_machine.travel(_db_now() - timedelta(days=729), tick=False):
        row = PersonalDataAccess.objects.create(user=user, dossier=dossier, purpose="desk_page")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).delete()
    assert PersonalDataAccess.objects.filter(pk=row.pk).exists()


def test_the_purge_log_cannot_be_rewritten(access_rows):
    run = _purge("access_log_purge")
    purges = _model("RetentionPurge").objects.filter(pk=run.pk)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        purges.update(deleted=0)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        purges.delete()


# --- the beat entries and the daily audit check ------------------------------------------------------------


def test_each_purge_and_the_audit_check_has_a_beat_entry():
    from config.celery_app import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task in (
        "workflows.tasks.audit_verify",
        "workflows.tasks.idempotency_purge",
        "workflows.tasks.outbox_purge",
        "workflows.tasks.access_log_purge",
    ):
        assert task in scheduled and task in app.tasks


def test_the_daily_check_covers_recent_dossiers_and_stores_its_result(catalogue):
    from workflows.tasks import audit_verify

    old = _received(catalogue, NOW - timedelta(days=30))
    recent = _received(catalogue, NOW - timedelta(days=2))
    from workflows.audit import append_only_create_sql, append_only_drop_sql

    with connection.cursor() as cursor:
        for sql in append_only_drop_sql(connection.vendor):
            cursor.execute(sql)
        cursor.execute(
            "UPDATE workflows_dossierevent SET note = 'sửa' WHERE dossier_id IN (%s, %s)", (old.pk, recent.pk)
        )
        for sql in append_only_create_sql(connection.vendor):
            cursor.execute(sql)
    with time_machine.travel(NOW, tick=False):
        assert audit_verify() == 1  # the week's dossiers only: `old` waits for a full audit_verify
    check = _model("AuditCheck").objects.get()
    assert (check.dossiers, check.broken, check.since) == (1, 1, NOW - timedelta(days=7))
    assert check.report[0]["dossier_code"] == recent.code and check.report[0]["seq"] == 1
