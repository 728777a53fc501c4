"""Convert the published reference catalogue (``shared/data``) into the import format: the demo catalogue.

The reference files are real, messy published data (see ``shared/data/README.md``): terms in working days,
calendar days, months or "same day"; staged times with no single figure; province suffixes on codes; two
internal procedures for one code. This module maps what has a faithful mapping and reports every row it cannot
map with the reason; it never fills a value in. Pure Python (no ORM), so it can run without a database.

Mapping rules (each one is a decision, written where it is applied):

* unit ``ngày làm việc`` → ``working_days``; ``ngày`` → ``calendar_days`` (README: treat a bare "ngày" as
  calendar days); ``ngay trong ngày (sau 15 giờ: …)`` → 0 ``working_days`` (the same-day rule, domain §2.1
  15:00 cut-off); ``tháng`` → skipped: months are not days and the format has no months unit;
* no overall figure (staged or branch-dependent text, or nothing published) → skipped, the published text
  quoted;
* no national code (QĐ 4001/QĐ-BKHCN published its new provincial procedures without codes; several
  portal pages show only an internal id) → a demo code ``DEMO.9<line>`` (``demo_code_for``): the procedure
  is real and the demo needs it, but a national-looking code would be invented, so it is marked as demo;
* codes keep the 8-character national code: ``1.000948.H38`` and ``1.008377.000.00.00.H13`` become
  ``1.000948`` and ``1.008377`` (domain §7);
* online level ``toàn trình`` → ``full``, ``một phần`` → ``partial``, empty → ``none``; the old four-level
  scale (Decree 43/2011) maps ``mức độ 4`` → ``full`` (level 4 = submit, pay and receive online, the closest
  to today's *toàn trình*), ``mức độ 3`` → ``partial``, ``mức độ 1/2`` → ``none``;
* fees: ``Không``/``Miễn…``/all-zero → 0 đồng; one flat amount ("250.000 Đồng", "Lệ phí: 200.000 đồng; Phí:
  0") → that amount; anything per page, per case, with alternatives or "đang cập nhật" → empty (unknown);
* steps: ``ngày`` in an internal procedure means working days (QTNB tables count office days); ``không tính
  thời gian`` → empty ``allotted_time`` (not counted). One source per code, by preference: Lạng Sơn QTNB case
  a (or without cases) → Lạng Sơn case b → Đồng Nai QTĐT → any other. Lạng Sơn first because every one of its
  totals matches its stated total while Đồng Nai's QTĐT has sum errors and swapped columns (README §8), and
  its roles name the divisions of the demo department. Case a (no advisory council) is the ordinary path and
  its 15 working days really fit the published "27 ngày"; case b's 27 *working* days only pass the loose bound
  of :mod:`procedures.terms`. A chosen step list longer than the procedure's term is reported and left out
  (never trimmed).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from procedures.catalogue_format import (
    AGENCY_COLUMNS,
    PROCEDURE_COLUMNS,
    STEP_EXPORT_COLUMNS,
    tree_order,
    write_csv,
)
from procedures.choices import AgencyLevel, OnlineLevel, ProcedureLevel, TermUnit
from procedures.terms import WORKING_DAY_HOURS, Term, format_decimal, hours_certainly_exceed

PROCEDURES_FILE = "procedures_reference.csv"
STEPS_FILE = "steps_reference.csv"
TIME_TEXT_FILE = "procedures_time_text.csv"
DEMO_DIR = Path(__file__).resolve().parent / "demo"

# Demo convention: the demo catalogue is "in force" from 1/7/2025, the start of the two-tier local government
# and of Decree 118/2025 (domain §0). It is a demo date, not the date of any publication decision.
DEMO_EFFECTIVE_FROM = date(2025, 7, 1)

# Demo agencies. Codes start with "DEMO-" and electronic identifiers with "DEMO." so that nothing here can be
# mistaken for a real agency code or e-ID (domain §7); the names are generic ("tỉnh Demo").
DEMO_AGENCIES: tuple[dict[str, str], ...] = (
    {
        "code": "DEMO-UBND",
        "name": "Ủy ban nhân dân tỉnh Demo",
        "level": AgencyLevel.PROVINCE,
        "parent_code": "",
        "e_id": "DEMO.000.00.00.H00",
    },
    {
        "code": "DEMO-TTPVHCC",
        "name": "Trung tâm Phục vụ hành chính công tỉnh Demo",
        "level": AgencyLevel.DEPARTMENT,
        "parent_code": "DEMO-UBND",
        "e_id": "DEMO.000.00.01.H00",
    },
    {
        "code": "DEMO-SKHCN",
        "name": "Sở Khoa học và Công nghệ tỉnh Demo",
        "level": AgencyLevel.DEPARTMENT,
        "parent_code": "DEMO-UBND",
        "e_id": "DEMO.000.00.02.H00",
    },
    {
        "code": "DEMO-SKHCN-VP",
        "name": "Văn phòng Sở Khoa học và Công nghệ",
        "level": AgencyLevel.UNIT,
        "parent_code": "DEMO-SKHCN",
        "e_id": "DEMO.000.01.02.H00",
    },
    {
        "code": "DEMO-SKHCN-QLCN",
        "name": "Phòng Quản lý công nghệ và Tiêu chuẩn đo lường chất lượng",
        "level": AgencyLevel.UNIT,
        "parent_code": "DEMO-SKHCN",
        "e_id": "DEMO.000.02.02.H00",
    },
    {
        "code": "DEMO-SKHCN-QLKH",
        "name": "Phòng Quản lý khoa học",
        "level": AgencyLevel.UNIT,
        "parent_code": "DEMO-SKHCN",
        "e_id": "DEMO.000.03.02.H00",
    },
    {
        "code": "DEMO-QUY-KHCN",
        "name": "Quỹ phát triển khoa học, công nghệ và đổi mới sáng tạo tỉnh Demo",
        "level": AgencyLevel.UNIT,
        "parent_code": "DEMO-SKHCN",
        "e_id": "DEMO.000.04.02.H00",
    },
    {
        "code": "DEMO-XA-A",
        "name": "Ủy ban nhân dân xã Demo A",
        "level": AgencyLevel.COMMUNE,
        "parent_code": "DEMO-UBND",
        "e_id": "DEMO.001.00.00.H00",
    },
    {
        "code": "DEMO-XA-B",
        "name": "Ủy ban nhân dân xã Demo B",
        "level": AgencyLevel.COMMUNE,
        "parent_code": "DEMO-UBND",
        "e_id": "DEMO.002.00.00.H00",
    },
    {
        # Ministry-level S&T procedures (cấp bộ) are decided by the ministry; provincial centres may receive
        # them (Decree 118/2025, domain §1.3). The name is the real ministry's; code and e-ID are demo.
        "code": "DEMO-BKHCN",
        "name": "Bộ Khoa học và Công nghệ",
        "level": AgencyLevel.MINISTRY,
        "parent_code": "",
        "e_id": "DEMO.000.00.00.G00",
    },
)
DEMO_COMMUNE = "DEMO-XA-A"
# Demo convention, not from the sources: a ministry TTHC is received in a province only where the ministry
# delegated it (Decree 118/2025). The published data says nothing about delegation, so the demo delegates one
# of its two ministry-level procedures (re-issuing a radiation-work licence) to the demo province and leaves
# the other one to the ministry, to show both cases at the desks.
DEMO_DELEGATED_TO: dict[str, str] = {"1.009844": "DEMO-UBND"}
# Agencies whose procedures belong to the Department of Science and Technology's catalogue: its own, those the
# provincial People's Committee decides on the department's appraisal (data README §10), and the fund's.
DOST_CATALOGUE_AGENCIES = frozenset(
    {"DEMO-SKHCN", "DEMO-SKHCN-QLCN", "DEMO-SKHCN-QLKH", "DEMO-SKHCN-VP", "DEMO-QUY-KHCN", "DEMO-UBND"}
)

# Controlled list of fields (lĩnh vực): the sources spell the same field several ways (data README
# "Coverage").
FIELD_ALIASES: dict[str, str] = {
    "hoạt động khoa học và công nghệ": "Hoạt động khoa học và công nghệ",
    "khoa học và công nghệ": "Hoạt động khoa học và công nghệ",
    "an toàn bức xạ hạt nhân": "Năng lượng nguyên tử, an toàn bức xạ và hạt nhân",
    "an toàn bức xạ và hạt nhân": "Năng lượng nguyên tử, an toàn bức xạ và hạt nhân",
    "năng lượng nguyên tử, an toàn bức xạ và hạt nhân": "Năng lượng nguyên tử, an toàn bức xạ và hạt nhân",
    "sở hữu trí tuệ": "Sở hữu trí tuệ",
    "tiêu chuẩn, đo lường, chất lượng": "Tiêu chuẩn đo lường chất lượng",
    "tiêu chuẩn đo lường chất lượng": "Tiêu chuẩn đo lường chất lượng",
    "chứng thực": "Chứng thực",
    "hộ tịch": "Hộ tịch",
    "lĩnh vực hộ tịch": "Hộ tịch",
}
LEVELS: dict[str, str] = {
    "cấp bộ": ProcedureLevel.MINISTRY,
    "cấp tỉnh": ProcedureLevel.PROVINCE,
    "cấp xã": ProcedureLevel.COMMUNE,
    "cấp tỉnh, cấp xã": ProcedureLevel.PROVINCE_COMMUNE,
}
ONLINE_LEVELS: dict[str, str] = {
    "": OnlineLevel.NONE,
    "toàn trình": OnlineLevel.FULL,
    "một phần": OnlineLevel.PARTIAL,
    # Decree 43/2011 levels, still shown by older portals: level 4 (submit, pay and receive online) is the
    # closest to today's "toàn trình", level 3 (submit online, receive in person) to "một phần".
    "mức độ 4": OnlineLevel.FULL,
    "mức độ 3": OnlineLevel.PARTIAL,
    "mức độ 2": OnlineLevel.NONE,
    "mức độ 1": OnlineLevel.NONE,
}
SAME_DAY_PREFIX = "ngay trong ngày"
NOT_COUNTED = "không tính thời gian"
_CODE_RE = re.compile(r"^([1-9]\.\d{6})(?:\.[0-9A-Za-z.]+)?$")
_AMOUNT_RE = re.compile(r"^(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?:đồng|đ|vnđ|vnd)?$", re.IGNORECASE)
_FEE_LABEL_RE = re.compile(r"^(?:lệ\s*phí|phí)\s*:?\s*", re.IGNORECASE)


class Unmappable(Exception):
    """A value with no faithful mapping; the message says why."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A reference row (or group of step rows) left out of the catalogue, and why."""

    file: str
    lines: str
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} {self.lines} ({self.code or 'no code'}): {self.reason}"


@dataclass(slots=True)
class Conversion:
    agencies: list[dict[str, str]] = field(default_factory=list)
    procedures: list[dict[str, str]] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        step_codes = {row["code"] for row in self.steps}
        dost = sum(1 for row in self.procedures if row["agency_code"] in DOST_CATALOGUE_AGENCIES)
        ministry = sum(1 for row in self.procedures if row["agency_code"] == "DEMO-BKHCN")
        other = len(self.procedures) - dost - ministry
        return (
            f"{len(self.agencies)} agencies, {len(self.procedures)} procedures ({dost} in the Department of "
            f"Science and Technology's catalogue, {ministry} ministry-level, {other} other), "
            f"{len(self.steps)} steps for {len(step_codes)} procedures, {len(self.skipped)} skipped"
        )


# --- value mappings -----------------------------------------------------------------------------------------


def demo_code_for(line: int) -> str:
    """A demo code for a procedure published without a national code: stable (from its source line) and never
    mistakable for a national one (``DEMO.`` prefix, domain §7 regex does not match)."""
    return f"DEMO.{900000 + line:06d}"


def normalise_code(raw: str) -> str | None:
    """The 8-character national code, without province suffix or service-code tail; None if there is none.

    Spaces are dropped first: Vĩnh Long prints "2.000908.00 0.00.00.H61" (data README §6).
    """
    match = _CODE_RE.match(re.sub(r"\s+", "", raw or ""))
    return match.group(1) if match else None


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise Unmappable(f"not a number: '{text}'") from exc
    if value < 0 or not value.is_finite():
        raise Unmappable(f"not a non-negative number: '{text}'")
    return value


def map_term(time_text: str, unit_text: str, *, published: str = "") -> Term:
    """The statutory term of a reference row, or :class:`Unmappable` with the reason."""
    unit = (unit_text or "").strip().lower()
    amount = (time_text or "").strip()
    if unit.startswith(SAME_DAY_PREFIX):
        return Term(Decimal(0), TermUnit.WORKING_DAYS)  # same day; after 15:00 the next working day (§2.1)
    if not amount:
        if published:
            return _raise(
                f"no single overall time is published (staged or conditional): '{_short(published)}'"
            )
        return _raise("no time is published in the source")
    if unit == "ngày làm việc":
        return Term(_decimal(amount), TermUnit.WORKING_DAYS)
    if unit == "ngày":
        return Term(_decimal(amount), TermUnit.CALENDAR_DAYS)
    if unit == "tháng":
        return _raise(
            f"term in months ('{amount} tháng'): months are not days and the format has no months unit"
        )
    if not unit:
        return _raise(f"time '{amount}' has no unit")
    return _raise(f"unknown unit '{unit_text}'")


def _raise(message: str):
    raise Unmappable(message)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def map_online_level(text: str) -> str:
    key = " ".join((text or "").lower().split())
    if key not in ONLINE_LEVELS:
        raise Unmappable(f"unknown online level '{text}'")
    return str(ONLINE_LEVELS[key].value)


def map_level(text: str) -> str:
    key = " ".join((text or "").lower().split())
    if key not in LEVELS:
        raise Unmappable(f"unknown implementing level '{text}'")
    return str(LEVELS[key].value)


def map_field(text: str) -> str:
    cleaned = " ".join((text or "").split())
    return FIELD_ALIASES.get(cleaned.lower(), cleaned)


def parse_fees_vnd(text: str) -> int | None:
    """Fees in đồng when the published text is free or one flat amount, else None (unknown, kept as text).

    >>> parse_fees_vnd("Không"), parse_fees_vnd("Phí: 250.000 Đồng"), parse_fees_vnd("Phí: 2.000 đồng/trang")
    (0, 250000, None)
    """
    cleaned = " ".join((text or "").split()).strip().rstrip(".")
    if not cleaned:
        return None
    if cleaned.lower() in {"không", "miễn phí", "miễn lệ phí", "0"}:
        return 0
    amounts: list[int] = []
    for part in cleaned.split(";"):
        value = _FEE_LABEL_RE.sub("", part.strip()).strip()
        if value.lower() in {"không", "0", "miễn", "miễn phí"}:
            amounts.append(0)
            continue
        match = _AMOUNT_RE.match(value)
        if not match:
            return None  # per page, per case, a list, "đang cập nhật"...: not one flat amount
        amounts.append(int(re.sub(r"\D", "", match.group(1))))
    non_zero = [amount for amount in amounts if amount]
    if len(non_zero) > 1:
        return None  # alternatives (one fee per case) must not be added up
    return non_zero[0] if non_zero else 0


# --- agencies -----------------------------------------------------------------------------------------------


def demo_agency_for(agency_example: str, level: str) -> str:
    """Demo agency deciding a procedure, from the source's example agency (first rule that matches wins)."""
    text = (agency_example or "").lower()
    if level == ProcedureLevel.MINISTRY:
        return "DEMO-BKHCN"
    if "cơ quan phân cấp" in text:
        # 3.000453: "Cơ quan phân cấp, ủy quyền của UBND cấp tỉnh" (NĐ 133/2025) — in the demo the department.
        return "DEMO-SKHCN"
    if "quỹ phát triển khoa học" in text:
        return "DEMO-QUY-KHCN"
    if "trung tâm phục vụ hành chính công tỉnh" in text:
        return "DEMO-TTPVHCC"
    if level == ProcedureLevel.COMMUNE or "cấp xã" in text or "phường" in text:
        # A commune-level procedure is carried out by every commune; the demo catalogue files it under one.
        return DEMO_COMMUNE
    if "ủy ban nhân dân tỉnh" in text or "ủy ban nhân dân cấp tỉnh" in text or "ubnd tỉnh" in text:
        return "DEMO-UBND"
    if "sở khoa học và công nghệ" in text or "chi cục tiêu chuẩn" in text:
        return "DEMO-SKHCN"
    raise Unmappable(f"no demo agency for '{agency_example}'")


def demo_unit_for_role(role: str, procedure_agency: str) -> str:
    """Demo unit behind a step's role text; empty when the actor is outside the demo tree (council,
    applicant)."""
    text = (role or "").lower()
    if procedure_agency == DEMO_COMMUNE:
        if "công an" in text:
            return ""  # commune police: a vertical body, not in the demo tree
        return DEMO_COMMUNE if "cấp xã" in text else ""
    rules: tuple[tuple[tuple[str, ...], str], ...] = (
        (("qlcn", "quản lý công nghệ"), "DEMO-SKHCN-QLCN"),
        (("qlkh", "quản lý khoa học"), "DEMO-SKHCN-QLKH"),
        (("văn thư sở",), "DEMO-SKHCN-VP"),
        (("ccmc", "trung tâm phục vụ hành chính công"), "DEMO-TTPVHCC"),
        (("ubnd tỉnh", "ủy ban nhân dân tỉnh"), "DEMO-UBND"),
        (("lãnh đạo sở",), "DEMO-SKHCN"),
    )
    for needles, code in rules:
        if any(needle in text for needle in needles):
            return code
    return ""


# --- reading ------------------------------------------------------------------------------------------------


def _read(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows with their physical line numbers (header = line 1)."""
    rows: list[tuple[int, dict[str, str]]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        previous_end = reader.line_num
        for record in reader:
            rows.append((previous_end + 1, {k: (v or "") for k, v in record.items() if k}))
            previous_end = reader.line_num
    return rows


def _time_texts(shared: Path) -> dict[int, str]:
    """Published time text per procedures_reference.csv line (the two files list the same rows in order)."""
    path = shared / TIME_TEXT_FILE
    if not path.exists():
        return {}
    return {line: row.get("statutory_time_text", "") for line, row in _read(path)}


def _publication(source: str) -> str:
    """The publishing decision or page: the source text up to its first ';' outside parentheses."""
    depth, end = 0, len(source or "")
    for index, char in enumerate(source or ""):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            end = index
            break
    first = (source or "")[:end].strip()
    return f"Công bố tại: {first}" if first else ""


# --- conversion ---------------------------------------------------------------------------------------------


def convert_procedures(
    shared: Path, *, effective_from: date = DEMO_EFFECTIVE_FROM
) -> tuple[list[dict[str, str]], list[Skipped]]:
    """Importer rows for every reference procedure that maps, and the skipped ones with their reasons."""
    texts = _time_texts(shared)
    rows: list[dict[str, str]] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    for line, source in _read(shared / PROCEDURES_FILE):
        raw_code = source.get("code", "")
        code = normalise_code(raw_code)
        reasons: list[str] = []
        if not raw_code.strip():
            code = demo_code_for(line)
        elif code is None:
            reasons.append(f"malformed code '{raw_code}'")
        elif code in seen:
            reasons.append(f"code already converted from line {seen[code]}")
        term = level = online = agency = None
        try:
            term = map_term(
                source.get("statutory_time", ""),
                source.get("statutory_unit", ""),
                published=texts.get(line, ""),
            )
        except Unmappable as exc:
            reasons.append(str(exc))
        try:
            level = map_level(source.get("level", ""))
            agency = demo_agency_for(source.get("agency_example", ""), level)
        except Unmappable as exc:
            reasons.append(str(exc))
        try:
            online = map_online_level(source.get("online_level", ""))
        except Unmappable as exc:
            reasons.append(str(exc))
        if reasons:
            skipped.append(
                Skipped(PROCEDURES_FILE, f"line {line}", code or raw_code.strip(), "; ".join(reasons))
            )
            continue
        seen[code] = line
        fees = parse_fees_vnd(source.get("fees", ""))
        rows.append(
            {
                "code": code,
                "name": " ".join(source.get("name", "").split()),
                "field": map_field(source.get("field", "")),
                "level": level,
                "agency_code": agency,
                "statutory_time": format_decimal(term.amount),
                "statutory_unit": term.unit,
                "committed_time": "",  # the sources publish no reduced term (data README)
                "committed_unit": "",
                "online_time": "",
                "online_unit": "",
                "online_level": online,
                # A service published as "toàn trình" is offered end to end online; nothing else is claimed.
                "full_online_eligible": "true" if online == OnlineLevel.FULL else "false",
                "fees_vnd": "" if fees is None else str(fees),
                "effective_from": effective_from.isoformat(),
                "legal_basis": _publication(source.get("source", "")),
                "received_in": DEMO_DELEGATED_TO.get(code, ""),
            }
        )
    rows.sort(key=lambda row: row["code"])
    return rows, skipped


@dataclass(slots=True)
class _StepGroup:
    code: str
    source: str
    lines: list[int] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        match = re.match(r"^(QĐ \S+)\s+ngày\s+\S+\s+\(([^)]+)\)", self.source)
        label = f"{match.group(1)} ({match.group(2)})" if match else _short(self.source, 60)
        case = re.search(r"trường hợp ([ab])\)", self.source)
        return label + (f", trường hợp {case.group(1)}" if case else "")

    @property
    def preference(self) -> int:
        if "Lạng Sơn" in self.source:
            return 1 if "trường hợp b)" in self.source else 0
        if "Đồng Nai" in self.source:
            return 2
        return 3

    @property
    def line_span(self) -> str:
        return f"line {self.lines[0]}" if len(self.lines) == 1 else f"lines {self.lines[0]}–{self.lines[-1]}"


def convert_steps(
    shared: Path, procedures: list[dict[str, str]]
) -> tuple[list[dict[str, str]], list[Skipped]]:
    """Importer step rows for the converted procedures: one source per code, checked against the term."""
    by_code = {row["code"]: row for row in procedures}
    groups: dict[tuple[str, str], _StepGroup] = {}
    for line, source in _read(shared / STEPS_FILE):
        code = normalise_code(source.get("code", "")) or source.get("code", "").strip()
        key = (code, source.get("source", ""))
        group = groups.setdefault(key, _StepGroup(code=code, source=key[1]))
        group.lines.append(line)
        group.rows.append(source)
    per_code: dict[str, list[_StepGroup]] = {}
    for group in groups.values():
        per_code.setdefault(group.code, []).append(group)

    rows: list[dict[str, str]] = []
    skipped: list[Skipped] = []
    for code in sorted(per_code):
        candidates = sorted(per_code[code], key=lambda g: g.preference)
        chosen = candidates[0]
        for other in candidates:
            if other is not chosen:
                skipped.append(
                    Skipped(
                        STEPS_FILE,
                        other.line_span,
                        code,
                        f"alternative internal procedure {other.label} not used; one source per code, "
                        f"{chosen.label} chosen",
                    )
                )
        procedure = by_code.get(code)
        if procedure is None:
            skipped.append(
                Skipped(
                    STEPS_FILE, chosen.line_span, code, "its procedure is not in the catalogue (see above)"
                )
            )
            continue
        try:
            converted = _convert_group(chosen, procedure)
        except Unmappable as exc:
            skipped.append(Skipped(STEPS_FILE, chosen.line_span, code, f"{chosen.label}: {exc}"))
            continue
        rows.extend(converted)
    return rows, skipped


def _convert_group(group: _StepGroup, procedure: dict[str, str]) -> list[dict[str, str]]:
    term = Term(Decimal(procedure["statutory_time"]), procedure["statutory_unit"])
    converted: list[dict[str, str]] = []
    numbers: set[int] = set()
    total_days = Decimal(0)
    for line, source in zip(group.lines, group.rows, strict=True):
        number_text = re.sub(r"^(?:B|Bước)\s*", "", source.get("step_no", "").strip(), flags=re.IGNORECASE)
        if not number_text.isdigit() or int(number_text) < 1:
            raise Unmappable(
                f"line {line}: step number '{source.get('step_no', '')}' is not a positive integer"
            )
        number = int(number_text)
        if number in numbers:
            raise Unmappable(f"line {line}: step number {number} appears twice")
        numbers.add(number)
        unit = " ".join(source.get("allotted_unit", "").lower().split())
        time_text = source.get("allotted_time", "").strip()
        if unit == NOT_COUNTED or (not unit and not time_text):
            allotted, allotted_unit = "", ""
        elif unit in {"ngày", "ngày làm việc"}:
            # In an internal procedure (QTNB/QTĐT) "ngày" counts office days: working days.
            days = _decimal(time_text) if time_text else _raise(f"line {line}: a unit without a time")
            total_days += days
            allotted, allotted_unit = format_decimal(days), TermUnit.WORKING_DAYS.value
        else:
            raise Unmappable(f"line {line}: unknown step unit '{source.get('allotted_unit', '')}'")
        converted.append(
            {
                "code": procedure["code"],
                "effective_from": procedure["effective_from"],
                "step_no": str(number),
                "step_name": " ".join(source.get("step_name", "").split()),
                "role": " ".join(source.get("role", "").split()),
                "unit_code": demo_unit_for_role(source.get("role", ""), procedure["agency_code"]),
                "allotted_time": allotted,
                "allotted_unit": allotted_unit,
            }
        )
    hours = total_days * WORKING_DAY_HOURS
    if hours_certainly_exceed(hours, term):
        raise Unmappable(
            f"the steps total {format_decimal(total_days)} working days ({format_decimal(hours)} working "
            f"hours), longer than the term {term} (at most "
            f"{format_decimal(term.max_working_hours())} working hours); not imported"
        )
    converted.sort(key=lambda row: int(row["step_no"]))
    return converted


def convert_reference(shared: Path, *, effective_from: date = DEMO_EFFECTIVE_FROM) -> Conversion:
    """The whole demo catalogue from the reference folder."""
    shared = Path(shared)
    procedures, skipped_procedures = convert_procedures(shared, effective_from=effective_from)
    steps, skipped_steps = convert_steps(shared, procedures)
    agencies = tree_order(
        {name: str(getattr(agency[name], "value", agency[name])) for name in AGENCY_COLUMNS}
        for agency in DEMO_AGENCIES
    )
    return Conversion(
        agencies=agencies, procedures=procedures, steps=steps, skipped=skipped_procedures + skipped_steps
    )


def write_conversion(conversion: Conversion, out_dir: Path) -> list[Path]:
    """Write agencies.csv, procedures.csv, steps.csv in the import format."""
    out_dir = Path(out_dir)
    paths = []
    for name, columns, rows in (
        ("agencies.csv", AGENCY_COLUMNS, conversion.agencies),
        ("procedures.csv", PROCEDURE_COLUMNS, conversion.procedures),
        # The reference data marks no deciding step: the last processing step decides (the default).
        ("steps.csv", STEP_EXPORT_COLUMNS, [{"deciding": "false", **row} for row in conversion.steps]),
    ):
        write_csv(out_dir / name, columns, rows)
        paths.append(out_dir / name)
    return paths
