"""Export the catalogue in the import format, so that export → import reproduces the same data.

The files hold what the exchange format holds (see :mod:`procedures.catalogue_format`); admin-only fields
(published fee text, dossier documents, ``is_active``, the ``effective_to`` of a procedure's last version) are
not part of it. Rows come out in a stable order (agencies as a tree, then codes, dates and step numbers), so
two exports of the same data are identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

from procedures.catalogue_format import (
    AGENCY_COLUMNS,
    PROCEDURE_COLUMNS,
    STEP_EXPORT_COLUMNS,
    tree_order,
    write_csv,
    write_xlsx,
)
from procedures.models import Agency, Procedure, ProcedureStep, ProcedureVersion
from procedures.selectors import agency_subtree_ids, catalogue_queryset
from procedures.terms import WORKING_DAY_HOURS, format_decimal


class CatalogueExportError(Exception):
    pass


@dataclass(slots=True)
class ExportReport:
    agencies: int = 0
    versions: int = 0
    steps: int = 0
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        names = ", ".join(str(path) for path in self.files)
        return f"{self.agencies} agencies, {self.versions} procedure versions, {self.steps} steps → {names}"


def _term_cells(amount: Decimal | None, unit: str) -> tuple[str, str]:
    return ("", "") if amount is None else (format_decimal(amount), unit)


def _step_cells(hours: Decimal | None) -> tuple[str, str]:
    """Whole or quarter-ish days read better as working days; anything else stays in exact hours."""
    if hours is None:
        return "", ""
    days = hours / WORKING_DAY_HOURS
    exponent = days.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return format_decimal(days), "working_days"
    return format_decimal(hours), "working_hours"


def _version_row(procedure: Procedure, version: ProcedureVersion, codes: dict[int, str]) -> dict[str, str]:
    statutory = _term_cells(version.statutory_term_amount, version.statutory_term_unit)
    committed = _term_cells(version.committed_term_amount, version.committed_term_unit)
    if (version.committed_term_amount, version.committed_term_unit) == (
        version.statutory_term_amount,
        version.statutory_term_unit,
    ):
        committed = ("", "")  # empty = same as statutory, as the import reads it
    online = _term_cells(version.online_term_amount, version.online_term_unit)
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field,
        "level": procedure.level,
        "agency_code": codes[procedure.agency_id],
        "statutory_time": statutory[0],
        "statutory_unit": statutory[1],
        "committed_time": committed[0],
        "committed_unit": committed[1],
        "online_time": online[0],
        "online_unit": online[1],
        "online_level": version.online_level,
        "full_online_eligible": "true" if version.full_online_eligible else "false",
        "fees_vnd": "" if version.fees_vnd is None else str(version.fees_vnd),
        "effective_from": version.effective_from.isoformat(),
        "legal_basis": version.legal_basis,
        "received_in": ";".join(sorted(codes[agency.pk] for agency in version.received_in.all())),
    }


def _step_row(procedure: Procedure, version: ProcedureVersion, step: ProcedureStep, codes: dict[int, str]):
    allotted_time, allotted_unit = _step_cells(step.allotted_working_hours)
    return {
        "code": procedure.code,
        "effective_from": version.effective_from.isoformat(),
        "step_no": str(step.step_no),
        "step_name": step.name,
        "role": step.role,
        "unit_code": codes[step.unit_id] if step.unit_id else "",
        "allotted_time": allotted_time,
        "allotted_unit": allotted_unit,
        "deciding": "true" if step.deciding else "false",
    }


def catalogue_export(*, target: Path, agency_code: str | None = None) -> ExportReport:
    """Write the catalogue (or one agency's subtree of it) to ``target``.

    ``target`` ending in ``.xlsx`` → one workbook with the sheets agencies, procedures, steps; anything else
    is a directory that receives agencies.csv, procedures.csv and steps.csv. The agencies written are those
    needed to import the files into an empty database: the selected subtree, every agency a procedure or a
    step refers to, and all their ancestors.
    """
    target = Path(target)
    all_agencies = {agency.pk: agency for agency in Agency.objects.all()}
    codes = {pk: agency.code for pk, agency in all_agencies.items()}
    procedures = Procedure.objects.all()
    wanted_ids: set[int] = set(all_agencies)
    if agency_code:
        root = next((a for a in all_agencies.values() if a.code == agency_code), None)
        if root is None:
            raise CatalogueExportError(_("unknown agency '%(code)s'") % {"code": agency_code})
        wanted_ids = agency_subtree_ids([root])
        procedures = procedures.filter(agency_id__in=wanted_ids)

    version_rows: list[dict[str, str]] = []
    step_rows: list[dict[str, str]] = []
    for procedure in catalogue_queryset(procedures.order_by("code")):
        wanted_ids.add(procedure.agency_id)
        for version in procedure.versions.all():
            wanted_ids.update(agency.pk for agency in version.received_in.all())
            version_rows.append(_version_row(procedure, version, codes))
            for step in version.steps.all():
                if step.unit_id:
                    wanted_ids.add(step.unit_id)
                step_rows.append(_step_row(procedure, version, step, codes))
    for pk in list(wanted_ids):  # ancestors, so parent_code always resolves
        node = all_agencies[pk]
        while node.parent_id and node.parent_id not in wanted_ids:
            wanted_ids.add(node.parent_id)
            node = all_agencies[node.parent_id]
    agency_rows = tree_order(
        {
            "code": agency.code,
            "name": agency.name,
            "level": agency.level,
            "parent_code": codes.get(agency.parent_id, "") if agency.parent_id else "",
            "e_id": agency.e_id,
        }
        for agency in (all_agencies[pk] for pk in wanted_ids)
    )

    report = ExportReport(agencies=len(agency_rows), versions=len(version_rows), steps=len(step_rows))
    if target.suffix.lower() == ".xlsx":
        write_xlsx(
            target,
            {
                "agencies": (AGENCY_COLUMNS, agency_rows),
                "procedures": (PROCEDURE_COLUMNS, version_rows),
                "steps": (STEP_EXPORT_COLUMNS, step_rows),
            },
        )
        report.files.append(target)
    else:
        for name, columns, rows in (
            ("agencies.csv", AGENCY_COLUMNS, agency_rows),
            ("procedures.csv", PROCEDURE_COLUMNS, version_rows),
            ("steps.csv", STEP_EXPORT_COLUMNS, step_rows),
        ):
            write_csv(target / name, columns, rows)
            report.files.append(target / name)
    return report
