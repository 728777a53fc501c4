"""The reference converter on the real published data in shared/data (and on edited copies of it)."""

from __future__ import annotations

import csv
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from procedures.reference import (
    STEPS_FILE,
    Unmappable,
    convert_procedures,
    convert_reference,
    demo_agency_for,
    map_online_level,
    map_term,
    normalise_code,
    parse_fees_vnd,
)
from procedures.terms import Term
from tests.procedures.helpers import SHARED_DATA, needs_shared_data


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1.014438", "1.014438"),
        ("1.000948.H38", "1.000948"),
        ("1.008377.000.00.00.H13", "1.008377"),
        ("2.000908.00 0.00.00.H61", "2.000908"),  # Vĩnh Long's stray space
        (" 3.000527.H61 ", "3.000527"),
        ("1.01443", None),
        ("", None),
        ("ma_thu_tuc=656", None),
    ],
)
def test_normalise_code(raw: str, code: str | None) -> None:
    assert normalise_code(raw) == code


def test_map_term_units() -> None:
    assert map_term("10", "ngày làm việc") == Term(Decimal(10), "working_days")
    assert map_term("27", "ngày") == Term(Decimal(27), "calendar_days")
    assert map_term("", "ngay trong ngày (sau 15 giờ: ngày làm việc tiếp theo)") == Term(
        Decimal(0), "working_days"
    )
    with pytest.raises(Unmappable, match="months"):
        map_term("1", "tháng")
    with pytest.raises(Unmappable, match="staged"):
        map_term("", "", published="- Trong thời hạn 10 ngày làm việc ...; - Trong vòng 30 ngày ...")
    with pytest.raises(Unmappable, match="no time is published"):
        map_term("", "")


def test_online_levels() -> None:
    assert map_online_level("toàn trình") == "full"
    assert map_online_level("một phần") == "partial"
    assert map_online_level("mức độ 4") == "full"  # old level 4 ≈ full online
    assert map_online_level("") == "none"
    with pytest.raises(Unmappable):
        map_online_level("mức độ 5")


@pytest.mark.parametrize(
    ("text", "fees"),
    [
        ("Không", 0),
        ("Miễn lệ phí", 0),
        ("Lệ phí: 0; Phí: 0", 0),
        ("Phí: 250.000 Đồng", 250000),
        ("Lệ phí 500.000 đồng", 500000),
        ("Lệ phí: 200.000 đồng; Phí: 0", 200000),
        ("Phí: 50000000 Đồng; Phí: 20000000 Đồng", None),  # alternatives, not a sum
        ("Phí: 2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang", None),
        ("Phí: 10.000 đồng/trường hợp", None),
        ("Lệ phí: Đang cập nhật; Phí: Đang cập nhật", None),
        ("Phí: 75% phí thẩm định cấp giấy phép mới", None),
        ("", None),
    ],
)
def test_parse_fees(text: str, fees: int | None) -> None:
    assert parse_fees_vnd(text) == fees


def test_demo_agency_rules() -> None:
    assert demo_agency_for("Ủy ban nhân dân tỉnh (tỉnh Đồng Nai)", "province") == "DEMO-UBND"
    assert (
        demo_agency_for("Quỹ phát triển khoa học, công nghệ và đổi mới sáng tạo", "province")
        == "DEMO-QUY-KHCN"
    )
    assert (
        demo_agency_for("Cơ quan phân cấp, ủy quyền của UBND cấp tỉnh (tỉnh Lạng Sơn)", "province")
        == "DEMO-SKHCN"
    )
    assert demo_agency_for("Sở Khoa học và Công nghệ tỉnh Lào Cai", "province") == "DEMO-SKHCN"
    assert demo_agency_for("UBND cấp xã (Trung tâm Phục vụ hành chính công cấp xã)", "commune") == "DEMO-XA-A"
    assert demo_agency_for("Bộ Khoa học và Công nghệ", "ministry") == "DEMO-BKHCN"
    with pytest.raises(Unmappable):
        demo_agency_for("Công an tỉnh", "province")


@pytest.fixture(scope="module")
def conversion():
    return convert_reference(SHARED_DATA)


@needs_shared_data
class TestOnSharedData:
    def test_codes_are_national_and_unique(self, conversion) -> None:
        codes = [row["code"] for row in conversion.procedures]
        assert len(codes) == len(set(codes)) >= 40
        assert all(re.fullmatch(r"[1-9]\.\d{6}|DEMO\.9\d{5}", code) for code in codes)

    def test_mixed_units_are_kept_apart(self, conversion) -> None:
        rows = {row["code"]: row for row in conversion.procedures}
        assert (rows["1.014438"]["statutory_time"], rows["1.014438"]["statutory_unit"]) == (
            "27",
            "calendar_days",
        )
        assert (rows["1.014390"]["statutory_time"], rows["1.014390"]["statutory_unit"]) == (
            "10",
            "working_days",
        )
        assert (rows["2.000815"]["statutory_time"], rows["2.000815"]["statutory_unit"]) == (
            "0",
            "working_days",
        )
        assert rows["2.002131"]["online_level"] == "full"  # "mức độ 4"
        assert rows["1.014438"]["committed_time"] == ""  # same as statutory

    def test_skipped_rows_say_why(self, conversion) -> None:
        reasons = {(s.file, s.lines): s for s in conversion.skipped}
        months = reasons[("procedures_reference.csv", "line 42")]
        assert months.code == "1.011937" and "months" in months.reason
        staged = reasons[("procedures_reference.csv", "line 32")]
        assert staged.code == "DEMO.900032"  # published without a national code: a demo code, still skipped
        assert "staged" in staged.reason and "Điều chỉnh hợp đồng" in staged.reason
        code_only = reasons[("procedures_reference.csv", "line 27")]
        assert code_only.code == "1.014383" and "no time is published" in code_only.reason
        skipped_codes = {s.code for s in conversion.skipped if s.file == "procedures_reference.csv"}
        assert {"1.011937", "1.003542", "1.014383", "1.014388", "1.014389", "1.014394"} <= skipped_codes
        assert all(
            str(s).startswith(f"{s.file} line") for s in conversion.skipped if s.file.startswith("proc")
        )

    def test_procedures_without_a_national_code_get_a_demo_code(self, conversion) -> None:
        rows = {row["code"]: row for row in conversion.procedures}
        demo = {code: row for code, row in rows.items() if code.startswith("DEMO.")}
        assert demo, "the uncoded S&T rows with a single published time must be kept"
        assert all(re.fullmatch(r"DEMO\.9\d{5}", code) for code in demo)
        assert not any(re.fullmatch(r"[1-9]\.\d{6}", code) for code in demo)

    def test_one_step_source_per_code(self, conversion) -> None:
        steps = [row for row in conversion.steps if row["code"] == "1.014438"]
        assert len(steps) == 8  # Lạng Sơn, case a (no advisory council)
        assert sum(Decimal(row["allotted_time"] or 0) for row in steps) == 15
        assert steps[-1]["allotted_time"] == "" and steps[-1]["allotted_unit"] == ""  # "không tính thời gian"
        assert {row["unit_code"] for row in steps} >= {"DEMO-TTPVHCC", "DEMO-SKHCN-QLCN", "DEMO-UBND"}
        alternatives = [s for s in conversion.skipped if s.code == "1.014438" and s.file == STEPS_FILE]
        assert len(alternatives) == 2 and all("not used" in s.reason for s in alternatives)

    def test_steps_longer_than_the_term_are_reported_not_converted(self, conversion) -> None:
        assert not [row for row in conversion.steps if row["code"] == "1.014451"]
        [excess] = [
            s for s in conversion.skipped if s.code == "1.014451" and "longer than the term" in s.reason
        ]
        assert "63 working days" in excess.reason and "53 calendar_days" in excess.reason

    def test_province_suffixes_in_the_source_are_stripped(self, tmp_path: Path) -> None:
        """Put back the codes as the portals print them (taken from each row's source text): same result."""
        shutil.copytree(SHARED_DATA, tmp_path / "data")
        path = tmp_path / "data" / "procedures_reference.csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
            fieldnames = list(rows[0])
        suffixed = 0
        for row in rows:
            printed = (
                re.search(rf"{re.escape(row['code'])}(?:\.[0-9A-Z.]+)?\.H\d\d", row["source"])
                if row["code"]
                else None
            )
            if printed:
                row["code"] = printed.group(0)
                suffixed += 1
        assert suffixed >= 10
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
        assert convert_procedures(tmp_path / "data")[0] == convert_procedures(SHARED_DATA)[0]
