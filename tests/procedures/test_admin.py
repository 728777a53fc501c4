"""Admin pages render, and the version page checks the submitted steps against the committed term."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from procedures.models import ProcedureVersion
from tests.procedures.factories import (
    AgencyFactory,
    ProcedureFactory,
    ProcedureStepFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_vi() -> Client:
    user = get_user_model().objects.create_superuser("quantri", "quantri@example.invalid", "x")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def version() -> ProcedureVersion:
    province = AgencyFactory(code="DEMO-P", province=True)
    version = ProcedureVersionFactory(
        procedure=ProcedureFactory(agency=AgencyFactory(code="DEMO-D", parent=province)),
        statutory_term_amount=Decimal(2),
    )
    ProcedureStepFactory(version=version, step_no=1, allotted_working_hours=Decimal(8))
    return version


@pytest.mark.parametrize("model", ["agency", "procedure", "procedureversion"])
def test_changelists_and_change_pages_render(
    admin_client_vi: Client, version: ProcedureVersion, model: str
) -> None:
    assert admin_client_vi.get(reverse(f"admin:procedures_{model}_changelist")).status_code == 200
    obj = {"agency": version.procedure.agency, "procedure": version.procedure, "procedureversion": version}[
        model
    ]
    assert admin_client_vi.get(reverse(f"admin:procedures_{model}_change", args=[obj.pk])).status_code == 200
    assert admin_client_vi.get(reverse(f"admin:procedures_{model}_add")).status_code == 200


def test_agency_list_shows_the_tree(admin_client_vi: Client, version: ProcedureVersion) -> None:
    page = admin_client_vi.get(reverse("admin:procedures_agency_changelist")).content.decode()
    assert "└ " in page


def _post_version(client: Client, version: ProcedureVersion, steps: list[tuple[int, str]], **extra):
    data = {
        "procedure": version.procedure_id,
        "effective_from": "2025-07-01",
        "effective_to": "",
        "statutory_term_amount": "2",
        "statutory_term_unit": "working_days",
        "committed_term_amount": "2",
        "committed_term_unit": "working_days",
        "online_term_amount": "",
        "online_term_unit": "",
        "online_level": "none",
        "fees_vnd": "0",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "1",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    existing = version.steps.get()
    for index, (number, hours) in enumerate(steps):
        data.update(
            {
                f"steps-{index}-id": str(existing.pk) if index == 0 else "",
                f"steps-{index}-version": str(version.pk),
                f"steps-{index}-step_no": str(number),
                f"steps-{index}-name": f"Bước {number}",
                f"steps-{index}-role": "",
                f"steps-{index}-unit": "",
                f"steps-{index}-allotted_working_hours": hours,
            }
        )
    data.update(extra)
    return client.post(reverse("admin:procedures_procedureversion_change", args=[version.pk]), data)


def test_steps_longer_than_the_committed_term_are_refused(
    admin_client_vi: Client, version: ProcedureVersion
) -> None:
    response = _post_version(admin_client_vi, version, [(1, "8"), (2, "8.5")])
    assert response.status_code == 200
    assert "vượt thời hạn cam kết" in response.content.decode()
    assert version.steps.count() == 1


def test_moving_time_between_steps_is_judged_on_the_submitted_steps(
    admin_client_vi: Client, version: ProcedureVersion
) -> None:
    response = _post_version(admin_client_vi, version, [(1, "4"), (2, "12")])
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(version.steps.values_list("allotted_working_hours", flat=True)) == [Decimal(4), Decimal(12)]


def test_the_version_page_records_where_else_it_may_be_received(
    admin_client_vi: Client, version: ProcedureVersion
) -> None:
    other = AgencyFactory(code="DEMO-P2", province=True)
    page = admin_client_vi.get(reverse("admin:procedures_procedureversion_change", args=[version.pk]))
    assert 'name="received_in"' in page.content.decode()
    response = _post_version(admin_client_vi, version, [(1, "8")], received_in=[str(other.pk)])
    assert response.status_code == 302
    assert list(version.received_in.values_list("code", flat=True)) == ["DEMO-P2"]
