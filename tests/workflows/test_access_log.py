"""Every staff page that shows an applicant's personal data writes one access-log row (domain §8, issue 5):
the dossier page, the printed slips and the viewflow task form — who, when, which dossier, through what.
The public lookup shows no personal data, so it writes none."""

from __future__ import annotations

import pytest
from django.urls import reverse

from procedures.models import Agency, Procedure
from workflows.choices import AccessPurpose
from workflows.flows import process_of
from workflows.models import Dossier, PersonalDataAccess
from workflows.services import Applicant, dossier_receive

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo"


@pytest.fixture
def received(demo_users) -> Dossier:
    return dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999", phone="0912345678"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


def _login(client, username: str):
    assert client.login(username=username, password=PASSWORD)
    return client


def _rows(dossier: Dossier):
    return list(PersonalDataAccess.objects.filter(dossier=dossier).order_by("at", "pk"))


def test_the_dossier_page_logs_who_saw_which_dossier(client, received, demo_users):
    _login(client, "motcua")
    url = reverse("workflows:dossier", args=[received.code])
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    (row,) = _rows(received)
    assert row.user == demo_users["motcua"]
    assert row.purpose == AccessPurpose.DESK_PAGE
    assert row.path == url and row.ip == "10.1.2.3" and row.at is not None
    client.get(url)
    assert len(_rows(received)) == 2  # each view is one row


def test_a_printed_slip_is_logged_as_a_slip(client, received):
    _login(client, "motcua")
    assert client.get(reverse("workflows:slip", args=[received.code, "01"])).status_code == 200
    assert [r.purpose for r in _rows(received)] == [AccessPurpose.SLIP]


def test_a_refused_page_logs_nothing(client, received):
    from django.contrib.auth import get_user_model

    from workflows.models import Membership
    from workflows.roles import Role

    outsider = get_user_model().objects.create_user("xa_b_cv", password=PASSWORD)
    Membership.objects.create(
        user=outsider, agency=Agency.objects.get(code="DEMO-XA-B"), role=Role.DESK_OFFICER
    )
    _login(client, "xa_b_cv")
    assert client.get(reverse("workflows:dossier", args=[received.code])).status_code == 404
    assert client.get(reverse("workflows:slip", args=[received.code, "01"])).status_code == 404
    assert _rows(received) == []


def test_the_task_form_is_logged_as_task_work(client, received, demo_users):
    task = (
        process_of(received)
        .task_set.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED", "STARTED"])
        .get()
    )
    _login(client, "truongphong")
    assert client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk])).status_code == 302
    assert client.get(task.flow_task.reverse("execute", args=[task.process_id, task.pk])).status_code == 200
    rows = _rows(received)
    assert [(r.user, r.purpose) for r in rows] == [(demo_users["truongphong"], AccessPurpose.TASK)]


def test_the_public_lookup_logs_nothing(client, received):
    response = client.get(reverse("public:lookup"), {"code": received.code, "verify": "5678"})
    assert response.status_code == 200
    assert _rows(received) == []


def test_the_dossier_list_logs_each_applicant_shown(client, received, demo_users):
    _login(client, "motcua")
    assert client.get("/ho-so/").status_code == 200
    (row,) = _rows(received)
    assert (row.user, row.purpose) == (demo_users["motcua"], AccessPurpose.LIST)


def test_the_admin_change_page_logs_the_administrator(client, received, demo_users):
    _login(client, "quantri")
    url = reverse("admin:workflows_dossier_change", args=[received.pk])
    assert client.get(url).status_code == 200
    (row,) = _rows(received)
    assert (row.user, row.purpose) == (demo_users["quantri"], AccessPurpose.ADMIN)
