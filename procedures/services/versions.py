"""Keeping a procedure's versions a chain: each version ends the day before the next one starts.

A new publication decision replaces the previous terms from its effective date (domain §0: the regime change
of 1/7/2025 is the large example), so when a version is added its predecessor's ``effective_to`` becomes the
day before; a dossier then finds exactly one version in force on its reception date.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction

from procedures.models import Procedure, ProcedureVersion


@transaction.atomic
def procedure_versions_close(*, procedure_ids: Iterable[int]) -> int:
    """Set ``effective_to`` of every version but the last of each procedure to the day before the next one.

    The last version keeps its ``effective_to`` (NULL while in force, a date once the procedure is abolished).
    Returns how many versions changed; running it twice changes nothing the second time.
    """
    ids = sorted(set(procedure_ids))
    by_procedure: dict[int, list[ProcedureVersion]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for version in ProcedureVersion.objects.filter(procedure_id__in=chunk).order_by("effective_from"):
            by_procedure[version.procedure_id].append(version)
    changed: list[ProcedureVersion] = []
    for versions in by_procedure.values():
        for current, following in itertools.pairwise(versions):
            day_before = following.effective_from - timedelta(days=1)
            if current.effective_to != day_before:
                current.effective_to = day_before
                changed.append(current)
    ProcedureVersion.objects.bulk_update(changed, ["effective_to"], batch_size=500)
    return len(changed)


@transaction.atomic
def procedure_version_create(*, procedure: Procedure, **values) -> ProcedureVersion:
    """Create a version after checking it (``full_clean``) and close its predecessor.

    When the committed term is not given it equals the statutory term (no reduction).
    """
    values.setdefault("committed_term_amount", values.get("statutory_term_amount"))
    values.setdefault("committed_term_unit", values.get("statutory_term_unit"))
    version = ProcedureVersion(procedure=procedure, **values)
    version.full_clean()
    version.save()
    procedure_versions_close(procedure_ids=[procedure.pk])
    version.refresh_from_db()
    return version
