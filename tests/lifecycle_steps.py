"""Test helper: walk a dossier's route to its deciding step, as the live rules require before a decision."""

from __future__ import annotations

from datetime import datetime

from workflows.models import Dossier
from workflows.routing import deciding_indices


def walk_to_deciding_step(dossier: Dossier, *, at: datetime | None = None, user=None) -> Dossier:
    """Complete the open steps before the route's deciding step (``dossier_step_done``, one event each).

    Only the holder of the deciding step may record the result; tests about something else (the clock, the
    outbox, the figures) reach it this way, every step recorded, instead of skipping the route.
    """
    from workflows.services import dossier_step_done

    deciding = deciding_indices(dossier.route)
    while dossier.current_step is not None and dossier.current_step.route_index not in deciding:
        dossier = dossier_step_done(dossier=dossier, at=at, user=user)
    return dossier


def first_step_decides(procedure) -> None:
    """Mark the first processing step of every version of ``procedure`` as its deciding step.

    For tests of the outbox, the clocks and the figures, whose counts are built on short lives (receive,
    decide, return): the catalogue's ``deciding`` column makes such a procedure legitimate — a step may be
    marked as the one whose holder issues the result — instead of letting anyone skip the route.
    """
    from workflows.roles import Role
    from workflows.routing import role_for_step

    for version in procedure.versions.all():
        steps = [s for s in version.steps.order_by("step_no") if role_for_step(s) is not Role.DESK_OFFICER]
        if steps:
            version.steps.filter(pk=steps[0].pk).update(deciding=True)
