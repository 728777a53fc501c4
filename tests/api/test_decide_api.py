"""The API records a result only where the page would: the deciding step's holder.

Same 8-step demo procedure 1.014431 as the task-page tests: B3 is the department's specialist, B7 the
provincial People's Committee (the last processing step, so the deciding one).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from procedures.models import Agency, Procedure
from workflows import policy
from workflows.choices import DossierStatus
from workflows.models import Dossier, Membership
from workflows.roles import Role
from workflows.services import Applicant, dossier_receive, dossier_step_done

pytestmark = pytest.mark.django_db

HOLDER = {2: "truongphong", 3: "chuyenvien", 4: "truongphong", 5: "giamdoc", 6: "chuyenvien", 7: "giamdoc"}


def _walk_to(dossier: Dossier, users, step_no: int) -> Dossier:
    while dossier.current_step.step_no < step_no:
        dossier = dossier_step_done(dossier=dossier, user=users[HOLDER[dossier.current_step.step_no]])
    return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def at_b3(demo_users) -> Dossier:
    received = dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )
    return _walk_to(received, demo_users, 3)


def test_the_specialist_at_b3_cannot_decide_through_the_api(demo_users, make_client, at_b3):
    # A specialist of the province: holds B3 (its unit is below) and reads the dossier through the API.
    specialist = get_user_model().objects.create_user("cv_tinh")
    Membership.objects.create(user=specialist, agency=at_b3.agency, role=Role.SPECIALIST)
    assert policy.user_may(specialist, at_b3, policy.STEP)
    _client, api = make_client(specialist)
    detail = api.get(f"/api/v1/dossiers/{at_b3.code}/").json()
    # the API lists what the client's user may do now: no decision at B3
    assert detail["actions_allowed"] == ["step_done", "return_step", "request_supplement", "request_payment"]
    response = api.post(
        f"/api/v1/dossiers/{at_b3.code}/actions/decide/", {"decision": "approved"}, format="json"
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "bước quyết định" in response.json()["detail"]
    at_b3.refresh_from_db()
    assert (at_b3.status, at_b3.current_step.step_no) == (DossierStatus.IN_PROCESS, 3)


def test_the_holder_of_the_deciding_step_decides_through_the_api(demo_users, make_client, at_b3):
    at_b7 = _walk_to(at_b3, demo_users, 7)
    _client, api = make_client(demo_users["giamdoc"])
    assert "decide" in api.get(f"/api/v1/dossiers/{at_b7.code}/").json()["actions_allowed"]
    response = api.post(
        f"/api/v1/dossiers/{at_b7.code}/actions/decide/", {"decision": "approved"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == DossierStatus.DECIDED
