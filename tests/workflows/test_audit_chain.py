"""The audit trail is tamper-evident: append-only in the database, and a hash chain per dossier.

Decree 85/2016/NĐ-CP and TCVN 11930:2017 (security level 3) require audit records that cannot be changed
unseen. The triggers refuse UPDATE and DELETE of ``DossierEvent`` whoever sends them (the ORM's queryset
methods and raw SQL alike); ``manage.py audit_verify`` finds what a holder of the database's owner role could
still do behind the triggers' back (drop them, change a row, put them back).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from procedures.models import Agency, Procedure
from procedures.services import catalogue_load_demo
from workflows import services as svc
from workflows.models import Dossier, DossierEvent, OutboxEvent, PersonalDataAccess
from workflows.roles import role_groups_sync

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345", phone="0912345678")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def catalogue(db):
    catalogue_load_demo()
    role_groups_sync()
    return Procedure.objects.get(code="1.014431")


def _dossier(procedure: Procedure, day: int = 5) -> Dossier:
    d = svc.dossier_receive(
        procedure=procedure,
        at=at(2025, 9, day, 9, 0),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        applicant=PERSON,
    )
    d = svc.dossier_step_done(dossier=d, at=at(2025, 9, day, 10, 0))
    d = svc.dossier_step_done(dossier=d, at=at(2025, 9, day, 11, 0), note="chuyển tiếp")
    return svc.dossier_step_done(dossier=d, at=at(2025, 9, day, 14, 0))


@pytest.fixture
def dossier(catalogue) -> Dossier:
    return _dossier(catalogue)


def _verify(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def event_hash(event: DossierEvent) -> str:
    from workflows.audit import event_hash as compute  # imported late: the tests fail by behaviour before

    return compute(event)


def _sql(statement: str, params: tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _refused(statement: str, params: tuple = ()) -> None:
    """The statement fails in the database; the savepoint keeps the test's transaction usable."""
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        _sql(statement, params)


def _without_triggers():
    """What an owner of the tables can do: drop the guard, change the rows, put the guard back."""
    from workflows.audit import append_only_create_sql, append_only_drop_sql

    class _Ctx:
        def __enter__(self):
            with connection.cursor() as cursor:
                for sql in append_only_drop_sql(connection.vendor):
                    cursor.execute(sql)

        def __exit__(self, *exc):
            with connection.cursor() as cursor:
                for sql in append_only_create_sql(connection.vendor):
                    cursor.execute(sql)

    return _Ctx()


# --- the chain is written with each event -------------------------------------------------------------


def test_each_event_stores_the_previous_hash_and_its_own(dossier):
    events = list(dossier.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == ""
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    for event in events:
        assert len(event.hash) == 64
        assert event.hash == event_hash(event)  # read back from the database: the same canonical content


def test_an_intact_chain_verifies(dossier, catalogue):
    _dossier(catalogue, day=8)
    code, out, _ = _verify()
    assert code == 0
    assert out.strip().splitlines() == ["audit_verify: 2 hồ sơ, 8 sự kiện, chuỗi băm nguyên vẹn."]


# --- the database refuses to rewrite the log ------------------------------------------------------------


def test_queryset_update_and_delete_are_refused(dossier):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        DossierEvent.objects.filter(dossier=dossier).update(note="đã sửa")
    OutboxEvent.objects.filter(dossier=dossier).delete()  # the outbox row no longer protects the event
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        DossierEvent.objects.filter(dossier=dossier, seq=2).delete()
    assert dossier.events.count() == 4


def test_raw_update_and_delete_of_an_event_are_refused(dossier):
    table = DossierEvent._meta.db_table
    _refused(f"UPDATE {table} SET note = 'đã sửa' WHERE dossier_id = %s", (dossier.pk,))
    _sql(f"DELETE FROM {OutboxEvent._meta.db_table} WHERE dossier_id = %s", (dossier.pk,))
    _refused(f"DELETE FROM {table} WHERE dossier_id = %s AND seq = 2", (dossier.pk,))
    assert list(dossier.events.values_list("note", flat=True)) == ["", "", "chuyển tiếp", ""]


def test_raw_update_of_the_access_log_is_refused(dossier):
    user = get_user_model().objects.create_user("xem", password="x")
    row = PersonalDataAccess.objects.create(user=user, dossier=dossier, purpose="desk_page")
    _refused(f"UPDATE {PersonalDataAccess._meta.db_table} SET path = '/khac/' WHERE id = %s", (row.pk,))
    # a recent access-log row is inside its retention period: nobody deletes it
    _refused(f"DELETE FROM {PersonalDataAccess._meta.db_table} WHERE id = %s", (row.pk,))
    assert PersonalDataAccess.objects.filter(pk=row.pk, path="").exists()


@pytest.mark.postgres
def test_postgres_refuses_too(dossier):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    table = DossierEvent._meta.db_table
    _refused(f"UPDATE {table} SET payload = '{{}}'::jsonb WHERE dossier_id = %s", (dossier.pk,))
    _refused(f"DELETE FROM {table} WHERE dossier_id = %s", (dossier.pk,))


# --- and audit_verify finds what was done behind the triggers -------------------------------------------


def test_a_row_altered_behind_the_trigger_is_named(dossier, catalogue):
    other = _dossier(catalogue, day=8)
    target = dossier.events.get(seq=3)
    with _without_triggers():
        _sql(f"UPDATE {DossierEvent._meta.db_table} SET note = 'không có gì' WHERE id = %s", (target.pk,))
    code, _out, err = _verify()
    assert code != 0
    assert dossier.code in err and f"#3 (id {target.pk})" in err
    assert "nội dung" in err  # what is wrong: the content no longer matches its hash
    assert other.code not in err
    # --dossier narrows the run to one dossier
    assert _verify("--dossier", other.code)[0] == 0
    assert _verify("--dossier", dossier.code)[0] != 0


def test_a_deleted_event_in_the_middle_is_detected(dossier):
    target = dossier.events.get(seq=2)
    with _without_triggers():
        _sql(f"DELETE FROM {OutboxEvent._meta.db_table} WHERE event_id = %s", (target.pk,))
        _sql(f"DELETE FROM {DossierEvent._meta.db_table} WHERE id = %s", (target.pk,))
    code, _, err = _verify()
    assert code != 0
    after = dossier.events.get(seq=3)
    assert dossier.code in err and f"#3 (id {after.pk})" in err
    assert "thiếu sự kiện #2" in err


def test_a_deleted_last_event_is_detected(dossier):
    last = dossier.events.get(seq=4)
    with _without_triggers():
        _sql(f"DELETE FROM {OutboxEvent._meta.db_table} WHERE event_id = %s", (last.pk,))
        _sql(f"DELETE FROM {DossierEvent._meta.db_table} WHERE id = %s", (last.pk,))
    code, _, err = _verify()
    assert code != 0 and dossier.code in err and "đã bị xóa" in err
    assert f"#3 (id {dossier.events.get(seq=3).pk})" in err


def test_a_rehashed_row_breaks_the_next_link(dossier):
    """Rewriting a row *and* its own hash still breaks the link from the next event."""
    target = dossier.events.get(seq=2)
    target.note = "viết lại"
    forged = event_hash(target)
    with _without_triggers():
        _sql(
            f"UPDATE {DossierEvent._meta.db_table} SET note = %s, hash = %s WHERE id = %s",
            ("viết lại", forged, target.pk),
        )
    code, _, err = _verify()
    assert code != 0 and f"#3 (id {dossier.events.get(seq=3).pk})" in err and "băm của sự kiện trước" in err


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_tables_and_keeps_the_guard(catalogue):
    """The test runner flushes between transactional tests: the triggers must not stop it, nor vanish."""
    _dossier(catalogue)
    call_command("flush", verbosity=0, interactive=False)
    assert not DossierEvent.objects.exists()
    catalogue_load_demo()
    dossier = _dossier(Procedure.objects.get(code="1.014431"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        DossierEvent.objects.filter(dossier=dossier).update(note="đã sửa")


def test_the_migration_backfills_the_same_chain_the_services_write(dossier, catalogue):
    """Events written before the chain existed get, in order, exactly the hashes ``_record`` would give."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("workflows.migrations.0005_audit_hash_chain")
    _dossier(catalogue, day=8)
    written = dict(DossierEvent.objects.values_list("pk", "hash"))
    with _without_triggers():
        DossierEvent.objects.update(hash="", prev_hash="")
        # the backfill only reads the editor's connection (a real editor cannot open inside a test's
        # transaction on SQLite)
        migration.backfill_chain(apps, SimpleNamespace(connection=connection))
    assert dict(DossierEvent.objects.values_list("pk", "hash")) == written
    assert _verify()[0] == 0


def test_since_limits_the_run_to_dossiers_with_recent_events(catalogue):
    with time_machine.travel(datetime(2026, 5, 1, 2, 0, tzinfo=TZ), tick=False):
        old = _dossier(catalogue)
    with time_machine.travel(datetime(2026, 5, 30, 2, 0, tzinfo=TZ), tick=False):
        recent = _dossier(catalogue, day=8)
    with _without_triggers():
        _sql(f"UPDATE {DossierEvent._meta.db_table} SET note = 'x' WHERE dossier_id = %s", (old.pk,))
    with time_machine.travel(datetime(2026, 6, 1, 2, 0, tzinfo=TZ), tick=False):
        code, out, _ = _verify("--since", "7")
        assert code == 0 and out.startswith("audit_verify: 1 hồ sơ, 4 sự kiện")
        code, _, err = _verify("--since", "40")
    assert code != 0 and old.code in err and recent.code not in err
