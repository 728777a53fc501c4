"""``GET /api/v1/indicators/`` answers exactly the JSON of ``manage.py indicators --format json``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from procedures.models import Agency
from tests.api.conftest import submit
from workflows.models import Membership
from workflows.roles import Role


@pytest.fixture
def supervisor(demo_users, make_client):
    return make_client(demo_users["giamsat"])[1]


def _command(*args: str) -> dict:
    out = StringIO()
    call_command("indicators", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_same_json_as_the_command(supervisor, portal, desk):
    code = submit(portal).json()["code"]
    desk.post(f"/api/v1/dossiers/{code}/actions/receive/", {}, format="json")
    response = supervisor.get(
        "/api/v1/indicators/?agency=DEMO-UBND&include_children=true&from=2025-07-01&to=2025-09-30"
    )
    assert response.status_code == 200, response.json()
    expected = _command(
        "--agency", "DEMO-UBND", "--include-children", "--from", "2025-07-01", "--to", "2025-09-30"
    )
    assert response.json() == expected
    assert list(response.json()) == list(expected), "same keys in the same order"


def test_period_shorthand_and_source(supervisor):
    by_period = supervisor.get("/api/v1/indicators/?agency=DEMO-SKHCN&period=2025-Q3&source=raw").json()
    expected = _command(
        "--agency", "DEMO-SKHCN", "--from", "2025-07-01", "--to", "2025-09-30", "--source", "raw"
    )
    assert by_period == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("agency=NOPE&period=2025", "agency"),
        ("agency=DEMO-UBND", "from"),
        ("agency=DEMO-UBND&from=2025-09-01&to=2025-08-01", "from"),
        ("agency=DEMO-UBND&period=2025&from=2025-01-01", "period"),
        ("agency=DEMO-UBND&from=0001-01-01&to=2025-01-01", "from"),
        ("period=2025", "agency"),
    ],
)
def test_bad_queries_are_field_errors(supervisor, query, field):
    response = supervisor.get(f"/api/v1/indicators/?{query}")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}


def test_only_supervisors_and_leaders_of_the_agency(demo_users, make_client, django_user_model):
    _c, desk_officer = make_client(demo_users["motcua"])
    response = desk_officer.get("/api/v1/indicators/?agency=DEMO-UBND&period=2025")
    assert response.status_code == 403 and response.json()["type"] == "/api/problems/permission-denied"
    commune_supervisor = django_user_model.objects.create_user("gs-xa")
    Membership.objects.create(
        user=commune_supervisor, agency=Agency.objects.get(code="DEMO-XA-A"), role=Role.SUPERVISOR
    )
    _c, api = make_client(commune_supervisor)
    assert api.get("/api/v1/indicators/?agency=DEMO-XA-A&period=2025").status_code == 200
    assert api.get("/api/v1/indicators/?agency=DEMO-SKHCN&period=2025").status_code == 403
