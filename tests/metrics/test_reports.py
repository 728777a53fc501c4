"""The TT 01/2020 report (domain §6.3): rows by unit and by field, the invariant check, the Excel file and
the ``report_tthc`` command — on dossiers replayed from an event log (``dossiers_import``), May 2025.

The data (5-working-day procedures; received Mon 5/5 09:00 → due Mon 12/5 09:00):

* DEMO-RP (province), procedures P1 "Hộ tịch", P2 "Chứng thực":
  C1 carried over from 28/4, decided early 6/5; M1 online, decided early; M2 direct, decided on the due day;
  M3 postal, decided late 13/5; M4 received 19/5, overdue on 31/5; M5 received 29/5, in time.
* DEMO-RP-A (commune below it), P3 "Hộ tịch": N1 withdrawn (counts on time); N2 online, waiting for a
  supplement (counts in time).
"""

from __future__ import annotations

from datetime import date
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from metrics.indicators import REPORT_COLUMNS, Period, scope_for
from metrics.reports import FIRST_DATA_ROW, HEADER_ROW, check_invariants, report_rows, report_xlsx
from procedures.choices import AgencyLevel
from tests.metrics.logs import Log, procedure
from tests.procedures.factories import AgencyFactory

pytestmark = pytest.mark.django_db

PARENT, CHILD = "DEMO-RP", "DEMO-RP-A"
MAY = Period(date(2025, 5, 1), date(2025, 5, 31))
KEYS = [key for key, _n, _h in REPORT_COLUMNS]

# Columns (3)…(13) of each row, as worked out by hand from the log above.
EXPECTED_PARENT = [6, 1, 1, 4, 4, 2, 1, 1, 2, 1, 1]
EXPECTED_CHILD = [2, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0]
EXPECTED_TOTAL = [8, 1, 2, 5, 5, 2, 2, 1, 3, 2, 1]
EXPECTED_HO_TICH = [5, 1, 2, 2, 4, 2, 2, 0, 1, 1, 0]
EXPECTED_CHUNG_THUC = [3, 0, 0, 3, 1, 0, 0, 1, 2, 1, 1]


def build_report_data(tmp_path) -> dict[str, str]:
    """The two agencies, three procedures and eight dossiers of the module docstring, through the replay."""
    parent = AgencyFactory(code=PARENT, name="Ủy ban nhân dân tỉnh Báo Cáo", level=AgencyLevel.PROVINCE)
    AgencyFactory(code=CHILD, name="Ủy ban nhân dân xã Báo Cáo A", level=AgencyLevel.COMMUNE, parent=parent)
    p1 = procedure(PARENT, "DEMO.000701")
    p2 = procedure(PARENT, "DEMO.000702")
    p3 = procedure(CHILD, "DEMO.000703")
    for proc, field in ((p1, "Hộ tịch"), (p2, "Chứng thực"), (p3, "Hộ tịch")):
        proc.field = field
        proc.save(update_fields=["field"])

    log = Log(PARENT)
    log.receive("RP-C1", p1.code, "04-28 09:00").add("RP-C1", "decide", "05-06 10:00", "approved")
    log.receive("RP-M1", p1.code, "05-05 09:00", "online").add("RP-M1", "decide", "05-07 10:00", "approved")
    log.receive("RP-M2", p1.code, "05-05 09:00").add("RP-M2", "decide", "05-12 08:30", "approved")
    log.receive("RP-M3", p2.code, "05-05 09:00", "postal").add("RP-M3", "decide", "05-13 10:00", "approved")
    log.receive("RP-M4", p2.code, "05-19 09:00")
    log.receive("RP-M5", p2.code, "05-29 09:00")
    log.replay(tmp_path, "parent.csv")
    log = Log(CHILD)
    log.receive("RP-N1", p3.code, "05-05 09:00").add("RP-N1", "withdraw", "05-06 09:00")
    log.receive("RP-N2", p3.code, "05-26 09:00", "online").add("RP-N2", "request_supplement", "05-27 09:00")
    log.replay(tmp_path, "child.csv")
    return {"late": "RP-M3", "overdue": "RP-M4"}


@pytest.fixture
def report_data(tmp_path):
    return build_report_data(tmp_path)


def values(row: dict) -> list[int]:
    return [row[key] for key in KEYS]


def test_rows_by_unit_one_per_agency_and_a_total(report_data):
    rows = report_rows(scope_for(PARENT, include_children=True), MAY, "unit")
    assert [(r["stt"], r["key"], r["is_total"]) for r in rows] == [
        (1, PARENT, False),
        (2, CHILD, False),
        (None, "", True),
    ]
    assert rows[0]["name"] == "Ủy ban nhân dân tỉnh Báo Cáo"
    assert values(rows[0]) == EXPECTED_PARENT
    assert values(rows[1]) == EXPECTED_CHILD
    assert values(rows[2]) == EXPECTED_TOTAL
    assert rows[2]["name"] == "Tổng cộng"
    check_invariants(rows)


def test_rows_by_field_and_the_total_matches_by_unit(report_data):
    rows = report_rows(scope_for(PARENT, include_children=True), MAY, "field")
    assert [r["name"] for r in rows] == ["Chứng thực", "Hộ tịch", "Tổng cộng"]
    assert values(rows[0]) == EXPECTED_CHUNG_THUC
    assert values(rows[1]) == EXPECTED_HO_TICH
    assert values(rows[2]) == EXPECTED_TOTAL


def test_without_children_only_the_agency(report_data):
    rows = report_rows(scope_for(PARENT), MAY, "unit")
    assert [r["key"] for r in rows] == [PARENT, ""]
    assert values(rows[-1]) == EXPECTED_PARENT


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("carried_over", "(3) = (4) + (5) + (6)"),
        ("in_progress_total", "(3) = (7) + (11)"),
        ("resolved_early", "(7) = (8) + (9) + (10)"),
        ("in_progress_late", "(11) = (12) + (13)"),
    ],
)
def test_invariant_checker_names_the_row_and_the_identity(key, rule):
    row = dict(zip(KEYS, EXPECTED_TOTAL, strict=True), name="Phòng Tư pháp", stt=1, is_total=False)
    check_invariants([row])
    row[key] += 1
    with pytest.raises(ValueError, match="Phòng Tư pháp") as excinfo:
        check_invariants([row])
    assert rule in str(excinfo.value)


def test_invariant_checker_refuses_a_total_that_is_not_the_sum():
    row = dict(zip(KEYS, EXPECTED_PARENT, strict=True), name="A", stt=1, is_total=False)
    total = dict(zip(KEYS, EXPECTED_TOTAL, strict=True), name="Tổng cộng", stt=None, is_total=True)
    with pytest.raises(ValueError, match="Tổng cộng"):
        check_invariants([row, total])


def test_xlsx_in_the_official_layout(report_data):
    data = report_xlsx(scope_for(PARENT, include_children=True), MAY, "unit")
    ws = load_workbook(BytesIO(data)).active
    assert ws["A1"].value.startswith("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC")
    assert "Ủy ban nhân dân tỉnh Báo Cáo" in ws["A2"].value
    assert "01/05/2025" in ws["A3"].value and "31/05/2025" in ws["A3"].value
    h1, h2, numbers = HEADER_ROW, HEADER_ROW + 1, HEADER_ROW + 2
    assert ws.cell(h1, 1).value == "STT" and ws.cell(h1, 2).value == "Đơn vị"
    assert [ws.cell(h1, c).value for c in (3, 7, 11)] == [
        "Số hồ sơ nhận giải quyết",
        "Số hồ sơ đã giải quyết",
        "Số hồ sơ đang giải quyết",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {f"C{h1}:F{h1}", f"G{h1}:J{h1}", f"K{h1}:M{h1}", f"A{h1}:A{h2}"} <= merged
    assert [ws.cell(h2, c).value for c in range(3, 14)] == [
        "Tổng số",
        "Từ kỳ trước",
        "Trực tuyến",
        "Trực tiếp, dịch vụ bưu chính",
        "Tổng số",
        "Trước hạn",
        "Đúng hạn",
        "Quá hạn",
        "Tổng số",
        "Trong hạn",
        "Quá hạn",
    ]
    assert [ws.cell(numbers, c).value for c in range(1, 14)] == [f"({n})" for n in range(1, 14)]
    first = FIRST_DATA_ROW
    assert [ws.cell(first, c).value for c in range(1, 14)] == [
        1,
        "Ủy ban nhân dân tỉnh Báo Cáo",
        *EXPECTED_PARENT,
    ]
    assert [ws.cell(first + 1, c).value for c in range(1, 14)] == [
        2,
        "Ủy ban nhân dân xã Báo Cáo A",
        *EXPECTED_CHILD,
    ]
    total = [ws.cell(first + 2, c).value for c in range(1, 14)]
    assert total == [None, "Tổng cộng", *EXPECTED_TOTAL]
    assert ws.cell(first + 2, 3).font.b
    assert ws.freeze_panes == f"C{first}"
    assert ws.cell(first, 5).border.left.style == "thin"


def test_xlsx_by_field_names_the_column(report_data):
    ws = load_workbook(BytesIO(report_xlsx(scope_for(PARENT, include_children=True), MAY, "field"))).active
    assert ws.cell(HEADER_ROW, 2).value == "Lĩnh vực, công việc giải quyết theo cấp"
    assert ws.cell(FIRST_DATA_ROW, 2).value == "Chứng thực"


def test_command_writes_the_file_and_a_summary(report_data, tmp_path):
    target = tmp_path / "bao-cao.xlsx"
    out = StringIO()
    call_command(
        "report_tthc",
        "--agency",
        PARENT,
        "--include-children",
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-31",
        "--by",
        "field",
        "-o",
        str(target),
        stdout=out,
    )
    assert "nhận 8" in out.getvalue() and "3 dòng" not in out.getvalue()
    assert len(out.getvalue().strip().splitlines()) == 1
    ws = load_workbook(target).active
    assert [ws.cell(FIRST_DATA_ROW + 2, c).value for c in range(3, 14)] == EXPECTED_TOTAL


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", "DEMO-KHONG-CO", "--from", "2025-05-01", "--to", "2025-05-31"], "Không có cơ quan"),
        (["--agency", PARENT, "--from", "2025-06-01", "--to", "2025-05-31"], "Kỳ báo cáo không hợp lệ"),
        (["--agency", PARENT, "--from", "2025-02-30", "--to", "2025-05-31"], "YYYY-MM-DD"),
    ],
)
def test_command_errors_are_clear(report_data, tmp_path, args, message):
    target = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match=message):
        call_command("report_tthc", *args, "-o", str(target))
    assert not target.exists()
