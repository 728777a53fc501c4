"""``manage.py indicators --agency CODE [--include-children] --from D --to D --format json|csv|table``.

Why: scripts and held-out checks need exactly the figures the dashboard shows, without a browser; the JSON
is :func:`metrics.indicators.scorecard`, so the keys live in one place (README "Chỉ số").
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.indicators import INDICATOR_BY_CODE, REPORT_COLUMNS, IndicatorError, Period, scope_for, scorecard


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” không phải ngày dạng YYYY-MM-DD.") from None


def flat_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: section, key, value or numerator/denominator/ratio/score/max (CSV and table)."""
    rows: list[dict[str, Any]] = []
    for key, value in card["report_row"].items():
        rows.append({"section": "report_row", "key": key, "value": value})
    for key, entry in card["qd766"].items():
        if isinstance(entry, dict) and "numerator" in entry:
            rows.append({"section": "qd766", "key": key, **entry})
    for key, value in card["qd766"]["group_scores"].items():
        rows.append({"section": "qd766.group_scores", "key": key, "score": value})
    rows.append({"section": "qd766", "key": "total_score", "score": card["qd766"]["total_score"]})
    for section in ("on_time", "online", "time_reduction"):
        for key, value in card[section].items():
            if not isinstance(value, list | dict):
                rows.append({"section": section, "key": key, "value": value})
    for group, values in card["pci_proxies"].items():
        for key, value in values.items():
            rows.append({"section": f"pci_proxies.{group}", "key": key, "value": value})
    return rows


CSV_COLUMNS = ("section", "key", "value", "numerator", "denominator", "ratio", "score", "max")


def _table(card: dict[str, Any]) -> str:
    lines = [
        f"{card['agency_name']} ({card['agency']})"
        + (" + đơn vị trực thuộc" if card["include_children"] else ""),
        f"Kỳ {card['from']} → {card['to']} (số liệu đến {card['as_of']}, nguồn {card['source']})",
        "",
        "Báo cáo TT 01/2020 (cột 3–13):",
    ]
    for key, number, label in REPORT_COLUMNS:
        lines.append(f"  ({number:>2}) {label:<32} {card['report_row'][key]:>8}")
    lines += ["", "Bộ chỉ số 766:"]
    for code, entry in card["qd766"].items():
        if isinstance(entry, dict) and "numerator" in entry:
            name = INDICATOR_BY_CODE[code].name_vi
            if code == "2.2":  # displayed, not scored: the mean in working days
                lines.append(f"  {code:<5} {name[:52]:<52} {entry['ratio']:>8.2f} ngày làm việc")
                continue
            lines.append(
                f"  {code:<5} {name[:52]:<52} {entry['numerator']:>8}/{entry['denominator']:<8}"
                f" {entry['ratio']:>7.2f}%  {entry['score']:>5.2f}/{entry['max']:g}"
            )
    groups = "  ".join(f"nhóm {g}: {s:.2f}" for g, s in card["qd766"]["group_scores"].items())
    lines += [f"  {groups}", f"  Tổng điểm: {card['qd766']['total_score']:.2f}/100", ""]
    online = card["online"]
    lines.append(
        f"Trực tuyến: TTHC toàn trình {online['procedures_full_share']:.2f}%, TTHC trực tuyến "
        f"{online['procedures_online_share']:.2f}%, hồ sơ trực tuyến {online['dossiers_online_share']:.2f}%, "
        f"thanh toán trực tuyến {online['online_payment_share']:.2f}%"
    )
    tr = card["time_reduction"]
    lines.append(
        f"Cắt giảm thời gian: cam kết {tr['committed_vs_statutory_pct']:.2f}%, thực tế "
        f"{tr['actual_vs_statutory_pct']:.2f}%, {tr['procedures_meeting_target']}/{tr['procedures_total']} "
        f"thủ tục đạt mục tiêu {tr['target_pct']:g}%"
    )
    for gap in card["gaps"]:
        lines.append(f"! {gap}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Indicators of an agency for a period: TT 01/2020 report row, 766 scorecard, online, time cuts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="agency code (mã cơ quan)")
        parser.add_argument("--include-children", action="store_true", help="add every unit below the agency")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--format", choices=["json", "csv", "table"], default="json")
        parser.add_argument(
            "--source",
            choices=["auto", "raw", "rollup"],
            default="auto",
            help="auto: rollups for ended whole months, else counted live; raw/rollup force one",
        )

    def handle(self, *args, **opts) -> None:
        try:
            period = Period(_date(opts["start"]), _date(opts["end"]))
            scope = scope_for(opts["agency"], include_children=opts["include_children"])
            card = scorecard(scope, period, source=opts["source"])
        except IndicatorError as exc:
            raise CommandError(str(exc)) from None
        if opts["format"] == "json":
            self.stdout.write(json.dumps(card, ensure_ascii=False, indent=2))
        elif opts["format"] == "csv":
            writer = csv.DictWriter(
                self.stdout, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(flat_rows(card))
        else:
            self.stdout.write(_table(card))
        sys.stdout.flush()
