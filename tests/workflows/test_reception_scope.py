"""Reception follows the catalogue (Decree 118/2025): a desk receives only what it may, whoever calls.

The demo ministry procedure 2.000169 (a radiation-work licence decided by the Ministry of Science and
Technology) is not delegated to the demo province, so neither the commune desk nor the provincial centre
may receive it — not through the desk form, not through the service, not through the API. Delegating it to
the province (``received_in``) opens every desk of the province; delegating it to one commune opens that
commune only.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures.models import Agency, Procedure
from procedures.selectors import version_in_force
from tests.api.conftest import SUBMIT_BODY, submit
from workflows.models import Dossier
from workflows.services import Applicant, dossier_receive, dossier_submit
from workflows.services.lifecycle import LifecyclePermissionError
from workflows.views.desk import ReceiveForm

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo"
MINISTRY = "2.000169"
PROVINCIAL = "1.014431"
PERSON = Applicant(name="Nguyễn Văn An", id_number="001203012345", phone="0912345678")


@pytest.fixture
def agencies(demo_users):
    return {a.code: a for a in Agency.objects.all()}


@pytest.fixture
def ministry_procedure(demo_users) -> Procedure:
    return Procedure.objects.get(code=MINISTRY)


def _delegate(procedure: Procedure, *agencies: Agency) -> None:
    version_in_force(procedure, timezone.localdate()).received_in.set(agencies)


# --- the service, whoever calls it --------------------------------------------------------------------------


def test_a_commune_desk_may_not_receive_an_undelegated_ministry_procedure(
    demo_users, agencies, ministry_procedure
):
    for desk, user in (("DEMO-XA-A", "motcuaxa"), ("DEMO-TTPVHCC", "motcua")):
        with pytest.raises(LifecyclePermissionError, match=MINISTRY):
            dossier_receive(
                procedure=ministry_procedure,
                applicant=PERSON,
                reception_agency=agencies[desk],
                user=demo_users[user],
            )
    # without naming the desk: the officer's own desks are checked
    with pytest.raises(LifecyclePermissionError):
        dossier_receive(procedure=ministry_procedure, applicant=PERSON, user=demo_users["motcuaxa"])
    assert not Dossier.objects.exists()


def test_a_delegated_ministry_procedure_is_received_in_the_province(demo_users, agencies, ministry_procedure):
    _delegate(ministry_procedure, agencies["DEMO-UBND"])
    dossier = dossier_receive(
        procedure=ministry_procedure,
        applicant=PERSON,
        reception_agency=agencies["DEMO-XA-A"],
        user=demo_users["motcuaxa"],
    )
    assert dossier.reception_agency.code == "DEMO-XA-A" and dossier.agency.code == "DEMO-BKHCN"


def test_online_submission_and_its_reception_follow_the_rule(demo_users, agencies, ministry_procedure):
    with pytest.raises(LifecyclePermissionError):
        dossier_submit(
            procedure=ministry_procedure, applicant=PERSON, reception_agency=agencies["DEMO-TTPVHCC"]
        )
    # not naming a desk: the ministry's own desk will receive it
    submitted = dossier_submit(procedure=ministry_procedure, applicant=PERSON)
    with pytest.raises(LifecyclePermissionError):
        dossier_receive(
            dossier=submitted, reception_agency=agencies["DEMO-TTPVHCC"], user=demo_users["motcua"]
        )
    assert Dossier.objects.get(pk=submitted.pk).status == "submitted"


# --- the desk form -----------------------------------------------------------------------------------------


def _post(procedure: Procedure, **extra) -> dict:
    return {
        "procedure": procedure.pk,
        "channel": "direct",
        "applicant_kind": "person",
        "applicant_name": "Nguyễn Văn An",
        "applicant_id_number": "001203012345",
        "applicant_phone": "0912345678",
        "copies": 1,
        "result_delivery": "direct",
        "do": "receive",
        **extra,
    }


def test_the_receive_form_lists_only_what_the_desk_may_receive(demo_users, agencies, ministry_procedure):
    listed = set(ReceiveForm(user=demo_users["motcuaxa"]).fields["procedure"].queryset)
    assert Procedure.objects.get(code=PROVINCIAL) in listed
    assert ministry_procedure not in listed
    assert not {p for p in listed if p.agency.code == "DEMO-BKHCN"} - {
        p for p in listed if version_in_force(p, timezone.localdate()).received_in.exists()
    }
    _delegate(ministry_procedure, agencies["DEMO-XA-A"])
    assert ministry_procedure in set(ReceiveForm(user=demo_users["motcuaxa"]).fields["procedure"].queryset)
    assert ministry_procedure not in set(ReceiveForm(user=demo_users["motcua"]).fields["procedure"].queryset)


def test_posting_a_procedure_the_desk_may_not_receive_writes_nothing(client, demo_users, ministry_procedure):
    assert client.login(username="motcuaxa", password=PASSWORD)
    response = client.post(reverse("workflows:receive"), _post(ministry_procedure))
    assert response.status_code == 400
    assert not Dossier.objects.exists()


def test_the_chosen_desk_must_be_one_that_may_receive(client, demo_users, agencies, ministry_procedure):
    """The commune officer works at two communes; the ministry delegated the procedure to commune A only."""
    _delegate(ministry_procedure, agencies["DEMO-XA-A"])
    assert client.login(username="motcuaxa", password=PASSWORD)
    refused = client.post(
        reverse("workflows:receive"), _post(ministry_procedure, reception_agency=agencies["DEMO-XA-B"].pk)
    )
    assert refused.status_code == 400 and not Dossier.objects.exists()
    accepted = client.post(
        reverse("workflows:receive"), _post(ministry_procedure, reception_agency=agencies["DEMO-XA-A"].pk)
    )
    assert accepted.status_code == 302
    assert Dossier.objects.get().reception_agency.code == "DEMO-XA-A"


def test_without_a_chosen_desk_the_first_that_may_receive_is_taken(
    client, demo_users, agencies, ministry_procedure
):
    _delegate(ministry_procedure, agencies["DEMO-XA-B"])
    assert client.login(username="motcuaxa", password=PASSWORD)
    response = client.post(reverse("workflows:receive"), _post(ministry_procedure))
    assert response.status_code == 302
    assert Dossier.objects.get().reception_agency.code == "DEMO-XA-B"


# --- the API -----------------------------------------------------------------------------------------------


@pytest.fixture
def portal(demo_users, django_user_model):
    from tests.api.conftest import ALL_SCOPES
    from workflows.models import ApiClient

    user = django_user_model.objects.create_user("cong-dvc")
    _client, key = ApiClient.objects.create_key(name="portal", user=user, scopes=ALL_SCOPES)
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def test_a_portal_may_only_name_a_desk_that_may_receive_the_procedure(portal, agencies, ministry_procedure):
    body = {**SUBMIT_BODY, "procedure": MINISTRY, "reception_agency": "DEMO-XA-A"}
    response = submit(portal, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["reception_agency"]
    assert not Dossier.objects.exists()
    _delegate(ministry_procedure, agencies["DEMO-UBND"])
    accepted = submit(portal, body, key="key-2")
    assert accepted.status_code == 201 and accepted.json()["reception_agency"]["code"] == "DEMO-XA-A"
