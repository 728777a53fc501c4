"""Summarise locust's ``*_stats.csv``: requests, error rate and p95 per page; exit 1 on any error.

The p95 target is reported (PASS/MISS), not enforced: latency on a shared 2-core CI machine is a
measurement, while an error is a defect.
"""

from __future__ import annotations

import argparse
import csv
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stats_csv")
    parser.add_argument("--p95-target-ms", type=float, default=200.0)
    args = parser.parse_args()
    with open(args.stats_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        print("no locust statistics were written", file=sys.stderr)
        return 1
    print(f"{'page':32} {'requests':>9} {'errors':>7} {'error %':>8} {'p50 ms':>7} {'p95 ms':>7} {'rps':>6}")
    total = None
    for row in rows:
        requests, failures = int(row["Request Count"]), int(row["Failure Count"])
        rate = 100.0 * failures / requests if requests else 0.0
        print(
            f"{row['Name'][:32]:32} {requests:9d} {failures:7d} {rate:7.2f}% "
            f"{float(row['50%']):7.0f} {float(row['95%']):7.0f} {float(row['Requests/s']):6.1f}"
        )
        if row["Name"] == "Aggregated":
            total = (requests, failures, float(row["95%"]))
    if total is None or total[0] == 0:
        print("no requests were made", file=sys.stderr)
        return 1
    requests, failures, p95 = total
    verdict = "PASS" if p95 < args.p95_target_ms else "MISS"
    print(f"p95 {p95:.0f} ms (target < {args.p95_target_ms:.0f} ms: {verdict}); errors {failures}/{requests}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
