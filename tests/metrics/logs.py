"""Building event logs for the indicator tests: the CSV of ``dossiers_import`` (README "Nhật ký hồ sơ")."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from procedures.choices import OnlineLevel, TermUnit
from tests.procedures.factories import AgencyFactory, ProcedureFactory, ProcedureVersionFactory

HEADER = "dossier_code,procedure_code,agency_code,channel,event,at,actor,detail"


def procedure(agency_code: str, code: str, *, days: int | Decimal = 5, **version_fields):
    """A procedure of ``agency_code`` in force from 1/1/2025 (5 working days by default)."""
    agency = AgencyFactory(code=agency_code)
    fields = {
        "statutory_term_amount": Decimal(days),
        "statutory_term_unit": TermUnit.WORKING_DAYS,
        "online_level": OnlineLevel.NONE,
        **version_fields,
    }
    return ProcedureVersionFactory(
        procedure=ProcedureFactory(code=code, agency=agency), effective_from=date(2025, 1, 1), **fields
    ).procedure


class Log:
    """Rows of one event log; ``at`` values are local times in 2025 written as ``MM-DD HH:MM``."""

    def __init__(self, agency_code: str) -> None:
        self.agency = agency_code
        self.rows: list[str] = []
        self.channels: dict[str, str] = {}
        self.procedures: dict[str, str] = {}

    def add(
        self, code: str, event: str, at: str, detail: str = "", *, proc: str = "", channel: str = ""
    ) -> Log:
        """One row; the procedure and channel of a dossier are remembered from its first row."""
        channel = self.channels.setdefault(code, channel or "direct")
        proc = self.procedures.setdefault(code, proc)
        month_day, hour = at.split(" ")
        self.rows.append(
            f"{code},{proc},{self.agency},{channel},{event},2025-{month_day}T{hour}:00+07:00,Cán bộ,{detail}"
        )
        return self

    def receive(self, code: str, proc: str, at: str, channel: str = "direct") -> Log:
        if channel == "online":
            self.add(code, "submit", at, proc=proc, channel=channel)
        return self.add(code, "receive", at, proc=proc, channel=channel)

    def replay(self, tmp_path: Path, name: str = "log.csv") -> str:
        path = tmp_path / name
        path.write_text("\n".join([HEADER, *self.rows]) + "\n", encoding="utf-8")
        out = StringIO()
        call_command("dossiers_import", str(path), stdout=out)
        self.rows = []
        return out.getvalue()


def indicators(agency: str, start: str, end: str, *extra: str) -> dict:
    out = StringIO()
    call_command(
        "indicators", "--agency", agency, "--from", start, "--to", end, "--format", "json", *extra, stdout=out
    )
    return json.loads(out.getvalue())
