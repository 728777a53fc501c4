"""``manage.py flush`` that also empties the append-only audit tables.

Django's flush empties every table (``TRUNCATE`` on PostgreSQL, ``DELETE FROM`` on SQLite); the append-only
triggers of :mod:`workflows.audit` would refuse it (PostgreSQL's ``TRUNCATE`` trigger, SQLite's row
triggers). Flushing is the documented "erase the whole database" operation — the test runner calls it between
transactional tests — so this command drops the triggers, flushes and creates them again, all in one
transaction: if the flush fails the triggers are back as they were.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

from workflows.audit import append_only_create_sql, append_only_drop_sql


class Command(flush.Command):
    help = flush.Command.help + " Also empties the append-only audit tables (their triggers are restored)."

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        vendor = connection.vendor
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                existed = _triggers_exist(cursor, vendor)
                if existed:
                    for sql in append_only_drop_sql(vendor):
                        cursor.execute(sql)
            super().handle(**options)
            if existed:
                with connection.cursor() as cursor:
                    for sql in append_only_create_sql(vendor):
                        cursor.execute(sql)


def _triggers_exist(cursor, vendor: str) -> bool:
    """Only a migrated database has them (flush also runs on databases migrated only partly)."""
    if vendor == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'motcua_append%'")
    elif vendor == "postgresql":
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname LIKE 'motcua_append%'")
    else:
        return False
    return cursor.fetchone() is not None
