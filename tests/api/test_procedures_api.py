"""The catalogue through the API: list, filters, pagination, one procedure with its version in force."""

from __future__ import annotations

from procedures.models import Agency, Procedure
from procedures.selectors import agency_subtree_ids


def test_list_is_paginated_and_ordered_by_code(desk):
    response = desk.get("/api/v1/procedures/?limit=5")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == Procedure.objects.count() and len(body["results"]) == 5
    codes = [p["code"] for p in body["results"]]
    assert codes == sorted(codes)
    assert body["next"].endswith("limit=5&offset=5")
    row = body["results"][0]
    assert set(row) == {"code", "name", "field", "level", "agency", "online_level"}


def test_page_size_is_capped(desk):
    response = desk.get("/api/v1/procedures/?limit=100000000000000000000000000000")
    assert response.status_code == 200


def test_filter_by_agency_includes_its_units(desk):
    skhcn = Agency.objects.get(code="DEMO-SKHCN")
    expected = set(
        Procedure.objects.filter(agency_id__in=agency_subtree_ids([skhcn])).values_list("code", flat=True)
    )
    body = desk.get("/api/v1/procedures/?agency=DEMO-SKHCN&limit=500").json()
    assert {p["code"] for p in body["results"]} == expected
    assert any(p["agency"]["code"] == "DEMO-QUY-KHCN" for p in body["results"]), "a unit below the department"


def test_filter_by_online_level_field_and_text(desk):
    full = desk.get("/api/v1/procedures/?online_level=full&limit=500").json()["results"]
    assert full and all(p["online_level"] == "full" for p in full)
    found = desk.get("/api/v1/procedures/?q=1.014431").json()["results"]
    assert [p["code"] for p in found] == ["1.014431"]
    field = found and desk.get("/api/v1/procedures/1.014431/").json()["field"]
    by_field = desk.get("/api/v1/procedures/", {"field": field, "limit": 500}).json()["results"]
    assert "1.014431" in {p["code"] for p in by_field} and all(p["field"] == field for p in by_field)


def test_unknown_agency_or_level_is_a_field_error(desk):
    response = desk.get("/api/v1/procedures/?agency=NOPE")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "agency"
    response = desk.get("/api/v1/procedures/?online_level=sometimes")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "online_level"


def test_detail_has_the_version_in_force(desk):
    body = desk.get("/api/v1/procedures/1.014431/").json()
    version = body["version"]
    assert body["code"] == "1.014431" and body["agency"]["code"] == "DEMO-UBND"
    assert version["committed_term"] == {"amount": 27.0, "unit": "calendar_days"}
    assert [s["step_no"] for s in version["steps"]] == list(range(1, len(version["steps"]) + 1))
    assert version["steps"][0]["unit"]["code"] == "DEMO-TTPVHCC"
    assert body["online_level"] == version["online_level"]


def test_unknown_procedure_is_404_problem(desk):
    response = desk.get("/api/v1/procedures/9.999999/")
    assert response.status_code == 404
    assert response.json()["type"] == "/api/problems/not-found"
