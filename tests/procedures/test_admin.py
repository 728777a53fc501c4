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


# --- an administrator of a commune edits only their own agencies' catalogue ---------------------------------


@pytest.fixture
def commune_world():
    """Province DEMO-P with communes DEMO-XA-A (administered) and DEMO-XA-B; each commune decides one
    procedure whose version has one step at the commune; the administrator holds the role at DEMO-XA-A."""
    from workflows.models import Membership
    from workflows.roles import Role, role_groups_sync

    province = AgencyFactory(code="DEMO-P", province=True)
    own = AgencyFactory(code="DEMO-XA-A", parent=province, commune=True)
    other = AgencyFactory(code="DEMO-XA-B", parent=province, commune=True)
    versions = {}
    for agency in (own, other):
        version = ProcedureVersionFactory(
            procedure=ProcedureFactory(agency=agency), statutory_term_amount=Decimal(2)
        )
        ProcedureStepFactory(version=version, step_no=1, unit=agency, allotted_working_hours=Decimal(8))
        versions[agency.code] = version
    user = get_user_model().objects.create_user("quantri-xa", is_staff=True)
    user.groups.set([role_groups_sync()[Role.ADMINISTRATOR]])
    Membership.objects.create(user=user, agency=own, role=Role.ADMINISTRATOR)
    client = Client()
    client.force_login(user)
    return client, own, other, versions["DEMO-XA-A"], versions["DEMO-XA-B"]


def test_a_commune_administrator_cannot_open_another_agencys_procedure_or_version(commune_world) -> None:
    client, _own, _other, own_version, foreign = commune_world
    for model, obj in (("procedure", foreign.procedure), ("procedureversion", foreign)):
        for page in ("change", "delete"):
            response = client.get(reverse(f"admin:procedures_{model}_{page}", args=[obj.pk]))
            assert response.status_code == 302 and response.url == reverse("admin:index"), (model, page)
        listing = client.get(reverse(f"admin:procedures_{model}_changelist")).content.decode()
        assert foreign.procedure.code not in listing and own_version.procedure.code in listing


def test_a_commune_administrator_cannot_add_their_commune_to_a_foreign_version(commune_world) -> None:
    client, own, _other, _own_version, foreign = commune_world
    _post_version(client, foreign, [(1, "8")], received_in=[str(own.pk)])
    assert not foreign.received_in.exists()


def test_a_commune_administrator_lists_only_administered_agencies_as_reception(commune_world) -> None:
    client, own, other, own_version, _foreign = commune_world
    response = _post_version(client, own_version, [(1, "8")], received_in=[str(other.pk)])
    assert response.status_code == 200 and not own_version.received_in.exists()
    response = _post_version(client, own_version, [(1, "8")], received_in=[str(own.pk)])
    assert response.status_code == 302
    assert list(own_version.received_in.values_list("code", flat=True)) == ["DEMO-XA-A"]


def test_a_commune_administrator_cannot_route_a_step_to_a_foreign_unit(commune_world) -> None:
    client, own, other, own_version, _foreign = commune_world
    response = _post_version(client, own_version, [(1, "8")], **{"steps-0-unit": str(other.pk)})
    assert response.status_code == 200
    assert own_version.steps.get().unit == own
    response = _post_version(client, own_version, [(1, "6")], **{"steps-0-unit": str(own.pk)})
    assert response.status_code == 302
    assert own_version.steps.get().allotted_working_hours == Decimal(6)


def test_a_commune_administrator_cannot_move_a_version_to_a_foreign_procedure(commune_world) -> None:
    client, _own, _other, own_version, foreign = commune_world
    response = _post_version(
        client, own_version, [(1, "8")], procedure=str(foreign.procedure_id), effective_from="2025-08-01"
    )
    assert response.status_code == 200
    own_version.refresh_from_db()
    assert own_version.procedure.agency.code == "DEMO-XA-A"


def _post_procedure(client: Client, agency_pk: int, procedure=None):
    data = {
        "code": procedure.code if procedure else "DEMO.999001",
        "name": "Thủ tục mới",
        "field": "",
        "level": "commune",
        "agency": str(agency_pk),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    if procedure is None:
        return client.post(reverse("admin:procedures_procedure_add"), data)
    return client.post(reverse("admin:procedures_procedure_change", args=[procedure.pk]), data)


def test_a_commune_administrator_adds_and_moves_procedures_only_within_their_agencies(commune_world) -> None:
    from procedures.models import Procedure

    client, own, other, own_version, _foreign = commune_world
    assert _post_procedure(client, other.pk).status_code == 200
    assert not Procedure.objects.filter(code="DEMO.999001").exists()
    assert _post_procedure(client, other.pk, own_version.procedure).status_code == 200
    assert Procedure.objects.get(pk=own_version.procedure_id).agency == own
    response = _post_procedure(client, own.pk)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Procedure.objects.get(code="DEMO.999001").agency == own


def test_the_bulk_delete_action_skips_another_agencys_procedures(commune_world) -> None:
    from procedures.models import Procedure

    client, _own, _other, _own_version, foreign = commune_world
    client.post(
        reverse("admin:procedures_procedure_changelist"),
        {"action": "delete_selected", "_selected_action": [str(foreign.procedure_id)], "post": "yes"},
    )
    assert Procedure.objects.filter(pk=foreign.procedure_id).exists()


def test_a_superuser_still_edits_every_agencys_catalogue(admin_client_vi: Client, commune_world) -> None:
    _client, own, other, own_version, foreign = commune_world
    listing = admin_client_vi.get(reverse("admin:procedures_procedure_changelist")).content.decode()
    assert own_version.procedure.code in listing and foreign.procedure.code in listing
    response = _post_version(
        admin_client_vi, foreign, [(1, "8")], received_in=[str(own.pk)], **{"steps-0-unit": str(own.pk)}
    )
    assert response.status_code == 302
    assert list(foreign.received_in.all()) == [own] and foreign.steps.get().unit == own
    assert other.procedures.exists()


def test_a_commune_administrator_sets_working_calendars_only_of_their_agencies(commune_world) -> None:
    """A national override (empty code) or another commune's would move every deadline there."""
    from sla.models import CalendarOverride, OfficeHours

    client, _own, _other, _own_version, _foreign = commune_world
    foreign = CalendarOverride.objects.create(
        day="2026-03-02", kind="closure", name="Bão", agency_code="DEMO-XA-B"
    )
    hours = OfficeHours.objects.create(agency_code="DEMO-XA-B", sessions="07:30-11:30")
    for model, obj in (("calendaroverride", foreign), ("officehours", hours)):
        response = client.get(reverse(f"admin:sla_{model}_change", args=[obj.pk]))
        assert response.status_code == 302, model
    add = reverse("admin:sla_calendaroverride_add")
    for code in ("", "DEMO-XA-B", "DEMO-P"):
        response = client.post(
            add, {"day": "2026-03-03", "kind": "closure", "name": "Bão", "agency_code": code}
        )
        assert response.status_code == 200, code
    assert CalendarOverride.objects.count() == 1
    response = client.post(
        add, {"day": "2026-03-03", "kind": "closure", "name": "Bão", "agency_code": "DEMO-XA-A"}
    )
    assert response.status_code == 302
    add = reverse("admin:sla_officehours_add")
    assert client.post(add, {"agency_code": "DEMO-P", "sessions": "07:00-11:00"}).status_code == 200
    assert client.post(add, {"agency_code": "DEMO-XA-A", "sessions": "07:00-11:00"}).status_code == 302


def test_a_reception_point_set_by_the_superuser_survives_the_administrators_save(commune_world) -> None:
    """A delegation outside the commune's tree stays a choice of that version only: saving it again keeps
    it, adding yet another foreign agency is refused."""
    client, own, other, own_version, _foreign = commune_world
    third = AgencyFactory(code="DEMO-Q", province=True)
    own_version.received_in.set([other])
    response = _post_version(client, own_version, [(1, "8")], received_in=[str(other.pk), str(own.pk)])
    assert response.status_code == 302
    assert set(own_version.received_in.values_list("code", flat=True)) == {"DEMO-XA-A", "DEMO-XA-B"}
    response = _post_version(client, own_version, [(1, "8")], received_in=[str(other.pk), str(third.pk)])
    assert response.status_code == 200
    assert not own_version.received_in.filter(pk=third.pk).exists()
