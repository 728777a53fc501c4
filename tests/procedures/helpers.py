"""Helpers for catalogue tests: rows in the import format and a CSV writer."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.conf import settings

SHARED_DATA = settings.BASE_DIR.parent / "shared" / "data"
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "procedures_reference.csv").exists(), reason="shared/data is not available"
)

AGENCY_ROW = {"code": "DEMO-P", "name": "UBND tỉnh Demo", "level": "province", "parent_code": "", "e_id": ""}


def procedure_row(**overrides: str) -> dict[str, str]:
    row = {
        "code": "DEMO.000001",
        "name": "Thủ tục một",
        "field": "Hoạt động khoa học và công nghệ",
        "level": "province",
        "agency_code": "DEMO-D",
        "statutory_time": "10",
        "statutory_unit": "working_days",
        "committed_time": "",
        "committed_unit": "",
        "online_time": "",
        "online_unit": "",
        "online_level": "partial",
        "full_online_eligible": "false",
        "fees_vnd": "0",
        "effective_from": "2025-07-01",
        "legal_basis": "QĐ demo",
        "received_in": "",
    }
    row.update(overrides)
    return row


def step_row(**overrides: str) -> dict[str, str]:
    row = {
        "code": "DEMO.000001",
        "effective_from": "2025-07-01",
        "step_no": "1",
        "step_name": "Tiếp nhận hồ sơ",
        "role": "Công chức một cửa",
        "unit_code": "DEMO-D",
        "allotted_time": "0.5",
        "allotted_unit": "working_days",
    }
    row.update(overrides)
    return row


def agency_rows() -> list[dict[str, str]]:
    return [
        dict(AGENCY_ROW),
        {
            "code": "DEMO-D",
            "name": "Sở KH&CN Demo",
            "level": "department",
            "parent_code": "DEMO-P",
            "e_id": "DEMO.1",
        },
        {"code": "DEMO-U", "name": "Phòng Demo", "level": "unit", "parent_code": "DEMO-D", "e_id": ""},
    ]


def write_table(
    path: Path, columns: Sequence[str], rows: Sequence[dict[str, str]], *, bom: bool = False
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
