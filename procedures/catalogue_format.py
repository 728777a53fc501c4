"""The catalogue exchange format: three tables (agencies, procedures, steps) as CSV files or xlsx sheets.

This module only moves tables between files and Python (no ORM), so the importer, the exporter and the
reference-data converter share one definition of the columns and one way of writing them.

* CSV: UTF-8 (a byte-order mark is accepted on reading and never written), comma-separated, ``\\n`` line ends.
  Text starting with ``= + - @``, a tab or a carriage return is written with a leading ``'`` so that a
  spreadsheet opening the file shows it instead of running it as a formula (OWASP CSV Injection); on reading,
  a ``'`` followed by one of those characters is removed again, so export → import changes nothing.
* xlsx: one sheet per kind. On reading, the sheet named after the kind is used when it exists, otherwise the
  workbook's first sheet. Cells are written as text so codes such as ``1.014440`` and decimals keep every
  digit.
* Line numbers in messages are physical: the header is line 1 of a CSV file (a quoted value spanning several
  lines counts them all); in a sheet, the row number Excel shows.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from procedures.text import csv_text_restore, csv_writer

AGENCY_COLUMNS: tuple[str, ...] = ("code", "name", "level", "parent_code", "e_id")
PROCEDURE_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "field",
    "level",
    "agency_code",
    "statutory_time",
    "statutory_unit",
    "committed_time",
    "committed_unit",
    "online_time",
    "online_unit",
    "online_level",
    "full_online_eligible",
    "fees_vnd",
    "effective_from",
    "legal_basis",
    "received_in",
)
STEP_COLUMNS: tuple[str, ...] = (
    "code",
    "effective_from",
    "step_no",
    "step_name",
    "role",
    "unit_code",
    "allotted_time",
    "allotted_unit",
)
# Optional step columns: a file without them imports as before. ``deciding`` (true|false, empty = false) marks
# the step whose holder records the result; when no step of a version is marked, its last processing step
# decides. The exporter always writes them.
STEP_OPTIONAL_COLUMNS: tuple[str, ...] = ("deciding",)
STEP_EXPORT_COLUMNS: tuple[str, ...] = (*STEP_COLUMNS, *STEP_OPTIONAL_COLUMNS)
COLUMNS: dict[str, tuple[str, ...]] = {
    "agencies": AGENCY_COLUMNS,
    "procedures": PROCEDURE_COLUMNS,
    "steps": STEP_COLUMNS,
}
KINDS: tuple[str, ...] = ("agencies", "procedures", "steps")
# Columns added after the first files were written: a table without them still imports (see the importer for
# what their absence means).
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {"procedures": frozenset({"received_in"})}


def required_columns(kind: str) -> tuple[str, ...]:
    """The columns a ``kind`` table must have: all of :data:`COLUMNS` but the optional ones."""
    optional = OPTIONAL_COLUMNS.get(kind, frozenset())
    return tuple(name for name in COLUMNS[kind] if name not in optional)


# Columns holding a procedure code: a code typed into Excel as a number (1.01444) gets its six decimals back.
CODE_COLUMNS = frozenset({"code"})


class TableError(Exception):
    """A file or sheet that cannot be read as a table at all (missing, not UTF-8, no header...)."""

    def __init__(self, label: str, message: str) -> None:
        super().__init__(f"{label}: {message}")
        self.label = label
        self.message = message


@dataclass(slots=True)
class Row:
    line: int
    values: dict[str, str]
    extra_cells: int = 0  # non-empty cells beyond the header (an unquoted "0,5" in a CSV, typically)


@dataclass(slots=True)
class Table:
    """A header and its rows; ``label`` names the file (and sheet) in messages, e.g.
    ``catalogue.xlsx[steps]``."""

    label: str
    header: list[str]
    rows: list[Row] = field(default_factory=list)

    def missing_columns(self, required: Iterable[str]) -> list[str]:
        present = set(self.header)
        return [name for name in required if name not in present]

    def duplicate_columns(self) -> list[str]:
        seen: set[str] = set()
        return sorted({name for name in self.header if name and (name in seen or seen.add(name))})


def _normalise_header(cells: Sequence[str]) -> list[str]:
    return [cell.strip().lstrip("\ufeff").lower() for cell in cells]


def read_csv_table(path: Path) -> Table:
    label = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header_cells = next(reader, None)
            if header_cells is None:
                raise TableError(label, "the file is empty; expected a header line")
            table = Table(label=label, header=_normalise_header(header_cells))
            previous_end = reader.line_num
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                record = [csv_text_restore(cell) for cell in record]
                table.rows.append(_make_row(table.header, record, start))
    except UnicodeDecodeError as exc:
        raise TableError(label, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise TableError(label, f"not a readable CSV file ({exc})") from exc
    return table


def _make_row(header: list[str], cells: Sequence[str], line: int) -> Row:
    values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}
    extra = sum(1 for cell in cells[len(header) :] if str(cell).strip())
    return Row(line=line, values=values, extra_cells=extra)


def _cell_text(value: object, *, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if column in CODE_COLUMNS:
            return f"{value:.6f}"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_xlsx_table(path: Path, kind: str) -> Table:
    """The sheet named ``kind`` of the workbook, or its first sheet when there is none of that name."""
    sheet_names = xlsx_sheet_names(path)
    sheet_name = kind if kind in sheet_names else sheet_names[0]
    return read_xlsx_sheet(path, sheet_name)


def xlsx_sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise TableError(path.name, f"not a readable .xlsx workbook ({exc})") from exc
    try:
        names = list(workbook.sheetnames)
    finally:
        workbook.close()
    if not names:
        raise TableError(path.name, "the workbook has no sheet")
    return names


def read_xlsx_sheet(path: Path, sheet_name: str) -> Table:
    from openpyxl import load_workbook

    label = f"{path.name}[{sheet_name}]"
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise TableError(path.name, f"not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = workbook[sheet_name]
        table: Table | None = None
        for line, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            if table is None:
                if not any(_cell_text(c, column="").strip() for c in cells):
                    continue
                table = Table(
                    label=label, header=_normalise_header([_cell_text(c, column="") for c in cells])
                )
                # Excel keeps formatting on trailing empty columns; they are not part of the header.
                while table.header and not table.header[-1]:
                    table.header.pop()
                continue
            texts = [
                _cell_text(c, column=table.header[i] if i < len(table.header) else "")
                for i, c in enumerate(cells)
            ]
            if not any(text.strip() for text in texts):
                continue
            table.rows.append(_make_row(table.header, texts, line))
    finally:
        workbook.close()
    if table is None:
        raise TableError(label, "the sheet is empty; expected a header row")
    return table


def tree_order(rows: Iterable[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """Agency rows with parents before children and siblings by code (roots first, depth-first).

    An importer reading top-down then never meets an unknown parent, and two exports list agencies
    identically. Rows whose parent is not among the rows count as roots; rows caught in a parent loop come
    last, by code.
    """
    rows = list(rows)
    codes = {row["code"] for row in rows}
    children: dict[str, list[Mapping[str, str]]] = {}
    for row in rows:
        parent = row.get("parent_code") or ""
        children.setdefault(parent if parent in codes else "", []).append(row)
    ordered: list[Mapping[str, str]] = []
    seen: set[str] = set()
    stack = sorted(children.get("", []), key=lambda r: r["code"], reverse=True)
    while stack:
        row = stack.pop()
        if row["code"] in seen:
            continue
        seen.add(row["code"])
        ordered.append(row)
        stack.extend(sorted(children.get(row["code"], []), key=lambda r: r["code"], reverse=True))
    ordered.extend(sorted((r for r in rows if r["code"] not in seen), key=lambda r: r["code"]))
    return ordered


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv_writer(fh, lineterminator="\n")  # text a spreadsheet would run gets a leading '
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(name, "") for name in columns])


def write_xlsx(path: Path, sheets: Mapping[str, tuple[Sequence[str], Iterable[Mapping[str, str]]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)

    def cell(sheet, value: str):
        if not value:
            return None
        if value.startswith("="):  # text, never a formula
            text_cell = WriteOnlyCell(sheet, value)
            text_cell.data_type = "s"
            return text_cell
        return value

    for name, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title=name)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([cell(sheet, row.get(column, "")) for column in columns])
    workbook.save(path)
