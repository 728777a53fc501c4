"""Every error is RFC 9457 problem+json: type, title, status, detail, instance, and field errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError

from tests.api.conftest import SUBMIT_BODY, submit
from workflows.api.problems import PROBLEM_TYPES, django_field_errors, field_errors

PROBLEM = "application/problem+json"
KEYS = {"type", "title", "status", "detail", "instance"}


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) >= KEYS and body["status"] == status
    assert body["type"] == f"/api/problems/{slug}" and body["title"] == str(PROBLEM_TYPES[slug].title)
    return body


def test_validation_problem_lists_field_errors(portal):
    body = {**SUBMIT_BODY, "applicant": {"kind": "alien", "email": "not-an-email"}}
    problem = _problem(submit(portal, body), 400, "validation")
    assert problem["instance"] == "/api/v1/dossiers/"
    by_field = {e["field"]: e["message"] for e in problem["errors"]}
    assert set(by_field) == {"applicant.kind", "applicant.name", "applicant.id_number", "applicant.email"}
    assert all(isinstance(m, str) and m for m in by_field.values())
    assert by_field["applicant.name"] in problem["detail"]


def test_malformed_json(portal):
    response = portal.post(
        "/api/v1/dossiers/", "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    _problem(response, 400, "malformed-request")


def test_unsupported_media_type(portal):
    response = portal.post("/api/v1/dossiers/", "a=b", content_type="text/plain", HTTP_IDEMPOTENCY_KEY="k")
    _problem(response, 415, "unsupported-media-type")


def test_method_not_allowed(portal):
    _problem(portal.delete("/api/v1/dossiers/"), 405, "method-not-allowed")


def test_not_found_inside_and_outside_the_api(portal):
    body = _problem(portal.get("/api/v1/dossiers/NOPE/"), 404, "not-found")
    assert body["instance"] == "/api/v1/dossiers/NOPE/"


def test_not_acceptable(portal):
    _problem(portal.get("/api/v1/procedures/", HTTP_ACCEPT="application/xml"), 406, "not-acceptable")


def test_field_errors_flatten_nested_and_listed_errors():
    detail = ValidationError(
        {"applicant": {"id_number": ["a", "b"]}, "documents": [{}, ["c"]], "non_field_errors": ["d"]}
    ).detail
    assert field_errors(detail) == [
        {"field": "applicant.id_number", "message": "a"},
        {"field": "applicant.id_number", "message": "b"},
        {"field": "documents[1]", "message": "c"},
        {"field": None, "message": "d"},
    ]


def test_service_validation_errors_are_renamed():
    exc = DjangoValidationError({"applicant_id_number": ["x"], "__all__": ["y"]})
    assert django_field_errors(exc, {"applicant_id_number": "applicant.id_number"}) == [
        {"field": "applicant.id_number", "message": "x"},
        {"field": None, "message": "y"},
    ]
