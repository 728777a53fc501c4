"""Idempotent requests: a retried ``POST`` with the same ``Idempotency-Key`` never creates a second dossier.

Why the key row is inserted first, in the same transaction as the dossier: the unique constraint on
(client, key) is the lock. On PostgreSQL a second request inserting the same key blocks on the first one's
uncommitted row; when the first commits, the second gets an ``IntegrityError`` and answers with the stored
first answer; if the first rolls back (a refused submission), the second proceeds as if it were first. On
SQLite the database-wide write lock serialises the same way. So whatever the number of processes, retries
and timing, exactly one dossier exists per key, and every successful answer names it.

Semantics (after the IETF draft "The Idempotency-Key HTTP Header Field"):

* the key is required on ``POST /api/v1/dossiers/`` (400 ``idempotency-key-missing``), 1–255 visible ASCII
  characters, and scoped to the client (two clients may use the same key);
* same key, same body (canonical JSON, key order and spacing ignored) → the stored status and body of the
  first answer, with ``Idempotent-Replayed: true``;
* same key, different body → 422 ``idempotency-key-reused``;
* a row whose first request has not finished (never visible with the single-transaction design above, kept
  as a guard) → 409 ``idempotency-in-progress`` with ``Retry-After``;
* only a *successful* submission consumes a key: a request refused by validation or by the rules rolls back
  with its key row, so the client may fix the body and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from workflows.api.problems import Problem
from workflows.models import ApiClient, Dossier, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def idempotency_key_of(request) -> str:
    """The request's key, checked (400 problems when missing or malformed)."""
    raw = request.headers.get(HEADER)
    if raw is None or not raw.strip():
        raise Problem(
            "idempotency-key-missing",
            _(
                "Gửi tiêu đề Idempotency-Key (một chuỗi duy nhất cho mỗi hồ sơ, ví dụ một UUID) "
                "để thử lại an toàn."
            ),
            errors=[{"field": HEADER, "message": _("Bắt buộc.")}],
        )
    key = raw.strip()
    if not KEY_RE.match(key):
        raise Problem(
            "validation",
            _("Idempotency-Key gồm 1–255 ký tự ASCII nhìn thấy được, không có khoảng trắng."),
            errors=[{"field": HEADER, "message": _("Giá trị không hợp lệ.")}],
        )
    return key


def request_hash(data: Any) -> str:
    """SHA-256 of the parsed body as canonical JSON: the same request however it is spaced or ordered."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer_of(row: IdempotencyKey, digest: str) -> StoredAnswer:
    if row.request_hash != digest:
        raise Problem(
            "idempotency-key-reused",
            _("Idempotency-Key “%(key)s” đã được dùng cho một yêu cầu có nội dung khác.") % {"key": row.key},
        )
    if row.status_code is None or row.response is None:
        raise Problem(
            "idempotency-in-progress",
            _("Yêu cầu đầu tiên với Idempotency-Key này chưa xử lý xong; thử lại sau ít giây."),
            headers={"Retry-After": "1"},
        )
    return StoredAnswer(row.status_code, row.response, replayed=True)


def _stored(client: ApiClient, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(client=client, key=key).first()


def stored_answer(*, client: ApiClient, key: str, digest: str) -> StoredAnswer | None:
    """The stored first answer for this key (or a 409/422 problem); None when the key is new."""
    row = _stored(client, key)
    return None if row is None else _answer_of(row, digest)


def idempotent_create(
    *,
    client: ApiClient,
    key: str,
    digest: str,
    create: Callable[[], tuple[Dossier, dict[str, Any]]],
    status_code: int = 201,
) -> StoredAnswer:
    """Run ``create`` once per (client, key); ``create`` returns the dossier and the body to answer with.

    ``create`` runs inside the transaction that holds the key row, so its failure releases the key.
    """
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(client=client, key=key, request_hash=digest)  # the lock
            dossier, body = create()
            row.status_code, row.response, row.dossier = status_code, body, dossier
            row.save(update_fields=["status_code", "response", "dossier"])
    except IntegrityError:
        existing = _stored(client, key)
        if existing is None:  # not a conflict on the key (it was rolled back with us): a real error
            raise
        return _answer_of(existing, digest)
    return StoredAnswer(status_code, body, replayed=False)
