"""The tamper-evident audit trail: the hash chain of each dossier's events and the append-only triggers.

Why. A provincial one-stop system is an information system of security level 3 (Decree 85/2016/NĐ-CP,
TCVN 11930:2017): its audit records must not be altered or deleted unseen, and the personal-data access log
must be kept for its retention period (Decree 13/2023/NĐ-CP; Law on Personal Data Protection 2025).
``DossierEvent.save()`` refusing a second save only stops the ORM's instance methods; this module adds two
layers that hold for every writer:

1. **Triggers in the database** refuse ``UPDATE`` and ``DELETE`` of ``workflows_dossierevent``, of the
   purge log ``workflows_retentionpurge`` and of ``workflows_personaldataaccess`` — whoever sends them:
   ``QuerySet.update()``, ``QuerySet.delete()``, raw SQL, the admin. The one sanctioned delete is the
   access-log retention purge: the access-log trigger lets a row go only once it is older than
   :data:`ACCESS_LOG_MIN_RETENTION_DAYS` by the *database's* clock, so the database itself keeps the legal
   minimum whatever the application is configured to do. PostgreSQL refuses ``TRUNCATE`` of these tables
   as well.
2. **A hash chain per dossier.** Each event stores ``prev_hash`` (the ``hash`` of the dossier's previous
   event, ``""`` for the first) and ``hash`` = SHA-256 over the canonical JSON of its content
   (:func:`chain_hash`). ``manage.py audit_verify`` recomputes the chains and names the first broken link of
   each dossier: a changed row (its content no longer matches its hash), a rewritten-and-rehashed row (the
   next event's ``prev_hash`` no longer matches), a deleted event (a gap in ``seq``), a deleted tail (the
   last event's target status is not the dossier's status) and a dossier with no events left.

What an attacker holding the application's database role can still do — said plainly, because the role that
runs migrations owns the tables: drop the triggers (or ``ALTER TABLE … DISABLE TRIGGER``), rewrite rows and
recompute every later hash of that dossier consistently (SHA-256 is not keyed), then restore the triggers.
``audit_verify`` cannot see a chain recomputed end to end; what bounds that attack is outside this
database: the hashes of events already delivered to subscribers (the outbox), backups, and — for a real
boundary — running the web and worker processes with a role that does not own the tables (no ``TRIGGER``,
``TRUNCATE`` or DDL privilege), keeping the owner role for migrations only. On SQLite anyone who can write
the file can do anything; there the triggers guard against mistakes, not attackers.

``manage.py flush`` wipes the whole database by definition (the test runner calls it between
transactional tests): our override (``workflows/management/commands/flush.py``) drops these triggers,
flushes and creates them again in one transaction.

The canonical form is a contract: changing :func:`chain_hash` would break every stored chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# Decree 13/2023/NĐ-CP and the Law on Personal Data Protection 2025 leave the period to the controller;
# provincial rules (Ninh Bình 163/2025 Art. 28) set at least two years for the access log. The purge refuses
# a shorter setting and the database trigger refuses to delete a younger row.
ACCESS_LOG_MIN_RETENTION_DAYS = 730

GENESIS = ""

EVENT_TABLE = "workflows_dossierevent"
ACCESS_TABLE = "workflows_personaldataaccess"
PURGE_TABLE = "workflows_retentionpurge"
APPEND_ONLY_TABLES = (EVENT_TABLE, PURGE_TABLE)
TRIGGER_PREFIX = "motcua_append_only"


def _instant(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC when time zones are off; we always store UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def chain_content(
    *,
    dossier_id: int,
    dossier_code: str,
    seq: int,
    event: str,
    at: datetime,
    actor_id: int | None,
    actor_name: str,
    from_status: str,
    to_status: str,
    note: str,
    payload: Mapping[str, Any] | None,
    prev_hash: str,
) -> bytes:
    """The canonical bytes an event's hash covers: sorted-key compact UTF-8 JSON, the instant in UTC."""
    content = {
        "dossier": dossier_id,
        "code": dossier_code,
        "seq": seq,
        "event": str(event),
        "at": _instant(at),
        "user": actor_id,
        "actor": str(actor_name),
        "from": str(from_status),
        "to": str(to_status),
        "note": str(note),
        "payload": payload or {},
        "prev": prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_hash(**fields: Any) -> str:
    """Hex SHA-256 of :func:`chain_content` (same keyword arguments)."""
    return hashlib.sha256(chain_content(**fields)).hexdigest()


def event_hash(event: Any, *, prev_hash: str | None = None, dossier_code: str | None = None) -> str:
    """The hash ``event`` (a ``DossierEvent``) should carry; ``prev_hash`` defaults to the stored one."""
    return chain_hash(
        dossier_id=event.dossier_id,
        dossier_code=dossier_code if dossier_code is not None else event.dossier.code,
        seq=event.seq,
        event=event.event,
        at=event.at,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        from_status=event.from_status,
        to_status=event.to_status,
        note=event.note,
        payload=event.payload,
        prev_hash=event.prev_hash if prev_hash is None else prev_hash,
    )


# --- the triggers ----------------------------------------------------------------------------------------

_PG_FUNCTIONS = [
    """
CREATE OR REPLACE FUNCTION motcua_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'motcua: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$""",
    f"""
CREATE OR REPLACE FUNCTION motcua_access_log_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD."at" < now() - interval '{ACCESS_LOG_MIN_RETENTION_DAYS} days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'motcua: % is append-only (% refused; rows older than % days may be purged)',
        TG_TABLE_NAME, TG_OP, {ACCESS_LOG_MIN_RETENTION_DAYS} USING ERRCODE = 'restrict_violation';
END
$$""",
]


def _pg_create(table: str, function: str) -> list[str]:
    name = f"{TRIGGER_PREFIX}_{table}"
    return [
        f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION motcua_append_only()",
    ]


def _sqlite_create(table: str, delete_when: str = "") -> list[str]:
    name = f"{TRIGGER_PREFIX}_{table}"
    return [
        f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'motcua: {table} is append-only (UPDATE refused)'); END",
        f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} {delete_when} "
        f"BEGIN SELECT RAISE(ABORT, 'motcua: {table} is append-only (DELETE refused)'); END",
    ]


def append_only_create_sql(vendor: str) -> list[str]:
    """The statements that create every append-only trigger on ``vendor`` (``connection.vendor``)."""
    if vendor == "postgresql":
        sql = list(_PG_FUNCTIONS)
        for table in APPEND_ONLY_TABLES:
            sql += _pg_create(table, "motcua_append_only")
        return sql + _pg_create(ACCESS_TABLE, "motcua_access_log_retention")
    if vendor == "sqlite":
        sql = []
        for table in APPEND_ONLY_TABLES:
            sql += _sqlite_create(table)
        # julianday() reads Django's "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) text; 'now' is the database's clock.
        return sql + _sqlite_create(
            ACCESS_TABLE,
            f"WHEN julianday(OLD.\"at\") >= julianday('now', '-{ACCESS_LOG_MIN_RETENTION_DAYS} days')",
        )
    return []  # other backends: the hash chain still detects changes


def append_only_drop_sql(vendor: str) -> list[str]:
    """The statements that drop every append-only trigger (the functions stay on PostgreSQL)."""
    tables = (*APPEND_ONLY_TABLES, ACCESS_TABLE)
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}_{table}{suffix} ON {table}"
            for table in tables
            for suffix in ("", "_truncate")
        ]
    if vendor == "sqlite":
        ops = ("update", "delete")
        return [f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}_{table}_{op}" for table in tables for op in ops]
    return []


__all__ = [
    "ACCESS_LOG_MIN_RETENTION_DAYS",
    "GENESIS",
    "append_only_create_sql",
    "append_only_drop_sql",
    "chain_content",
    "chain_hash",
    "event_hash",
]
