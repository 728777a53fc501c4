"""The personal-data access log: who saw which dossier's personal data, when, and through what.

Legal basis: domain §8 — Decree 13/2023/NĐ-CP and the Law on Personal Data Protection 2025 (purpose
limitation; audit logging, retention ≥ 2 years suggested by provincial rules, Ninh Bình 163/2025 Art 28).
Every page or API answer that shows a dossier's applicant (name, ID number, address, phone, e-mail) to a
member of staff or a partner system calls ``personal_data_access_log`` once per dossier shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from workflows.choices import AccessPurpose
from workflows.models import Dossier, PersonalDataAccess


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def personal_data_access_log_many(
    *, user, dossiers: Iterable[Dossier], purpose: str, request: HttpRequest | None = None
) -> int:
    """One row per dossier shown on a list page (names of up to a page of applicants), in one INSERT."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    AccessPurpose(purpose)
    path, ip = (request.get_full_path()[:300] if request is not None else ""), _client_ip(request)
    rows = [PersonalDataAccess(user=user, dossier=d, purpose=purpose, path=path, ip=ip) for d in dossiers]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)


def personal_data_access_log(
    *, user, dossier: Dossier, purpose: str, request: HttpRequest | None = None
) -> PersonalDataAccess | None:
    """Record one access; anonymous callers never see personal data, so they are not logged."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    AccessPurpose(purpose)
    return PersonalDataAccess.objects.create(
        user=user,
        dossier=dossier,
        purpose=purpose,
        path=(request.get_full_path()[:300] if request is not None else ""),
        ip=_client_ip(request),
    )
