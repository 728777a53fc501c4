"""Dossiers through the API: submit, read, list and filter, events, lifecycle actions through the services."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from tests.api.conftest import SUBMIT_BODY, submit
from workflows.choices import AccessPurpose
from workflows.models import Dossier, DossierEvent, PersonalDataAccess

PERSONAL = {"applicant", "applicant_name", "applicant_id_number", "id_number", "phone", "email", "address"}


@pytest.fixture
def submitted(portal):
    return submit(portal).json()["code"]


@pytest.fixture
def head(demo_users, make_client):
    """The head of unit of the S&T department (holds the routed steps of 1.014431)."""
    return make_client(demo_users["truongphong"])[1]


def test_submit_creates_an_online_dossier_without_echoing_personal_data(portal, portal_user):
    response = submit(portal)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "submitted" and body["national_status"] == 1
    assert body["channel"] == "online" and body["channel_code"] == 2
    assert body["procedure"]["code"] == "1.014431" and body["reception_agency"]["code"] == "DEMO-TTPVHCC"
    assert not PERSONAL & set(body)
    assert response["Location"].endswith(f"/api/v1/dossiers/{body['code']}/")
    dossier = Dossier.objects.get(code=body["code"])
    assert dossier.applicant_id_number == "001090000001" and dossier.submitted_at is not None
    assert dossier.events.get().actor == portal_user


def test_submit_field_errors(portal):
    bad = {
        **SUBMIT_BODY,
        "procedure": "9.999999",
        "applicant": {**SUBMIT_BODY["applicant"], "id_number": "12"},
    }
    response = submit(portal, bad)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"procedure", "applicant.id_number"}
    organisation = {
        **SUBMIT_BODY,
        "applicant": {**SUBMIT_BODY["applicant"], "kind": "organisation", "id_number": "01234-567"},
    }
    response = submit(portal, organisation, key="org")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "applicant.id_number"
    assert Dossier.objects.count() == 0


def test_detail_shows_the_applicant_and_logs_the_access(portal, portal_user, submitted):
    response = portal.get(f"/api/v1/dossiers/{submitted}/")
    assert response.status_code == 200
    body = response.json()
    assert body["applicant"]["id_number"] == "001090000001" and body["status"] == "submitted"
    access = PersonalDataAccess.objects.get()
    assert access.user == portal_user and access.purpose == AccessPurpose.API
    assert access.path == f"/api/v1/dossiers/{submitted}/"


def test_list_has_no_personal_data_and_is_not_logged(portal, submitted):
    body = portal.get("/api/v1/dossiers/").json()
    assert body["count"] == 1 and body["results"][0]["code"] == submitted
    assert not PERSONAL & set(body["results"][0])
    assert PersonalDataAccess.objects.count() == 0


def test_a_client_sees_only_what_its_user_may_see(demo_users, make_client, portal, submitted):
    _c, commune_desk = make_client(demo_users["motcuaxa"])
    assert commune_desk.get(f"/api/v1/dossiers/{submitted}/").status_code == 404
    assert commune_desk.get("/api/v1/dossiers/").json()["count"] == 0
    _c, centre_desk = make_client(demo_users["motcua"])
    assert centre_desk.get(f"/api/v1/dossiers/{submitted}/").status_code == 200


def test_lifecycle_through_the_api(portal, desk, head, submitted):
    response = desk.post(f"/api/v1/dossiers/{submitted}/actions/receive/", {}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "received" and body["national_status"] == 2 and body["due_at"]
    assert body["steps"][0]["unit"]["code"] == "DEMO-SKHCN-QLCN"
    response = head.post(
        f"/api/v1/dossiers/{submitted}/actions/step_done/", {"note": "phân công"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_process"
    events = portal.get(f"/api/v1/dossiers/{submitted}/events/").json()
    assert [e["event"] for e in events["results"]] == ["submit", "receive", "step_done"]
    assert events["results"][1]["to_national_status"] == 2 and events["results"][2]["note"] == "phân công"


def test_forbidden_action_is_403_with_the_rule(portal, desk, submitted):
    desk.post(f"/api/v1/dossiers/{submitted}/actions/receive/", {}, format="json")
    response = portal.post(f"/api/v1/dossiers/{submitted}/actions/stop/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "/api/problems/action-forbidden" and submitted in body["detail"]
    assert Dossier.objects.get(code=submitted).status == "received"


def test_action_refused_by_the_rules_is_409_with_the_rule(desk, submitted):
    response = desk.post(
        f"/api/v1/dossiers/{submitted}/actions/decide/", {"decision": "approved"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "/api/problems/lifecycle-refused"
    assert "Mới đăng ký" in body["detail"]  # the state that refuses it


def test_stale_revision_is_409_changed_by_other(desk, submitted):
    response = desk.post(
        f"/api/v1/dossiers/{submitted}/actions/receive/", {"expected_revision": 0}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/api/problems/changed-by-other"


def test_action_body_is_validated(desk, submitted):
    response = desk.post(
        f"/api/v1/dossiers/{submitted}/actions/refuse_receipt/", {"refusal_kind": "x"}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"refusal_kind", "reason"}
    response = desk.post(
        f"/api/v1/dossiers/{submitted}/actions/refuse_receipt/",
        {"refusal_kind": "competence", "reason": "Không thuộc thẩm quyền"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "not_received"
    assert response.json()["refusal_kind"] == "competence"


def test_unknown_dossier_is_404(desk):
    assert desk.post("/api/v1/dossiers/NOPE/actions/receive/", {}, format="json").status_code == 404
    assert desk.get("/api/v1/dossiers/NOPE/events/").status_code == 404


@pytest.fixture
def several(portal, desk):
    """Three submissions: one received (national 2), one refused (3), one still submitted (1)."""
    codes = [submit(portal, key=f"k{i}").json()["code"] for i in range(3)]
    desk.post(f"/api/v1/dossiers/{codes[0]}/actions/receive/", {}, format="json")
    desk.post(
        f"/api/v1/dossiers/{codes[1]}/actions/refuse_receipt/",
        {"refusal_kind": "supplement", "reason": "Thiếu đơn"},
        format="json",
    )
    return codes


def _codes(api, query: str) -> list[str]:
    response = api.get(f"/api/v1/dossiers/?{query}")
    assert response.status_code == 200, response.json()
    return [d["code"] for d in response.json()["results"]]


@pytest.fixture
def new_year_night():
    """23:30 UTC on 31 December is 06:30 on 1 January in Vietnam: a UTC date is the wrong day and year."""
    with time_machine.travel("2025-12-31T23:30:00+00:00", tick=True):
        yield


def test_filters(new_year_night, desk, several):
    received, refused, submitted_only = several
    assert _codes(desk, "status=2") == [received] == _codes(desk, "status=received")
    assert _codes(desk, "status=3") == [refused]
    assert _codes(desk, "status=submitted") == [submitted_only]
    assert set(_codes(desk, "agency=DEMO-UBND")) == set(several)
    assert _codes(desk, "agency=DEMO-XA-A") == []
    assert set(_codes(desk, "procedure=1.014431&channel=online")) == set(several)
    assert _codes(desk, "channel=direct") == []
    # Periods and days are Vietnamese calendar days: the receipt's local date, not its UTC date.
    local = timezone.localtime(Dossier.objects.get(code=received).received_at)
    year = local.year
    assert _codes(desk, f"period={year}") == [received]
    assert _codes(desk, f"period={year - 1}-Q4") == []
    day = local.date().isoformat()
    assert _codes(desk, f"received_from={day}&received_to={day}") == [received]


def test_bad_filters_are_field_errors(desk):
    for query, field in [("period=2025-13", "period"), ("status=11", "status"), ("agency=NOPE", "agency")]:
        response = desk.get(f"/api/v1/dossiers/?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"][0]["field"] == field


def test_pagination_and_ordering(desk, several):
    first = desk.get("/api/v1/dossiers/?limit=2&ordering=code").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    rest = desk.get(first["next"]).json()
    codes = [d["code"] for d in first["results"] + rest["results"]]
    assert codes == sorted(several)
    assert _codes(desk, "ordering=-code") == sorted(several, reverse=True)


def test_events_are_paginated_in_order(desk, several):
    body = desk.get(f"/api/v1/dossiers/{several[0]}/events/?limit=1").json()
    assert body["count"] == 2 and body["results"][0]["seq"] == 1 and body["next"]
    assert DossierEvent.objects.filter(dossier__code=several[0]).count() == 2
