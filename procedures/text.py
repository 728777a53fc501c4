"""Text hygiene shared by every app: Unicode normal forms, ASCII digits, text that is safe in a spreadsheet.

Why here: ``procedures`` is the lowest app that reads and writes text files (the catalogue exchange format),
and every app that stores typed names or writes CSV/Excel (``workflows``, ``metrics``) sits above it in the
layers (config > metrics > workflows > procedures > sla); ``sla`` is the working calendar and knows nothing
of text. This module is pure Python (no ORM, no settings), so anything may import it.

* **NFC for names and free text.** Vietnamese letters can be typed precomposed (``ế`` = U+1EBF) or decomposed
  (``e`` + U+0302 + U+0301, as some keyboards and copy-pastes from PDF produce); the database compares code
  points, so a name stored one way is not found by a search typed the other way. Everything we store and
  every search term is brought to NFC (Unicode Standard Annex #15).
* **ASCII digits for identifiers.** NFKC maps fullwidth ``０``–``９`` to ``0``–``9``; other scripts' digits
  (Arabic-Indic ``٠``–``٩``…) stay what they are and are refused by an explicit ``[0-9]`` check — Python's
  ``\\d`` and ``str.isdigit`` accept them, and a personal ID (Decree 69/2024/NĐ-CP, 12 digits) or a phone
  number in another script is not one.
* **Spreadsheet formula injection** (OWASP "CSV Injection"): a cell whose text begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is read by Excel and LibreOffice as a formula. In CSV such text is
  prefixed with ``'`` (the spreadsheet shows the text, not a formula); in an xlsx file text cells are
  written with the string type, so no text ever becomes a formula. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# OWASP CSV Injection: the characters a spreadsheet reads as the start of a formula or a DDE call.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_PREFIX = "'"

ASCII_DIGITS_RE = re.compile(r"[0-9]+")


def nfc(value: str) -> str:
    """``value`` in Unicode normal form C (composed), as names and free text are stored and searched."""
    return unicodedata.normalize("NFC", value or "")


def nfkc(value: str) -> str:
    """``value`` in normal form KC: fullwidth digits and letters become ASCII before an identifier check."""
    return unicodedata.normalize("NFKC", value or "")


def is_ascii_digits(value: str) -> bool:
    """True if ``value`` is one or more of ``0``–``9`` only (``\\d`` would accept every script's digits)."""
    return ASCII_DIGITS_RE.fullmatch(value or "") is not None


def csv_text(value: Any) -> Any:
    """``value`` for a CSV cell: text a spreadsheet would run as a formula gets a leading ``'``.

    Only text is changed: an ``int``/``float``/``Decimal`` written by the csv module (``-3``, ``-0.5``) stays
    a number when Excel opens the file.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return CSV_TEXT_PREFIX + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every cell passed through :func:`csv_text`."""
    return [csv_text(value) for value in values]


class SafeCsvWriter:
    """``csv.writer`` whose every row goes through :func:`csv_row` (same ``writerow`` return value)."""

    def __init__(self, fh: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: Any, **kwargs: Any) -> SafeCsvWriter:
    """Drop-in for ``csv.writer`` for files a person opens in a spreadsheet: formula text is neutralised."""
    return SafeCsvWriter(fh, **kwargs)


def csv_text_restore(value: str) -> str:
    """The inverse of :func:`csv_text` for a file we wrote: ``'=x`` read back is ``=x``.

    Only a ``'`` followed by a formula trigger is removed, so a value that really starts with an apostrophe
    and a letter (``'Ông`` …) is kept as it is.
    """
    if value.startswith(CSV_TEXT_PREFIX) and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def xlsx_text(cell: Any) -> Any:
    """Make an openpyxl cell holding text a *string* cell, never a formula; returns the cell.

    openpyxl turns any text beginning with ``=`` into a formula cell (``data_type "f"``); forcing the type
    ``"s"`` writes it as a shared string that Excel shows as typed. Works for normal and write-only cells.
    """
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


__all__ = [
    "CSV_TEXT_PREFIX",
    "FORMULA_TRIGGERS",
    "SafeCsvWriter",
    "csv_row",
    "csv_text",
    "csv_text_restore",
    "csv_writer",
    "is_ascii_digits",
    "nfc",
    "nfkc",
    "xlsx_text",
]
