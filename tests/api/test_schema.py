"""The OpenAPI schema documents every operation's success body and its problem+json errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rest_framework.test import APIClient

import config.settings as project_settings
from tests.api.conftest import API_REST_FRAMEWORK

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"


def _schema(db) -> dict:
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_its_problems(db):
    schema = _schema(db)
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) == 20
    for path, method, op in operations:
        assert op["security"] == [{"ApiKeyAuthorization": []}, {"ApiKeyHeader": []}], path
        for status in ("400", "401", "403", "429"):
            assert PROBLEM in op["responses"][status]["content"], (path, method, status)
        if "{code}" in path:
            assert PROBLEM in op["responses"]["404"]["content"], path
    assert schema["components"]["securitySchemes"]["ApiKeyHeader"]["name"] == "X-Api-Key"


def test_submit_documents_idempotency(db):
    post = _schema(db)["paths"]["/api/v1/dossiers/"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    assert {"201", "409", "422"} <= set(post["responses"])
    assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]


def test_settings_name_the_api_classes():
    """config/settings.py must name the schema and pagination classes (the tests set them meanwhile)."""
    missing = {k: v for k, v in API_REST_FRAMEWORK.items() if project_settings.REST_FRAMEWORK.get(k) != v}
    assert not missing, f"add to REST_FRAMEWORK in config/settings.py: {missing}"


def test_schema_validates_without_warnings(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
         "--file", str(tmp_path / "s.yaml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def test_docs_are_public_and_need_no_cdn(client, db):
    """/api/docs/ loads Swagger UI from our own static files (an intranet has no CDN) and the schema URL."""
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert client.get("/api/schema/").status_code == 200
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert client.get(bundle).status_code == 200
