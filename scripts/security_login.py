"""Log a demo user in through the real login form and save the session as a wapiti cookie file.

Usage: security_login.py BASE_URL USERNAME OUT.json — the password is the demo one (``motcua-demo``).
wapiti 3.0.4 reads cookies as ``{domain: {path: {name: {"value": …, "version": 0, "expires": null,
"secure": false, "port": null}}}}``.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit

import requests

DEMO_PASSWORD = "motcua-demo"


def main(base: str, username: str, out: str) -> int:
    session = requests.Session()
    login = f"{base}/accounts/login/"
    session.get(login, timeout=10)
    token = session.cookies.get("csrftoken", "")
    answer = session.post(
        login,
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token, "next": "/"},
        headers={"Referer": login},
        timeout=10,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        print(f"login as {username} failed: HTTP {answer.status_code}", file=sys.stderr)
        return 1
    domain = urlsplit(base).hostname or "127.0.0.1"
    jar: dict = {domain: {"/": {}}}
    for cookie in session.cookies:
        jar[domain]["/"][cookie.name] = {
            "value": cookie.value,
            "version": 0,
            "expires": None,
            "secure": False,
            "port": None,
        }
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(jar, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
