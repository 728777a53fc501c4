"""Summarise wapiti's JSON reports: fail on any attack finding, explain the configuration ones.

Usage: security_report.py ROLE=report.json [...]. Exit 1 when any report holds a finding of an attack
category (XSS, injection, command execution, file handling, open redirect, CRLF); header and cookie findings
are listed with the production setting that closes them, since the demo serves plain HTTP on loopback.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

ATTACKS = {
    "Cross Site Scripting",
    "Stored Cross Site Scripting",
    "SQL Injection",
    "Blind SQL Injection",
    "Command execution",
    "Path Traversal",
    "Open Redirect",
    "CRLF Injection",
    "Potentially dangerous file",
    "Backup file",
    "Htaccess Bypass",
    "Server Side Request Forgery",
    "XML External Entity",
}

# Findings that only a production deployment can close: the setting that does it (README, "Production").
PRODUCTION_ONLY = {
    "Secure Flag cookie": "SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE (on when MOTCUA_DEMO=0; HTTPS only)",
    "HTTP Secure Headers": "SECURE_HSTS_SECONDS (on when MOTCUA_DEMO=0; HSTS is sent over HTTPS only)",
}


def main(args: list[str]) -> int:
    attacks: Counter = Counter()
    other: Counter = Counter()
    details: list[str] = []
    for arg in args:
        role, path = arg.split("=", 1)
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
        for category, findings in report.get("vulnerabilities", {}).items():
            for finding in findings:
                where = " ".join(str(finding.get(key, "")) for key in ("method", "path", "parameter"))
                if category in ATTACKS:
                    attacks[category] += 1
                    details.append(f"  [{role}] {category}: {where.strip()} — {finding.get('info', '')}")
                else:
                    other[(category, finding.get("info", ""))] += 1
        for category, findings in report.get("anomalies", {}).items():
            for finding in findings:
                other[(f"anomaly: {category}", f"{finding.get('path', '')} {finding.get('info', '')}")] += 1
    print("== wapiti summary")
    for (category, info), count in sorted(other.items()):
        note = PRODUCTION_ONLY.get(category)
        suffix = f"  → production: {note}" if note else ""
        print(f"  {count:4d} × {category}: {info}{suffix}")
    if attacks:
        print("ATTACK FINDINGS:")
        print("\n".join(details))
        print(f"security: {sum(attacks.values())} attack finding(s): {dict(attacks)}")
        return 1
    print("security: no XSS, injection, file, redirect or CRLF finding")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
