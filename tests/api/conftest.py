"""Fixtures of the REST API tests: the demo province, API clients with chosen scopes, request helpers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

# What config/settings.py must name for the API (test_schema.py checks the real settings hold them).
API_REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "workflows.api.schema.ProblemAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "procedures.api.pagination.ApiPagination",
}


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """Until config/settings.py names the API's schema class, set it for these tests so they read the schema
    production will serve (``test_settings_name_the_api_classes`` fails meanwhile)."""
    missing = {k: v for k, v in API_REST_FRAMEWORK.items() if settings.REST_FRAMEWORK.get(k) != v}
    if missing:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, **missing}


@pytest.fixture
def demo_users(db):
    """The demo catalogue, role groups and demo users with their memberships (as ``demo_seed``)."""
    from procedures.services import catalogue_load_demo
    from workflows.management.commands.demo_seed import demo_users_seed
    from workflows.roles import role_groups_sync

    catalogue_load_demo()
    role_groups_sync()
    return demo_users_seed()


ALL_SCOPES = ["procedures:read", "dossiers:read", "dossiers:submit", "dossiers:act", "indicators:read"]


@pytest.fixture
def make_client(db):
    """``make_client(user, scopes) -> (ApiClient, APIClient with the key set)``."""
    from workflows.models import ApiClient

    def make(user, scopes=ALL_SCOPES, *, header: str = "authorization"):
        client, key = ApiClient.objects.create_key(
            name=f"test {user.username}", user=user, scopes=list(scopes)
        )
        api = APIClient()
        if header == "authorization":
            api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        else:
            api.credentials(HTTP_X_API_KEY=key)
        api.key = key
        return client, api

    return make


@pytest.fixture
def portal_user(django_user_model):
    """A partner portal's account: no unit, so it sees only what it submitted itself."""
    return django_user_model.objects.create_user("cong-dvc", first_name="Cổng DVC", last_name="tỉnh")


@pytest.fixture
def portal(demo_users, portal_user, make_client):
    return make_client(portal_user)[1]


@pytest.fixture
def desk(demo_users, make_client):
    """The provincial service centre's desk (user ``motcua``) as an integrating unit with every scope."""
    return make_client(demo_users["motcua"])[1]


SUBMIT_BODY = {
    "procedure": "1.014431",
    "applicant": {
        "kind": "person",
        "name": "Nguyễn Văn A",
        "id_number": "001090000001",
        "address": "Số 1, Hà Nội",
        "phone": "0912345678",
        "email": "a@example.vn",
    },
    "request_summary": "Công nhận trung tâm hỗ trợ khởi nghiệp",
    "reception_agency": "DEMO-TTPVHCC",
}


def submit(api, body=None, key="key-1", **extra):
    return api.post(
        "/api/v1/dossiers/",
        body if body is not None else SUBMIT_BODY,
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        **extra,
    )
