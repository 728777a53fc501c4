"""Import the procedure catalogue (agencies, procedures with their versions, internal steps) from CSV or xlsx.

Legal basis of the checks: the committed term may not exceed the statutory term and the internal steps add up
to (at most) the committed term (domain §1.5 internal procedures, §5 time reductions); national codes have the
form ``d.dddddd`` without local suffixes (domain §7).

The import runs in two phases so that a province's catalogue is never half-loaded:

1. **validate** every cell of every row of every file and the references between files and the database,
   collecting *all* problems as ``<file> line N, column C: reason``;
2. **write**, only when there is no problem, in one transaction with bulk operations; every lookup comes from
   dictionaries loaded once, never from a query per row.

Keys: agencies by ``code``; versions by (procedure ``code``, ``effective_from``); steps by (version,
``step_no``). Re-importing the same files therefore changes nothing. See :mod:`procedures.catalogue_format`
for the columns and the ``procedures_import`` command help for the value rules.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from tqdm import tqdm

from procedures.catalogue_format import (
    Table,
    TableError,
    read_csv_table,
    read_xlsx_sheet,
    read_xlsx_table,
    required_columns,
    xlsx_sheet_names,
)
from procedures.choices import AgencyLevel, OnlineLevel, ProcedureLevel, TermUnit
from procedures.models import (
    AGENCY_CODE_RE,
    HOURS_DECIMAL_PLACES,
    HOURS_MAX_DIGITS,
    PROCEDURE_CODE_RE,
    TERM_DECIMAL_PLACES,
    TERM_MAX_DIGITS,
    Agency,
    Procedure,
    ProcedureStep,
    ProcedureVersion,
)
from procedures.services.versions import procedure_versions_close
from procedures.terms import (
    WORKING_DAY_HOURS,
    Term,
    format_decimal,
    hours_certainly_exceed,
    term_certainly_exceeds,
)

T = TypeVar("T")

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no", ""})
STEP_UNITS = (TermUnit.WORKING_DAYS.value, TermUnit.WORKING_HOURS.value)
_NUMBER_RE = re.compile(r"^([+-]?)(\d*)(?:[.,](\d+))?$")
_GROUPED_INT_RE = re.compile(r"^([+-]?)\d{1,3}(?:([., ])\d{3})(?:\2\d{3})*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SUFFIXED_CODE_RE = re.compile(r"^([1-9]\.\d{6})[.\s]")
_CHUNK = 500


# --- results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem, located as precisely as the input allows."""

    source: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class CatalogueImportError(Exception):
    """The input has problems; nothing was written. ``issues`` lists every one of them."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(slots=True)
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.deleted} deleted" if self.deleted else "")

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def _assign_changes(obj: Any, wanted: dict[str, Any]) -> bool:
    """Set the fields of ``obj`` that differ from ``wanted``; True if any did.

    Comparing before writing is what makes a re-import of the same files report "unchanged" and
    leave rows untouched (idempotence), while ``bulk_update`` still writes changed rows in one go.
    """
    differs = {name: value for name, value in wanted.items() if getattr(obj, name) != value}
    for name, value in differs.items():
        setattr(obj, name, value)
    return bool(differs)


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    agencies: KindCounts = field(default_factory=KindCounts)
    procedures: KindCounts = field(default_factory=KindCounts)
    versions: KindCounts = field(default_factory=KindCounts)
    steps: KindCounts = field(default_factory=KindCounts)
    closed_versions: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        kinds = (self.agencies, self.procedures, self.versions, self.steps)
        return any(kind.changed for kind in kinds) or bool(self.closed_versions)

    def lines(self) -> list[str]:
        versions = str(self.versions)
        if self.closed_versions:
            versions += f" ({self.closed_versions} predecessor(s) closed)"
        lines = [
            f"agencies: {self.agencies}",
            f"procedures: {self.procedures}",
            f"versions: {versions}",
            f"steps: {self.steps}",
        ]
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines

    def __str__(self) -> str:
        return "; ".join(self.lines())


# --- parsed rows --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class AgencyRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str
    e_id: str


@dataclass(slots=True)
class VersionRow:
    line: int
    code: str
    effective_from: date
    name: str
    field: str
    level: str
    agency_code: str
    statutory: Term
    committed: Term
    online: Term | None
    online_level: str
    full_online_eligible: bool
    fees_vnd: int | None
    legal_basis: str
    # Agency codes of the optional ``received_in`` column; None when the file has no such column.
    received_in: tuple[str, ...] | None = None

    @property
    def key(self) -> tuple[str, date]:
        return self.code, self.effective_from


@dataclass(slots=True)
class StepRow:
    line: int
    code: str
    effective_from: date
    step_no: int
    name: str
    role: str
    unit_code: str
    working_hours: Decimal | None
    deciding: bool = False

    @property
    def key(self) -> tuple[str, date]:
        return self.code, self.effective_from


@dataclass(slots=True)
class CatalogueTables:
    procedures: Table
    agencies: Table | None = None
    steps: Table | None = None


@dataclass(slots=True)
class ImportPlan:
    """The validated content of the files, ready to be written."""

    agencies: list[AgencyRow] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)
    steps: dict[tuple[str, date], list[StepRow]] = field(default_factory=dict)


# --- reading files ------------------------------------------------------------------------------------------


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() == ".xlsx"


def _read_one(path: Path, kind: str, issues: list[ImportIssue]) -> Table | None:
    if not path.exists():
        issues.append(ImportIssue(str(path), _("file not found")))
        return None
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return read_csv_table(path)
        if suffix == ".xlsx":
            return read_xlsx_table(path, kind)
    except TableError as exc:
        issues.append(ImportIssue(exc.label, exc.message))
        return None
    issues.append(
        ImportIssue(
            path.name,
            _("unsupported file type '%(suffix)s'; expected .csv or .xlsx")
            % {
                "suffix": path.suffix,
            },
        )
    )
    return None


def catalogue_read(
    *, procedures: Path, steps: Path | None = None, agencies: Path | None = None
) -> tuple[CatalogueTables | None, list[ImportIssue]]:
    """Read the tables and check their headers.

    A single workbook given as ``procedures`` may also hold ``agencies`` and ``steps`` sheets; a file given
    explicitly for a kind takes precedence over the sheet of that name.
    """
    issues: list[ImportIssue] = []
    procedures_table = _read_one(procedures, "procedures", issues)
    agencies_table = _read_one(agencies, "agencies", issues) if agencies else None
    steps_table = _read_one(steps, "steps", issues) if steps else None
    if procedures_table is not None and _is_xlsx(procedures):
        try:
            names = xlsx_sheet_names(procedures)
            if agencies is None and "agencies" in names:
                agencies_table = read_xlsx_sheet(procedures, "agencies")
            if steps is None and "steps" in names:
                steps_table = read_xlsx_sheet(procedures, "steps")
        except TableError as exc:
            issues.append(ImportIssue(exc.label, exc.message))
    for kind, table in (
        ("agencies", agencies_table),
        ("procedures", procedures_table),
        ("steps", steps_table),
    ):
        if table is None:
            continue
        missing = table.missing_columns(required_columns(kind))
        if missing:
            issues.append(
                ImportIssue(
                    table.label,
                    _("missing required column(s) %(missing)s; a %(kind)s table needs: %(columns)s")
                    % {
                        "missing": ", ".join(missing),
                        "kind": kind,
                        "columns": ",".join(required_columns(kind)),
                    },
                    line=1,
                )
            )
        duplicated = table.duplicate_columns()
        if duplicated:
            issues.append(
                ImportIssue(
                    table.label, _("column(s) given twice: %(c)s") % {"c": ", ".join(duplicated)}, line=1
                )
            )
    if issues or procedures_table is None:
        return None, issues
    return CatalogueTables(procedures=procedures_table, agencies=agencies_table, steps=steps_table), issues


# --- cell parsing -------------------------------------------------------------------------------------------


class _Cells:
    """Parses the cells of one row, recording an issue for every bad cell and remembering if any was bad."""

    def __init__(self, table: Table, row, issues: list[ImportIssue]) -> None:
        self.table = table
        self.row = row
        self.issues = issues
        self.ok = True
        if row.extra_cells and table.label.endswith("]"):  # a sheet: a value typed past the header
            self.error(None, _("%(n)d value(s) in columns without a header") % {"n": row.extra_cells})
        elif row.extra_cells:
            self.error(
                None,
                _(
                    "%(n)d value(s) beyond the last column; a decimal written with a comma must be quoted "
                    '("0,5") or written with a point (0.5)'
                )
                % {"n": row.extra_cells},
            )

    def error(self, column: str | None, message: str) -> None:
        self.issues.append(ImportIssue(self.table.label, message, self.row.line, column))
        self.ok = False

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "").strip()

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw(column)
        if required and not value:
            self.error(column, _("a value is required"))
        elif max_length is not None and len(value) > max_length:
            self.error(
                column,
                _("too long: %(n)d characters, at most %(max)d") % {"n": len(value), "max": max_length},
            )
        return value

    def procedure_code(self, column: str = "code") -> str | None:
        value = self.raw(column)
        if not value:
            self.error(column, _("a value is required"))
            return None
        if PROCEDURE_CODE_RE.match(value):
            return value
        suffixed = _SUFFIXED_CODE_RE.match(value)
        hint = (
            _("; drop the local suffix and use '%(code)s'") % {"code": suffixed.group(1)} if suffixed else ""
        )
        self.error(
            column,
            _(
                "malformed procedure code '%(value)s'; expected a national code d.dddddd (e.g. 1.004227) "
                "or a demo code DEMO.dddddd%(hint)s"
            )
            % {"value": value, "hint": hint},
        )
        return None

    def agency_code(self, column: str, *, required: bool) -> str | None:
        value = self.raw(column)
        if not value:
            if required:
                self.error(column, _("a value is required"))
                return None
            return ""
        if not AGENCY_CODE_RE.match(value):
            self.error(
                column,
                _(
                    "malformed agency code '%(value)s'; use letters without diacritics, digits, '.', '-' "
                    "or '_' (at most 64 characters)"
                )
                % {"value": value},
            )
            return None
        return value

    def agency_list(self, column: str, known_agencies: set[str]) -> tuple[str, ...] | None:
        """Agency codes separated by ';' (or ','), each known and given once; empty → (); None if bad."""
        codes: list[str] = []
        ok = True
        for part in re.split(r"[;,]", self.raw(column)):
            value = part.strip()
            if not value:
                continue
            if not AGENCY_CODE_RE.match(value):
                self.error(
                    column,
                    _(
                        "malformed agency code '%(value)s'; use letters without diacritics, digits, '.', '-' "
                        "or '_' (at most 64 characters), several codes separated by ';'"
                    )
                    % {"value": value},
                )
                ok = False
            elif value not in known_agencies:
                self.error(
                    column,
                    _("unknown agency '%(code)s' (not in the agencies file nor in the database)")
                    % {"code": value},
                )
                ok = False
            elif value in codes:
                self.error(column, _("agency '%(code)s' is listed twice") % {"code": value})
                ok = False
            else:
                codes.append(value)
        return tuple(sorted(codes)) if ok else None

    def choice(
        self, column: str, values: Sequence[str], *, what: str, default: str | None = None
    ) -> str | None:
        value = self.raw(column).lower()
        if not value and default is not None:
            return default
        if value in values:
            return value
        if not value:
            self.error(column, _("a value is required; expected %(values)s") % {"values": "|".join(values)})
        else:
            self.error(
                column,
                _("unknown %(what)s '%(value)s'; expected %(values)s")
                % {"what": what, "value": self.raw(column), "values": "|".join(values)},
            )
        return None

    def unit(
        self, column: str, *, required: bool, allowed: Sequence[str] = tuple(TermUnit.values)
    ) -> str | None:
        value = self.raw(column).lower()
        units = "|".join(TermUnit.values)
        if not value:
            if required:
                self.error(
                    column, _("a value is required; expected %(units)s") % {"units": "|".join(allowed)}
                )
            return None
        if value in allowed:
            return value
        if value in TermUnit.values:  # a known unit that this column refuses (calendar days for a step)
            self.error(
                column,
                _(
                    "%(value)s cannot be converted to working hours; steps are allotted working time, "
                    "use %(allowed)s"
                )
                % {"value": value, "allowed": " or ".join(allowed)},
            )
        else:
            self.error(
                column,
                _("unknown unit '%(value)s'; expected %(units)s")
                % {"value": self.raw(column), "units": units},
            )
        return None

    def decimal(
        self,
        column: str,
        *,
        required: bool,
        max_digits: int = TERM_MAX_DIGITS,
        decimal_places: int = TERM_DECIMAL_PLACES,
    ) -> Decimal | None:
        """A non-negative decimal; '.' or ',' as the decimal separator, no thousands separators."""
        raw = self.raw(column)
        if not raw:
            if required:
                self.error(column, _("a value is required"))
            return None
        match = _NUMBER_RE.match(raw)
        if not match or not (match.group(2) or match.group(3)):
            self.error(column, _("not a number: '%(value)s'") % {"value": raw})
            return None
        sign, whole, fraction = match.groups()
        try:
            value = Decimal(f"{whole or '0'}.{fraction or '0'}")
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            self.error(column, _("not a number: '%(value)s'") % {"value": raw})
            return None
        if sign == "-" and value != 0:
            self.error(column, _("negative numbers are not allowed: '%(value)s'") % {"value": raw})
            return None
        return self._fits(column, raw, value, max_digits=max_digits, decimal_places=decimal_places)

    def _fits(
        self, column: str, raw: str, value: Decimal, *, max_digits: int, decimal_places: int
    ) -> Decimal | None:
        normalised = value.normalize()
        exponent = normalised.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimal_places:
            self.error(
                column,
                _("too many decimal places in '%(value)s'; at most %(n)d")
                % {"value": raw, "n": decimal_places},
            )
            return None
        if value >= Decimal(10) ** (max_digits - decimal_places):
            self.error(column, _("too large: '%(value)s'") % {"value": raw})
            return None
        return value

    def fees(self, column: str) -> int | None:
        """Whole đồng; empty = unknown. Thousands may be grouped with '.', ',' or spaces (250.000)."""
        raw = self.raw(column)
        if not raw:
            return None
        if raw.isdigit():
            return int(raw)
        grouped = _GROUPED_INT_RE.match(raw)
        if grouped:
            if grouped.group(1) == "-":
                self.error(column, _("negative numbers are not allowed: '%(value)s'") % {"value": raw})
                return None
            return int(re.sub(r"\D", "", raw))
        number = _NUMBER_RE.match(raw)
        if number and number.group(1) == "-":
            self.error(column, _("negative numbers are not allowed: '%(value)s'") % {"value": raw})
        elif number:
            self.error(column, _("fees must be a whole number of đồng: '%(value)s'") % {"value": raw})
        else:
            self.error(column, _("not a number: '%(value)s'") % {"value": raw})
        return None

    def integer(self, column: str, *, minimum: int) -> int | None:
        raw = self.raw(column)
        if not raw:
            self.error(column, _("a value is required"))
            return None
        if not re.fullmatch(r"[+-]?\d+", raw):
            self.error(column, _("not a whole number: '%(value)s'") % {"value": raw})
            return None
        value = int(raw)
        if value < 0:
            self.error(column, _("negative numbers are not allowed: '%(value)s'") % {"value": raw})
            return None
        if value < minimum or value > 32767:
            self.error(
                column,
                _("out of range: '%(value)s'; expected %(min)d to 32767") % {"value": raw, "min": minimum},
            )
            return None
        return value

    def boolean(self, column: str) -> bool | None:
        raw = self.raw(column).lower()
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        self.error(
            column,
            _("not a yes/no value: '%(value)s'; expected true|false|1|0|yes|no or empty") % {"value": raw},
        )
        return None

    def date(self, column: str) -> date | None:
        raw = self.raw(column)
        if not raw:
            self.error(column, _("a value is required (YYYY-MM-DD)"))
            return None
        try:
            if not _DATE_RE.match(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            self.error(column, _("bad date '%(value)s'; expected YYYY-MM-DD") % {"value": raw})
            return None


# --- validation ---------------------------------------------------------------------------------------------


def _progress(items: Sequence[T], *, desc: str) -> Iterable[T]:
    """A progress bar on an interactive terminal only (never in tests, logs or cron mail)."""
    return tqdm(items, desc=desc, unit="row", leave=False, disable=not sys.stderr.isatty())


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class _DatabaseState:
    """Everything the import compares with, loaded with a handful of queries."""

    agencies: dict[str, Agency]
    procedures: dict[str, Procedure]
    versions: dict[tuple[str, date], ProcedureVersion]
    latest_effective_from: dict[str, date]
    step_totals: dict[int, tuple[int, Decimal]]  # version id -> (number of steps, counted working hours)

    @classmethod
    def load(cls, codes: set[str]) -> _DatabaseState:
        agencies = {agency.code: agency for agency in Agency.objects.all()}
        procedures = {procedure.code: procedure for procedure in Procedure.objects.all()}
        by_id = {procedures[code].pk: code for code in codes if code in procedures}
        versions: dict[tuple[str, date], ProcedureVersion] = {}
        latest: dict[str, date] = {}
        for chunk in _chunks(sorted(by_id)):
            for version in ProcedureVersion.objects.filter(procedure_id__in=chunk):
                code = by_id[version.procedure_id]
                version.procedure = procedures[code]
                versions[(code, version.effective_from)] = version
                if code not in latest or version.effective_from > latest[code]:
                    latest[code] = version.effective_from
        totals: dict[int, tuple[int, Decimal]] = {}
        version_ids = sorted(version.pk for version in versions.values())
        for chunk in _chunks(version_ids):
            rows = (
                ProcedureStep.objects.filter(version_id__in=chunk)
                .values("version_id")
                .annotate(n=Count("id"), hours=Sum("allotted_working_hours"))
            )
            for row in rows:
                totals[row["version_id"]] = (row["n"], row["hours"] or Decimal(0))
        return cls(agencies, procedures, versions, latest, totals)


def _parse_agencies(table: Table, issues: list[ImportIssue]) -> tuple[list[AgencyRow], set[str]]:
    rows: list[AgencyRow] = []
    seen: dict[str, int] = {}
    codes: set[str] = set()
    for row in _progress(table.rows, desc=table.label):
        cells = _Cells(table, row, issues)
        code = cells.agency_code("code", required=True)
        name = cells.text("name", required=True, max_length=255)
        level = cells.choice("level", AgencyLevel.values, what=_("agency level"))
        parent_code = cells.agency_code("parent_code", required=False)
        e_id = cells.text("e_id", max_length=32)
        if code:
            if code in seen:
                cells.error(
                    "code",
                    _("duplicate agency code '%(code)s' (first on line %(line)d)")
                    % {
                        "code": code,
                        "line": seen[code],
                    },
                )
            else:
                seen[code] = row.line
                codes.add(code)
            if parent_code and parent_code == code:
                cells.error("parent_code", _("an agency cannot be its own parent"))
        if cells.ok and code and level and parent_code is not None:
            rows.append(AgencyRow(row.line, code, name, level, parent_code, e_id))
    return rows, codes


def _check_agency_tree(
    table: Table, rows: list[AgencyRow], file_codes: set[str], db: _DatabaseState, issues: list[ImportIssue]
) -> None:
    code_of = {agency.pk: code for code, agency in db.agencies.items()}
    parent_of = {code: code_of.get(agency.parent_id, "") for code, agency in db.agencies.items()}
    parent_of.update({row.code: row.parent_code for row in rows})
    known = file_codes | set(db.agencies)
    for row in rows:
        if row.parent_code and row.parent_code not in known:
            issues.append(
                ImportIssue(
                    table.label,
                    _("unknown parent agency '%(code)s' (not in the agencies file nor in the database)")
                    % {"code": row.parent_code},
                    row.line,
                    "parent_code",
                )
            )
            continue
        chain = [row.code]
        node = row.parent_code
        while node and node not in chain:
            chain.append(node)
            node = parent_of.get(node, "")
        if node == row.code:
            issues.append(
                ImportIssue(
                    table.label,
                    _("the parent chain loops: %(chain)s") % {"chain": " → ".join([*chain, row.code])},
                    row.line,
                    "parent_code",
                )
            )


def _parse_procedures(
    table: Table, known_agencies: set[str], issues: list[ImportIssue]
) -> tuple[list[VersionRow], set[tuple[str, date]]]:
    rows: list[VersionRow] = []
    seen: dict[tuple[str, date], int] = {}
    keys: set[tuple[str, date]] = set()
    for row in _progress(table.rows, desc=table.label):
        cells = _Cells(table, row, issues)
        code = cells.procedure_code("code")
        name = cells.text("name", required=True)
        field_name = cells.text("field", max_length=255)
        level = cells.choice("level", ProcedureLevel.values, what=_("procedure level"))
        agency_code = cells.agency_code("agency_code", required=True)
        if agency_code and agency_code not in known_agencies:
            cells.error(
                "agency_code",
                _("unknown agency '%(code)s' (not in the agencies file nor in the database)")
                % {"code": agency_code},
            )
        statutory_amount = cells.decimal("statutory_time", required=True)
        statutory_unit = cells.unit("statutory_unit", required=True)
        committed = _optional_term(cells, "committed", statutory_unit)
        online = _optional_term(cells, "online", statutory_unit)
        online_level = cells.choice(
            "online_level", OnlineLevel.values, what=_("online level"), default="none"
        )
        eligible = cells.boolean("full_online_eligible")
        fees = cells.fees("fees_vnd")
        effective_from = cells.date("effective_from")
        legal_basis = cells.text("legal_basis")
        # Absent column (a file written before it existed): the stored lists are left as they are.
        received_in = (
            cells.agency_list("received_in", known_agencies) if "received_in" in table.header else None
        )

        if code and effective_from:
            key = (code, effective_from)
            if key in seen:
                cells.error(
                    "effective_from",
                    _("duplicate procedure %(code)s effective %(date)s (first on line %(line)d)")
                    % {"code": code, "date": effective_from.isoformat(), "line": seen[key]},
                )
            else:
                seen[key] = row.line
                keys.add(key)

        statutory = None
        if statutory_amount is not None and statutory_unit:
            statutory = Term(statutory_amount, statutory_unit)
        if statutory and committed is not False:
            committed_term = committed or statutory
            if term_certainly_exceeds(committed_term, statutory):
                cells.error(
                    "committed_time",
                    _("the committed term %(committed)s is longer than the statutory term %(statutory)s")
                    % {"committed": committed_term, "statutory": statutory},
                )
            elif online and term_certainly_exceeds(online, committed_term):
                cells.error(
                    "online_time",
                    _("the online term %(online)s is longer than the committed term %(committed)s")
                    % {"online": online, "committed": committed_term},
                )
        if cells.ok:
            rows.append(
                VersionRow(
                    line=row.line,
                    code=code,
                    effective_from=effective_from,
                    name=name,
                    field=field_name,
                    level=level,
                    agency_code=agency_code,
                    statutory=statutory,
                    committed=committed or statutory,
                    online=online or None,
                    online_level=online_level,
                    full_online_eligible=eligible,
                    fees_vnd=fees,
                    legal_basis=legal_basis,
                    received_in=received_in,
                )
            )
    return rows, keys


def _optional_term(cells: _Cells, prefix: str, statutory_unit: str | None) -> Term | bool | None:
    """``<prefix>_time`` + ``<prefix>_unit``: None when both are empty, False when invalid.

    An empty unit next to a time means the statutory unit; a unit without a time is refused rather than
    guessed, because "same as statutory" is written by leaving both empty.
    """
    time_column, unit_column = f"{prefix}_time", f"{prefix}_unit"
    amount = cells.decimal(time_column, required=False)
    unit = cells.unit(unit_column, required=False)
    if not cells.raw(time_column):
        if cells.raw(unit_column):
            cells.error(
                unit_column,
                _(
                    "%(unit_column)s is given but %(time_column)s is empty; leave both empty for the "
                    "statutory term"
                )
                % {"unit_column": unit_column, "time_column": time_column},
            )
            return False
        return None
    if amount is None or (cells.raw(unit_column) and unit is None):
        return False
    unit = unit or statutory_unit
    if unit is None:
        return False
    return Term(amount, unit)


def _parse_steps(
    table: Table, known_agencies: set[str], issues: list[ImportIssue]
) -> dict[tuple[str, date], list[StepRow]]:
    groups: dict[tuple[str, date], list[StepRow]] = defaultdict(list)
    seen: dict[tuple[str, date, int], int] = {}
    for row in _progress(table.rows, desc=table.label):
        cells = _Cells(table, row, issues)
        code = cells.procedure_code("code")
        effective_from = cells.date("effective_from")
        step_no = cells.integer("step_no", minimum=1)
        name = cells.text("step_name", required=True)
        role = cells.text("role", max_length=255)
        unit_code = cells.agency_code("unit_code", required=False)
        if unit_code and unit_code not in known_agencies:
            cells.error(
                "unit_code",
                _("unknown unit '%(code)s' (not in the agencies file nor in the database)")
                % {"code": unit_code},
            )
        hours = _step_hours(cells)
        deciding = cells.boolean("deciding")  # optional column: absent or empty = false
        if code and effective_from and step_no is not None:
            key = (code, effective_from, step_no)
            if key in seen:
                cells.error(
                    "step_no",
                    _("duplicate step_no %(no)d for %(code)s effective %(date)s (first on line %(line)d)")
                    % {"no": step_no, "code": code, "date": effective_from.isoformat(), "line": seen[key]},
                )
            else:
                seen[key] = row.line
        if cells.ok and hours is not False:
            step = StepRow(
                row.line, code, effective_from, step_no, name, role, unit_code or "", hours, bool(deciding)
            )
            groups[step.key].append(step)
    return dict(groups)


def _step_hours(cells: _Cells) -> Decimal | bool | None:
    """Allotted working hours; None = not counted (empty time), False = invalid."""
    amount = cells.decimal("allotted_time", required=False, max_digits=HOURS_MAX_DIGITS, decimal_places=4)
    unit = cells.unit("allotted_unit", required=bool(cells.raw("allotted_time")), allowed=STEP_UNITS)
    if not cells.raw("allotted_time"):
        return None
    if amount is None or unit is None:
        return False
    hours = amount * WORKING_DAY_HOURS if unit == TermUnit.WORKING_DAYS else amount
    exponent = hours.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > HOURS_DECIMAL_PLACES:
        cells.error(
            "allotted_time",
            _(
                "%(value)s %(unit)s is %(hours)s working hours; at most %(n)d decimal places of an hour "
                "are kept"
            )
            % {"value": cells.raw("allotted_time"), "unit": unit, "hours": hours, "n": HOURS_DECIMAL_PLACES},
        )
        return False
    if hours >= Decimal(10) ** (HOURS_MAX_DIGITS - HOURS_DECIMAL_PLACES):
        cells.error("allotted_time", _("too large: '%(value)s'") % {"value": cells.raw("allotted_time")})
        return False
    return hours


def _check_steps(
    table: Table,
    groups: dict[tuple[str, date], list[StepRow]],
    versions: dict[tuple[str, date], VersionRow],
    file_keys: set[tuple[str, date]],
    db: _DatabaseState,
    issues: list[ImportIssue],
) -> None:
    """Each step group must belong to a version and its counted hours fit in that version's committed term.

    An excess is reported once per group, on the step line where the running total (in step_no order) first
    goes past the committed term.
    """
    for key, steps in groups.items():
        code, effective_from = key
        if key in versions:
            committed = versions[key].committed
        elif key in file_keys:
            continue  # the procedure row itself is invalid and already reported
        elif key in db.versions:
            committed = db.versions[key].committed_term
        else:
            for step in steps:
                issues.append(
                    ImportIssue(
                        table.label,
                        _(
                            "no procedure %(code)s effective %(date)s: neither a row of the procedures file "
                            "nor a version in the database"
                        )
                        % {"code": code, "date": effective_from.isoformat()},
                        step.line,
                        "effective_from",
                    )
                )
            continue
        total = Decimal(0)
        for step in sorted(steps, key=lambda s: s.step_no):
            total += step.working_hours or 0
            if hours_certainly_exceed(total, committed):
                grand_total = sum((s.working_hours or Decimal(0) for s in steps), Decimal(0))
                issues.append(
                    ImportIssue(
                        table.label,
                        _(
                            "the steps of %(code)s effective %(date)s total %(total)s working hours, longer "
                            "than the committed term %(committed)s (at most %(bound)s working hours); the "
                            "running total first exceeds it at this step"
                        )
                        % {
                            "code": code,
                            "date": effective_from.isoformat(),
                            "total": format_decimal(grand_total),
                            "committed": committed,
                            "bound": format_decimal(committed.max_working_hours()),
                        },
                        step.line,
                        "allotted_time",
                    )
                )
                break


def _check_existing_steps(
    table: Table,
    versions: list[VersionRow],
    groups: dict[tuple[str, date], list[StepRow]],
    db: _DatabaseState,
    issues: list[ImportIssue],
) -> None:
    """A new committed term must still hold the steps already in the database when the import keeps them."""
    for row in versions:
        existing = db.versions.get(row.key)
        if existing is None or row.key in groups:
            continue
        count, hours = db.step_totals.get(existing.pk, (0, Decimal(0)))
        if count and hours_certainly_exceed(hours, row.committed):
            issues.append(
                ImportIssue(
                    table.label,
                    _(
                        "the %(n)d steps already recorded for this version total %(hours)s working hours, "
                        "longer than the committed term %(committed)s (at most %(bound)s working hours); "
                        "import its steps too or shorten them first"
                    )
                    % {
                        "n": count,
                        "hours": format_decimal(hours),
                        "committed": row.committed,
                        "bound": format_decimal(row.committed.max_working_hours()),
                    },
                    row.line,
                    "committed_time",
                )
            )


def catalogue_validate(tables: CatalogueTables) -> tuple[ImportPlan, list[ImportIssue], _DatabaseState]:
    """Check every row of every table against each other and the database; no write."""
    issues: list[ImportIssue] = []
    codes = {row.values.get("code", "").strip() for row in tables.procedures.rows}
    if tables.steps is not None:
        codes |= {row.values.get("code", "").strip() for row in tables.steps.rows}
    db = _DatabaseState.load(codes)

    plan = ImportPlan()
    file_agency_codes: set[str] = set()
    if tables.agencies is not None:
        plan.agencies, file_agency_codes = _parse_agencies(tables.agencies, issues)
        _check_agency_tree(tables.agencies, plan.agencies, file_agency_codes, db, issues)
    known_agencies = file_agency_codes | set(db.agencies)

    plan.versions, file_keys = _parse_procedures(tables.procedures, known_agencies, issues)
    versions_by_key = {row.key: row for row in plan.versions}
    if tables.steps is not None:
        plan.steps = _parse_steps(tables.steps, known_agencies, issues)
        _check_steps(tables.steps, plan.steps, versions_by_key, file_keys, db, issues)
    _check_existing_steps(tables.procedures, plan.versions, plan.steps, db, issues)
    return plan, issues, db


# --- writing ------------------------------------------------------------------------------------------------


def _write_agencies(plan: ImportPlan, db: _DatabaseState, report: ImportReport) -> None:
    new = [
        Agency(code=row.code, name=row.name, level=row.level, e_id=row.e_id)
        for row in plan.agencies
        if row.code not in db.agencies
    ]
    Agency.objects.bulk_create(new)
    report.agencies.created = len(new)
    if new:
        db.agencies.update(Agency.objects.in_bulk([agency.code for agency in new], field_name="code"))
    changed: list[Agency] = []
    created_codes = {agency.code for agency in new}
    for row in plan.agencies:
        agency = db.agencies[row.code]
        parent_id = db.agencies[row.parent_code].pk if row.parent_code else None
        wanted = {"name": row.name, "level": row.level, "e_id": row.e_id, "parent_id": parent_id}
        if _assign_changes(agency, wanted):
            changed.append(agency)
            if row.code not in created_codes:
                report.agencies.updated += 1
        elif row.code not in created_codes:
            report.agencies.unchanged += 1
    Agency.objects.bulk_update(changed, ["name", "level", "e_id", "parent"], batch_size=_CHUNK)


def _write_procedures(plan: ImportPlan, db: _DatabaseState, report: ImportReport) -> None:
    """Procedure-level fields come from each code's row with the latest effective_from.

    They are applied only when that row is at least as recent as every version already stored, so importing a
    correction to an old version does not bring back an old name or agency.
    """
    latest_rows: dict[str, VersionRow] = {}
    for row in plan.versions:
        if row.code not in latest_rows or row.effective_from > latest_rows[row.code].effective_from:
            latest_rows[row.code] = row
    new: list[Procedure] = []
    changed: list[Procedure] = []
    for code, row in latest_rows.items():
        wanted = {
            "name": row.name,
            "field": row.field,
            "level": row.level,
            "agency_id": db.agencies[row.agency_code].pk,
        }
        procedure = db.procedures.get(code)
        if procedure is None:
            new.append(Procedure(code=code, **wanted))
            continue
        stored_latest = db.latest_effective_from.get(code)
        if stored_latest is not None and stored_latest > row.effective_from:
            report.procedures.unchanged += 1
            continue
        if _assign_changes(procedure, wanted):
            changed.append(procedure)
            report.procedures.updated += 1
        else:
            report.procedures.unchanged += 1
    Procedure.objects.bulk_create(new)
    report.procedures.created = len(new)
    if new:
        db.procedures.update(Procedure.objects.in_bulk([p.code for p in new], field_name="code"))
    Procedure.objects.bulk_update(changed, ["name", "field", "level", "agency"], batch_size=_CHUNK)


_VERSION_FIELDS = (
    "statutory_term_amount",
    "statutory_term_unit",
    "committed_term_amount",
    "committed_term_unit",
    "online_term_amount",
    "online_term_unit",
    "online_level",
    "full_online_eligible",
    "fees_vnd",
    "legal_basis",
)


def _version_values(row: VersionRow) -> dict[str, object]:
    return {
        "statutory_term_amount": row.statutory.amount,
        "statutory_term_unit": row.statutory.unit,
        "committed_term_amount": row.committed.amount,
        "committed_term_unit": row.committed.unit,
        "online_term_amount": row.online.amount if row.online else None,
        "online_term_unit": row.online.unit if row.online else "",
        "online_level": row.online_level,
        "full_online_eligible": row.full_online_eligible,
        "fees_vnd": row.fees_vnd,
        "legal_basis": row.legal_basis,
    }


def _stored_received_in(plan: ImportPlan, db: _DatabaseState) -> dict[int, set[int]]:
    """Version id → agency ids of its stored ``received_in``, for the stored versions the file lists."""
    through = ProcedureVersion.received_in.through
    ids = sorted(
        {db.versions[r.key].pk for r in plan.versions if r.received_in is not None and r.key in db.versions}
    )
    stored: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(ids):
        rows = through.objects.filter(procedureversion_id__in=chunk).values_list(
            "procedureversion_id", "agency_id"
        )
        for version_id, agency_id in rows:
            stored[version_id].add(agency_id)
    return stored


def _write_received_in(plan: ImportPlan, db: _DatabaseState, stored: dict[int, set[int]]) -> None:
    """Make each listed version's ``received_in`` exactly its cell; rows of a file without the column are
    left untouched."""
    through = ProcedureVersion.received_in.through
    added: list[Any] = []
    for row in plan.versions:
        if row.received_in is None:
            continue
        version_id = db.versions[row.key].pk
        wanted = {db.agencies[code].pk for code in row.received_in}
        have = stored.get(version_id, set())
        added.extend(through(procedureversion_id=version_id, agency_id=pk) for pk in sorted(wanted - have))
        if have - wanted:
            through.objects.filter(procedureversion_id=version_id, agency_id__in=have - wanted).delete()
    through.objects.bulk_create(added, batch_size=_CHUNK)


def _write_versions(plan: ImportPlan, db: _DatabaseState, report: ImportReport) -> None:
    new: list[ProcedureVersion] = []
    changed: list[ProcedureVersion] = []
    stored_lists = _stored_received_in(plan, db)
    for row in _progress(plan.versions, desc="versions"):
        values = _version_values(row)
        version = db.versions.get(row.key)
        if version is None:
            version = ProcedureVersion(
                procedure=db.procedures[row.code], effective_from=row.effective_from, **values
            )
            new.append(version)
            continue
        list_changed = row.received_in is not None and {
            db.agencies[code].pk for code in row.received_in
        } != stored_lists.get(version.pk, set())
        if _assign_changes(version, values) or list_changed:
            changed.append(version)
            report.versions.updated += 1
        else:
            report.versions.unchanged += 1
    ProcedureVersion.objects.bulk_create(new, batch_size=_CHUNK)
    ProcedureVersion.objects.bulk_update(changed, list(_VERSION_FIELDS), batch_size=_CHUNK)
    report.versions.created = len(new)
    if new:
        touched = sorted({version.procedure_id for version in new})
        for chunk in _chunks(touched):
            for version in ProcedureVersion.objects.filter(procedure_id__in=chunk).select_related(
                "procedure"
            ):
                db.versions[(version.procedure.code, version.effective_from)] = version
        report.closed_versions = procedure_versions_close(procedure_ids=touched)
    _write_received_in(plan, db, stored_lists)


def _write_steps(plan: ImportPlan, db: _DatabaseState, report: ImportReport) -> None:
    """Each (code, effective_from) group in the steps file replaces that version's steps, matched by step_no.

    Versions the steps file does not mention keep their steps.
    """
    if not plan.steps:
        return
    version_ids = {key: db.versions[key].pk for key in plan.steps}
    existing: dict[int, dict[int, ProcedureStep]] = defaultdict(dict)
    for chunk in _chunks(sorted(version_ids.values())):
        for step in ProcedureStep.objects.filter(version_id__in=chunk):
            existing[step.version_id][step.step_no] = step
    new: list[ProcedureStep] = []
    changed: list[ProcedureStep] = []
    removed: list[int] = []
    for key, rows in _progress(list(plan.steps.items()), desc="steps"):
        version_id = version_ids[key]
        stored = existing.get(version_id, {})
        for row in rows:
            wanted = {
                "name": row.name,
                "role": row.role,
                "unit_id": db.agencies[row.unit_code].pk if row.unit_code else None,
                "allotted_working_hours": row.working_hours,
                "deciding": row.deciding,
            }
            step = stored.get(row.step_no)
            if step is None:
                new.append(ProcedureStep(version_id=version_id, step_no=row.step_no, **wanted))
                continue
            if _assign_changes(step, wanted):
                changed.append(step)
            else:
                report.steps.unchanged += 1
        wanted_numbers = {row.step_no for row in rows}
        removed.extend(step.pk for number, step in stored.items() if number not in wanted_numbers)
    for chunk in _chunks(removed):
        ProcedureStep.objects.filter(pk__in=chunk).delete()
    ProcedureStep.objects.bulk_update(
        changed, ["name", "role", "unit", "allotted_working_hours", "deciding"], batch_size=_CHUNK
    )
    ProcedureStep.objects.bulk_create(new, batch_size=_CHUNK)
    report.steps.created, report.steps.updated, report.steps.deleted = len(new), len(changed), len(removed)


def _simulate(plan: ImportPlan, db: _DatabaseState, report: ImportReport) -> None:
    """Fill the report of a dry run: run the writers in a transaction that is always rolled back."""

    class _Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            _write_all(plan, db, report)
            raise _Rollback
    except _Rollback:
        pass


def _write_all(plan: ImportPlan, db: _DatabaseState, report: ImportReport) -> None:
    _write_agencies(plan, db, report)
    _write_procedures(plan, db, report)
    _write_versions(plan, db, report)
    _write_steps(plan, db, report)


def catalogue_import(
    *,
    procedures: Path,
    steps: Path | None = None,
    agencies: Path | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Validate the files and, if every row is valid, write them in one transaction.

    Raises :class:`CatalogueImportError` listing every problem when any row is invalid; nothing is written
    then. With ``dry_run`` the report says what would change and nothing is kept.
    """
    tables, issues = catalogue_read(
        procedures=Path(procedures), steps=steps and Path(steps), agencies=agencies and Path(agencies)
    )
    if issues or tables is None:
        raise CatalogueImportError(issues)
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        plan, issues, db = catalogue_validate(tables)
        if issues:
            raise CatalogueImportError(issues)
        if dry_run:
            _simulate(plan, db, report)
        else:
            _write_all(plan, db, report)
    return report
