"""API keys and scopes: 401 without a valid key, 403 naming the missing scope, public schema, throttling."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from workflows.api.auth import ClientRateThrottle
from workflows.models import ApiClient

PROBLEM = "application/problem+json"


def test_no_key_is_401_problem_with_challenge(demo_users):
    response = APIClient().get("/api/v1/procedures/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Api-Key")
    body = response.json()
    assert body["type"] == "/api/problems/not-authenticated" and body["status"] == 401


@pytest.mark.parametrize("header", ["Api-Key nothere.abcdefabcdefabcdefabcdefabcdefab", "Api-Key garbage"])
def test_wrong_key_is_401(demo_users, header):
    response = APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["type"] == "/api/problems/authentication-failed"


def test_revoked_and_expired_keys_are_401(demo_users, make_client):
    client, api = make_client(demo_users["motcua"])
    assert api.get("/api/v1/procedures/").status_code == 200
    client.expiry_date = timezone.now() - timedelta(minutes=1)
    client.save()
    assert api.get("/api/v1/procedures/").status_code == 401
    client.expiry_date, client.revoked = None, True
    client.save()
    response = api.get("/api/v1/procedures/")
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM


def test_inactive_user_is_401(demo_users, make_client):
    _client, api = make_client(demo_users["motcua"])
    demo_users["motcua"].is_active = False
    demo_users["motcua"].save()
    assert api.get("/api/v1/procedures/").status_code == 401


def test_x_api_key_header_works(demo_users, make_client):
    _client, api = make_client(demo_users["motcua"], header="x-api-key")
    assert api.get("/api/v1/procedures/").status_code == 200


def test_missing_scope_is_403_naming_it(demo_users, make_client):
    _client, api = make_client(demo_users["motcua"], ["dossiers:read"])
    response = api.get("/api/v1/procedures/")
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "/api/problems/insufficient-scope"
    assert "procedures:read" in body["detail"]


def test_scope_per_method(demo_users, make_client):
    """Reading dossiers does not allow submitting one."""
    _client, api = make_client(demo_users["motcua"], ["dossiers:read"])
    assert api.get("/api/v1/dossiers/").status_code == 200
    response = api.post("/api/v1/dossiers/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 403 and "dossiers:submit" in response.json()["detail"]
    response = api.post("/api/v1/dossiers/X/actions/receive/", {}, format="json")
    assert response.status_code == 403 and "dossiers:act" in response.json()["detail"]
    response = api.get("/api/v1/indicators/?agency=DEMO-UBND&period=2025")
    assert response.status_code == 403 and "indicators:read" in response.json()["detail"]


def test_schema_and_docs_are_public(db):
    assert APIClient().get("/api/schema/").status_code == 200
    assert APIClient().get("/api/docs/").status_code == 200


def test_throttled_per_client_with_retry_after(demo_users, make_client, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "get_rate", lambda self: "2/m")
    _c1, first = make_client(demo_users["motcua"])
    _c2, other = make_client(demo_users["chuyenvien"])
    assert [first.get("/api/v1/procedures/").status_code for _ in range(2)] == [200, 200]
    response = first.get("/api/v1/procedures/")
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert int(response["Retry-After"]) >= 1
    assert response.json()["type"] == "/api/problems/throttled"
    assert other.get("/api/v1/procedures/").status_code == 200, "the limit is per client"


def test_api_client_create_prints_a_working_key(demo_users):
    out = StringIO()
    call_command(
        "api_client_create", "Cổng DVC", "--user", "giamsat", "--scopes", "procedures:read", stdout=out
    )
    key = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(user=demo_users["giamsat"])
    assert client.scopes == ["procedures:read"] and client.is_valid(key)
    response = APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200


def test_api_client_create_refuses_unknown_scope(demo_users):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown scopes"):
        call_command("api_client_create", "x", "--user", "giamsat", "--scopes", "dossiers:delete")


def test_api_client_create_with_known_key(demo_users):
    key = "testkey1." + "a" * 40
    call_command(
        "api_client_create", "ci", "--user", "giamsat", "--scopes", "all", "--key", key, stdout=StringIO()
    )
    response = APIClient().get("/api/v1/procedures/", HTTP_X_API_KEY=key)
    assert response.status_code == 200
