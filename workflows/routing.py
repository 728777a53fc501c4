"""The route of a dossier: the procedure version's internal steps as data (domain §1.5).

A step's performer is free text in the published internal procedure ("Lãnh đạo Phòng QLCN&TĐC", "CCMC của Sở
tại TTPVHCC", "Văn thư Sở"); :func:`role_for_step` reads it as one of our roles so tasks are offered to the
right people of the step's unit. Leading and trailing desk steps are the reception and the return of the
result — lifecycle actions of the desk — so only the steps between them are routed as processing tasks.
"""

from __future__ import annotations

from decimal import Decimal

from procedures.models import ProcedureStep, ProcedureVersion
from procedures.selectors import version_steps
from workflows.roles import Role

# Lower-case fragments of the performer text, most specific first.
_ROLE_HINTS: list[tuple[tuple[str, ...], Role]] = [
    (("một cửa", "ccmc", "tiếp nhận", "phục vụ hành chính công", "bộ phận tn"), Role.DESK_OFFICER),
    (("lãnh đạo phòng", "trưởng phòng", "phó trưởng phòng", "lãnh đạo đơn vị", "chỉ huy"), Role.HEAD_OF_UNIT),
    (
        (
            "lãnh đạo sở",
            "giám đốc",
            "lãnh đạo ủy ban",
            "lãnh đạo ubnd",
            "ubnd",
            "ủy ban",
            "chủ tịch",
            "lãnh đạo",
        ),
        Role.DIRECTOR,
    ),
]


def role_for_step(step: ProcedureStep) -> Role:
    """Our role for a step's performer text; a specialist when nothing more specific is named."""
    text = (step.role or "").lower()
    for hints, role in _ROLE_HINTS:
        if any(h in text for h in hints):
            return role
    return Role.SPECIALIST


def route_for_version(version: ProcedureVersion) -> list[dict]:
    """The routed processing steps of ``version`` as a snapshot stored on the dossier at receipt.

    The snapshot keeps an open dossier on the route it was received with, whatever later catalogue edits do.
    """
    steps = list(version_steps(version))
    roles = [role_for_step(s) for s in steps]
    first, last = 0, len(steps)
    while first < last and roles[first] is Role.DESK_OFFICER:
        first += 1
    while last > first and roles[last - 1] is Role.DESK_OFFICER:
        last -= 1
    default_unit = version.procedure.agency_id
    route = []
    for step, role in zip(steps[first:last], roles[first:last], strict=True):
        hours = step.allotted_working_hours
        route.append(
            {
                "step_no": step.step_no,
                "name": step.name,
                "role": role.value,
                "unit_id": step.unit_id or default_unit,
                "hours": str(hours) if hours is not None else None,
                "deciding": bool(step.deciding),
            }
        )
    if route and not any(entry["deciding"] for entry in route):
        route[-1]["deciding"] = True  # no step marked: the last processing step issues the result
    if not route:
        # A version without processing steps: one step at the deciding agency records the result.
        route.append(
            {
                "step_no": 1,
                "name": "Xử lý hồ sơ và ghi nhận kết quả",
                "role": Role.SPECIALIST.value,
                "unit_id": default_unit,
                "hours": None,
                "deciding": True,
            }
        )
    return route


def deciding_indices(route: list[dict]) -> set[int]:
    """Route positions whose holder may record the result (national status 9).

    The steps the catalogue marks as deciding, else the last processing step. A snapshot taken before the
    ``deciding`` key existed has no mark, so its last step decides — the same default.
    """
    marked = {i for i, entry in enumerate(route) if entry.get("deciding")}
    if marked:
        return marked
    return {len(route) - 1} if route else set()


def route_hours(entry: dict) -> Decimal | None:
    return Decimal(entry["hours"]) if entry.get("hours") is not None else None
