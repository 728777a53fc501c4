"""``motcua_audit_broken_chains``: the daily check runs in a Celery worker, any web process answers the
scrape, so the result goes through the database (``AuditCheck``) and the scrape-time collector reads it
back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from tests.metrics.test_prometheus import scrape, value
from workflows.models import DossierEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def test_no_series_before_the_first_check(client):
    samples = scrape(client)
    assert value(samples, "motcua_audit_broken_chains") is None
    assert value(samples, "motcua_business_collector_up", section="audit") == 1


@pytest.fixture
def catalogue(db):
    from procedures.services import catalogue_load_demo
    from workflows.roles import role_groups_sync

    catalogue_load_demo()
    role_groups_sync()


def test_the_last_check_is_exported(client, catalogue):
    from procedures.models import Agency, Procedure
    from workflows import services as svc
    from workflows.audit import append_only_create_sql, append_only_drop_sql
    from workflows.models import AuditCheck
    from workflows.tasks import audit_verify

    with time_machine.travel(NOW, tick=False):
        dossier = svc.dossier_receive(
            procedure=Procedure.objects.get(code="1.014431"),
            at=NOW,
            reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
            applicant=svc.Applicant(name="Nguyễn Văn A", id_number="001203012345"),
        )
        audit_verify()
    samples = scrape(client)
    assert value(samples, "motcua_audit_broken_chains") == 0
    assert (
        value(samples, "motcua_audit_last_check_timestamp_seconds") == AuditCheck.objects.get().at.timestamp()
    )

    with connection.cursor() as cursor:
        for sql in append_only_drop_sql(connection.vendor):
            cursor.execute(sql)
        cursor.execute(
            f"UPDATE {DossierEvent._meta.db_table} SET note = 'x' WHERE dossier_id = %s", [dossier.pk]
        )
        for sql in append_only_create_sql(connection.vendor):
            cursor.execute(sql)
    with time_machine.travel(NOW, tick=False):
        assert audit_verify() == 1
    assert value(scrape(client), "motcua_audit_broken_chains") == 1
