"""Total the test runs of a CI log into one closing line: ``ci: N passed, N failed, N skipped``.

CI runs several test runners one after another (pytest on SQLite, pytest on PostgreSQL + Redis, schemathesis,
promtool rule tests); each prints its own summary, and what follows them (benchmarks, smoke) hides those
lines from anyone reading only the end of the log. Counted:

* pytest's final line, e.g. ``=== 601 passed, 3 skipped, 2 xfailed in 180.2s ===`` (xfailed counts as
  skipped, xpassed and errors as failed);
* schemathesis' ``Test cases:`` block, e.g. ``8059 generated, 8059 passed`` (each generated case is a test);
* promtool's ``SUCCESS``/``FAILED`` per rule-test file.

A runner that crashed before its summary adds nothing, so its failure shows as the script's exit code.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

PYTEST_SUMMARY = re.compile(r"^=+ (?P<body>(?:\d+ \w+(?:, )?)+) in [\d.]+s(?: \([^)]*\))? =+$")
PYTEST_PART = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?|warnings?|deselected)")
SCHEMATHESIS = re.compile(
    r"^\s*(\d+) generated, (?:(\d+) passed)?(?:, )?(?:(\d+) failed)?(?:, )?(?:(\d+) skipped)?"
)
PROMTOOL = re.compile(r"^\s*(SUCCESS|FAILED)\s*$")

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def totals(lines: list[str]) -> Counter:
    count: Counter = Counter()
    in_cases = False
    for raw in lines:
        line = ANSI.sub("", raw.rstrip("\n"))
        match = PYTEST_SUMMARY.match(line)
        if match:
            for number, kind in PYTEST_PART.findall(match.group("body")):
                if kind == "passed":
                    count["passed"] += int(number)
                elif kind in ("failed", "error", "errors", "xpassed"):
                    count["failed"] += int(number)
                elif kind in ("skipped", "xfailed"):
                    count["skipped"] += int(number)
            continue
        if line.strip() == "Test cases:":
            in_cases = True
            continue
        if in_cases:
            in_cases = False
            match = SCHEMATHESIS.match(line)
            if match:
                _generated, passed, failed, skipped = (int(g or 0) for g in match.groups())
                count["passed"] += passed
                count["failed"] += failed
                count["skipped"] += skipped
            continue
        match = PROMTOOL.match(line)
        if match:
            count["passed" if match.group(1) == "SUCCESS" else "failed"] += 1
    return count


def main(paths: list[str]) -> int:
    lines: list[str] = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines.extend(handle)
    count = totals(lines)
    print(f"ci: {count['passed']} passed, {count['failed']} failed, {count['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
