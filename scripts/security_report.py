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

# Findings that only a production deployment can close, or that are deliberate: why (README, "Production").
EXPLAINED = {
    "Secure Flag cookie": "production: SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE are on when MOTCUA_DEMO=0 "
    "(the demo serves plain HTTP on loopback, where a Secure cookie would never be sent back)",
    "Strict-Transport-Security": "production: SECURE_HSTS_SECONDS is set when MOTCUA_DEMO=0 (HSTS is only "
    "honoured over HTTPS)",
    "X-XSS-Protection": "deliberate: the header is obsolete (browsers removed the XSS auditor; OWASP advises "
    "not to set it); the Content-Security-Policy replaces it",
    "Lack of anti CSRF token": "false positive: wapiti 3.0.4 knows token fields by a fixed list of names "
    "without Django's csrfmiddlewaretoken; every form carries it, and tests/security/test_csrf.py proves "
    "a POST without it is refused on every URL pattern",
    "HttpOnly flag is not set in the cookie : csrftoken": "deliberate: Django's CSRF cookie is read by the "
    "page's JavaScript for AJAX posts; HttpOnly on it adds no protection (Django docs, CSRF_COOKIE_HTTPONLY)",
}


def _explained(category: str, info: str) -> str:
    for key, why in EXPLAINED.items():
        if key == category or key in info:
            return why
    return ""


def main(args: list[str]) -> int:
    attacks: Counter = Counter()
    other: Counter = Counter()
    paths: dict[tuple[str, str], set[str]] = {}
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
                    key = (category, finding.get("info", ""))
                    other[key] += 1
                    paths.setdefault(key, set()).add(str(finding.get("path", "")))
        for category, findings in report.get("anomalies", {}).items():
            for finding in findings:
                other[(f"anomaly: {category}", f"{finding.get('path', '')} {finding.get('info', '')}")] += 1
    print("== wapiti summary")
    for (category, info), count in sorted(other.items()):
        why = _explained(category, info)
        print(f"  {count:4d} × {category}: {info}")
        print(f"         at {', '.join(sorted(paths.get((category, info), ()))[:6])}")
        if why:
            print(f"         → {why}")
    if attacks:
        print("ATTACK FINDINGS:")
        print("\n".join(details))
        print(f"security: {sum(attacks.values())} attack finding(s): {dict(attacks)}")
        return 1
    print("security: no XSS, injection, file, redirect or CRLF finding")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
