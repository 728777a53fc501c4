"""Run Debian's wapiti 3.0.4 with its URL exclusion (``-x``) working on Python 3.11.

wapiti 3.0.4 compiles each ``-x`` pattern as ``<pattern>\\Z(?ms)``; Python 3.11 refuses global flags that are
not at the start of an expression, so any ``-x`` aborts the scan. The scan must exclude the logout form,
which the crawler would otherwise submit, ending the logged-in session it was asked to test. This wrapper
compiles the same pattern with the flags in front, then hands over to wapiti's own entry point. Run it with
the system Python that Debian's package installs into (``/usr/bin/python3``).
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distribution

from wapitiCore.net import crawler


def wildcard_translate(pattern: str) -> re.Pattern:
    return re.compile("(?ms)" + ".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


crawler.wildcard_translate = wildcard_translate

if __name__ == "__main__":
    entry = next(
        e for e in distribution("wapiti3").entry_points if e.group == "console_scripts" and e.name == "wapiti"
    )
    sys.argv[0] = "wapiti"
    sys.exit(entry.load()())
