"""Bad input to the REST API answers a problem, never a 500 or an HTML page: an oversized or deeply nested
JSON body, an unknown path under /api/v1/, and applicant fields beyond what the columns hold."""

from __future__ import annotations

import json
import unicodedata

import pytest
from django.test import Client

from tests.api.conftest import SUBMIT_BODY, submit
from tests.api.test_problems import _problem
from workflows.models import Dossier


def test_body_over_the_upload_limit_is_413(portal, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {**SUBMIT_BODY, "request_summary": "x" * 20_000}
    problem = _problem(submit(portal, body), 413, "payload-too-large")
    assert "10000" in problem["detail"] or "10.000" in problem["detail"]


def test_deeply_nested_json_is_400(portal):
    deep = "[" * 100_000 + "]" * 100_000
    response = portal.post(
        "/api/v1/dossiers/", deep, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep"
    )
    _problem(response, 400, "malformed-request")


def test_moderately_nested_json_is_refused_too(portal):
    nested: dict = {}
    for _ in range(200):
        nested = {"a": nested}
    body = {**SUBMIT_BODY, "extra": nested}
    response = portal.post(
        "/api/v1/dossiers/", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="n"
    )
    _problem(response, 400, "malformed-request")


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/dossiers/X/actions/nope/", "/api/v1/", "/api/v1"])
def test_unknown_api_paths_answer_problem_json(portal, path):
    body = _problem(portal.get(path), 404, "not-found")
    assert body["instance"] == path


def test_unknown_api_path_without_a_key_is_still_problem_json(db):
    _problem(Client().get("/api/v1/khong-co/"), 404, "not-found")


def test_the_catch_all_does_not_shadow_real_routes(portal):
    assert portal.get("/api/v1/procedures/").status_code == 200
    assert portal.get("/api/v1/dossiers/").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "A" * 256),
        ("address", "x" * 501),
        ("phone", "0" * 21),
        ("phone", "abc"),
        ("id_number", "001٠٩٠٠٠٠٠٠١"),  # Arabic-Indic digits: not an ID
    ],
)
def test_applicant_fields_beyond_the_columns_are_validation_problems(portal, field, value):
    body = {**SUBMIT_BODY, "applicant": {**SUBMIT_BODY["applicant"], field: value}}
    problem = _problem(submit(portal, body), 400, "validation")
    assert f"applicant.{field}" in {e["field"] for e in problem["errors"]}
    assert not Dossier.objects.exists()


def test_fullwidth_id_and_decomposed_name_are_stored_normalised(portal):
    name = unicodedata.normalize("NFD", "Nguyễn Văn Ánh")
    body = {
        **SUBMIT_BODY,
        "applicant": {**SUBMIT_BODY["applicant"], "name": name, "id_number": "００１０９００００００１"},
    }
    assert submit(portal, body).status_code == 201
    dossier = Dossier.objects.get()
    assert dossier.applicant_id_number == "001090000001"
    assert dossier.applicant_name == "Nguyễn Văn Ánh"


@pytest.mark.parametrize(
    "query", ["received_from=0001-01-01&received_to=9999-12-31", "period=0001", "period=9999"]
)
def test_extreme_filter_dates_are_not_a_500(portal, query):
    assert portal.get(f"/api/v1/dossiers/?{query}").status_code in (200, 400)


def test_apology_beyond_the_calendar_is_a_validation_problem(portal, desk, demo_users, make_client):
    code = submit(portal).json()["code"]
    assert desk.post(f"/api/v1/dossiers/{code}/actions/receive/", {}, format="json").status_code == 200
    director = make_client(demo_users["giamdoc"])[1]
    response = director.post(
        f"/api/v1/dossiers/{code}/actions/apologize/",
        {"new_due_at": "2099-01-05T09:00:00+07:00", "reason": "Chờ ý kiến"},
        format="json",
    )
    problem = _problem(response, 400, "validation")
    assert "new_due_at" in {e["field"] for e in problem["errors"]}
    assert Dossier.objects.get(code=code).apology_at is None
