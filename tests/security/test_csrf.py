"""Every form the site serves is protected against cross-site request forgery, whatever a scanner says.

wapiti 3.0.4 (``make security``) reports "Lack of anti CSRF token" on every Django form: it recognises token
fields by a fixed list of names that lacks Django's ``csrfmiddlewaretoken``. This test is the check that
counts: for every URL pattern of the URLconf, a logged-in user's POST without the token is refused (403) by
Django's CsrfViewMiddleware before any view runs — except where a view is deliberately exempt (the REST API,
which authenticates each request by its API key and enforces CSRF for session users itself).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from workflows.security_matrix import url_routes

PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)")


def _concrete(route: str) -> str:
    """A URL for the route: every parameter replaced by 1, regex anchors dropped."""
    return "/" + PARAMETER.sub("1", route).lstrip("^").rstrip("$").replace("\\", "")


@pytest.mark.django_db
def test_every_unsafe_request_without_a_csrf_token_is_refused(django_user_model):
    admin = django_user_model.objects.create_superuser("csrf-admin", password="Khác-hẳn-2026")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    checked, exempt, accepted = 0, [], []
    for route in url_routes():
        if getattr(route.callback, "csrf_exempt", False):
            exempt.append(route.route)
            continue
        url = _concrete(route.route)
        response = client.post(url, {"x": "1"})
        checked += 1
        if response.status_code != 403:
            accepted.append(f"{route.route} → {url}: {response.status_code}")
    assert not accepted, "POST without a CSRF token not refused:\n" + "\n".join(accepted)
    assert checked > 200  # the walk really covered the URLconf
    assert all(path.startswith("api/") for path in exempt), exempt
