"""Actions offered = actions allowed: who may record the result, and what each page offers.

The 8-step demo procedure 1.014431 routes B2–B7 (B1 and B8 are the desk): B2 head of unit, B3 specialist,
B4 head of unit, B5 the department's director, B6 the department's office, B7 the provincial People's
Committee. Only the holder of the deciding step (the last processing step unless the catalogue marks
another) records the result; replaying a legacy log keeps completing the remaining steps.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from procedures.models import Agency, Procedure
from workflows.choices import Decision, DossierStatus
from workflows.flows import process_of
from workflows.models import Dossier
from workflows.services import Applicant, dossier_decide, dossier_receive, dossier_step_done
from workflows.services.lifecycle import LifecycleError, LifecyclePermissionError

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo"
PROCEDURE = "1.014431"
# Who holds each routed step of 1.014431 among the demo users.
HOLDER = {2: "truongphong", 3: "chuyenvien", 4: "truongphong", 5: "giamdoc", 6: "chuyenvien", 7: "giamdoc"}


@pytest.fixture
def procedure(demo_users) -> Procedure:
    return Procedure.objects.get(code=PROCEDURE)


def _receive(users, procedure) -> Dossier:
    return dossier_receive(
        procedure=procedure,
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=users["motcua"],
    )


def _walk_to(dossier: Dossier, users, step_no: int) -> Dossier:
    """Complete the steps before ``step_no``, each by its holder."""
    while dossier.current_step.step_no < step_no:
        dossier = dossier_step_done(dossier=dossier, user=users[HOLDER[dossier.current_step.step_no]])
    return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def at_b3(demo_users, procedure) -> Dossier:
    return _walk_to(_receive(demo_users, procedure), demo_users, 3)


def _task(dossier: Dossier):
    process = process_of(dossier)
    return process.task_set.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED", "STARTED"]).get()


def _url(task, action: str) -> str:
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


def _execute_page(client, username: str, dossier: Dossier):
    assert client.login(username=username, password=PASSWORD)
    assert client.get(reverse("dossier:queue")).status_code == 200  # mounts viewflow's namespaces
    task = _task(dossier)
    if task.owner_id is None:  # a step with one holder in its unit is assigned to them already
        assert client.post(_url(task, "assign")).status_code == 302
    return task, client.get(_url(task, "execute"))


# --- finding 1: a specialist at B3 cannot issue the result ---------------------------------------------


def test_the_task_page_at_b3_does_not_offer_the_decision(client, at_b3):
    _task_row, page = _execute_page(client, "chuyenvien", at_b3)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="step_done"' in body
    assert 'value="decide"' not in body


def test_a_decision_posted_at_b3_is_refused_with_the_reason(client, at_b3):
    task, _page = _execute_page(client, "chuyenvien", at_b3)
    response = client.post(
        _url(task, "execute"), {"action": "decide", "revision": at_b3.revision, "outcome": "approved"}
    )
    assert response.status_code == 403
    assert "bước quyết định" in response.content.decode()
    at_b3.refresh_from_db()
    assert at_b3.status == DossierStatus.IN_PROCESS
    assert at_b3.current_step.step_no == 3
    assert at_b3.steps.count() == 2


def test_the_service_refuses_a_live_decision_before_the_deciding_step(demo_users, at_b3):
    with pytest.raises(LifecyclePermissionError, match="bước quyết định"):
        dossier_decide(dossier=at_b3, outcome=Decision.APPROVED, user=demo_users["chuyenvien"])
    # Not even a superuser or the system skips the head of unit, the director and the province.
    with pytest.raises(LifecyclePermissionError, match="bước quyết định"):
        dossier_decide(dossier=at_b3, outcome=Decision.APPROVED, user=demo_users["quantri"])
    with pytest.raises(LifecyclePermissionError, match="bước quyết định"):
        dossier_decide(dossier=at_b3, outcome=Decision.APPROVED)
    at_b3.refresh_from_db()
    assert at_b3.status == DossierStatus.IN_PROCESS


def test_the_holder_of_the_last_step_decides_after_the_route_was_walked(demo_users, at_b3):
    at_b7 = _walk_to(at_b3, demo_users, 7)
    assert at_b7.route[-1]["deciding"] is True
    with pytest.raises(LifecyclePermissionError):  # B7 is the province's: the department's specialist no
        dossier_decide(dossier=at_b7, outcome=Decision.APPROVED, user=demo_users["chuyenvien"])
    decided = dossier_decide(dossier=at_b7, outcome=Decision.APPROVED, user=demo_users["giamdoc"])
    assert decided.status == DossierStatus.DECIDED
    outcomes = list(decided.steps.order_by("seq").values_list("step_no", "outcome"))
    assert outcomes == [(2, "done"), (3, "done"), (4, "done"), (5, "done"), (6, "done"), (7, "done")]


def test_the_task_page_of_the_deciding_step_offers_the_decision(client, demo_users, at_b3):
    at_b7 = _walk_to(at_b3, demo_users, 7)
    task, page = _execute_page(client, "giamdoc", at_b7)
    body = page.content.decode()
    assert 'value="decide"' in body
    response = client.post(
        _url(task, "execute"), {"action": "decide", "revision": at_b7.revision, "outcome": "approved"}
    )
    assert response.status_code == 302
    at_b7.refresh_from_db()
    assert at_b7.status == DossierStatus.DECIDED


def test_a_step_marked_deciding_in_the_catalogue_decides(demo_users, procedure):
    version = procedure.versions.get()
    version.steps.filter(step_no=5).update(deciding=True)
    dossier = _receive(demo_users, procedure)
    assert [e["deciding"] for e in dossier.route] == [False, False, False, True, False, False]
    at_b4 = _walk_to(dossier, demo_users, 4)
    with pytest.raises(LifecyclePermissionError):
        dossier_decide(dossier=at_b4, outcome=Decision.APPROVED, user=demo_users["truongphong"])
    at_b5 = _walk_to(at_b4, demo_users, 5)
    decided = dossier_decide(dossier=at_b5, outcome=Decision.APPROVED, user=demo_users["giamdoc"])
    assert decided.status == DossierStatus.DECIDED
    outcomes = dict(decided.steps.values_list("step_no", "outcome"))
    assert outcomes[5] == "done"
    assert outcomes[6] == outcomes[7] == "by_decision"


def test_a_route_snapshot_without_the_mark_is_decided_at_its_last_step(demo_users, at_b3):
    """Dossiers received before the catalogue had the column keep the default: the last step decides."""
    Dossier.objects.filter(pk=at_b3.pk).update(
        route=[{k: v for k, v in e.items() if k != "deciding"} for e in at_b3.route]
    )
    at_b3.refresh_from_db()
    with pytest.raises(LifecyclePermissionError):
        dossier_decide(dossier=at_b3, outcome=Decision.APPROVED, user=demo_users["chuyenvien"])
    at_b7 = _walk_to(at_b3, demo_users, 7)
    assert dossier_decide(dossier=at_b7, outcome=Decision.APPROVED, user=demo_users["giamdoc"]).status == (
        DossierStatus.DECIDED
    )


def test_replaying_a_legacy_log_still_completes_the_remaining_steps(demo_users, at_b3):
    decided = dossier_decide(dossier=at_b3, outcome=Decision.APPROVED, replay=True)
    assert decided.status == DossierStatus.DECIDED
    outcomes = dict(decided.steps.values_list("step_no", "outcome"))
    assert outcomes[3] == "done"
    assert [outcomes[n] for n in (4, 5, 6, 7)] == ["by_decision"] * 4


def test_replay_is_the_importer_s_path_not_a_user_s(demo_users, at_b3):
    with pytest.raises(LifecycleError):
        dossier_decide(dossier=at_b3, outcome=Decision.APPROVED, user=demo_users["quantri"], replay=True)


# --- each page offers exactly the actions the user may take now ------------------------------------------


def _offered(client, username: str, dossier: Dossier) -> list[str]:
    import re

    _task_row, page = _execute_page(client, username, dossier)
    assert page.status_code == 200
    return re.findall(r'data-action="([a-z_]+)"', page.content.decode())


def test_the_task_page_offers_each_holder_exactly_their_actions(client, demo_users, procedure):
    at_b2 = _receive(demo_users, procedure)
    # B2, head of unit of the deciding agency: may also issue the apology (Mẫu 04), not decide.
    assert _offered(client, "truongphong", at_b2) == [
        "step_done",
        "request_supplement",
        "request_payment",
        "apologize",
    ]
    at_b3 = _walk_to(at_b2, demo_users, 3)
    client.logout()
    assert _offered(client, "chuyenvien", at_b3) == [
        "step_done",
        "return_step",
        "request_supplement",
        "request_payment",
    ]
    at_b7 = _walk_to(at_b3, demo_users, 7)
    client.logout()
    assert _offered(client, "giamdoc", at_b7) == [
        "step_done",
        "return_step",
        "request_supplement",
        "request_payment",
        "apologize",
        "decide",
    ]


def test_while_the_applicant_completes_the_dossier_only_the_supplement_is_offered(client, demo_users, at_b3):
    from workflows.services import dossier_request_supplement

    waiting = dossier_request_supplement(dossier=at_b3, reason="Thiếu bản sao", user=demo_users["chuyenvien"])
    assert _offered(client, "chuyenvien", waiting) == ["supplement_done"]


def test_policy_matches_the_pages_and_a_forbidden_post_is_refused_not_ignored(client, demo_users, at_b3):
    from workflows import policy

    assert policy.actions_allowed(demo_users["chuyenvien"], at_b3, page="task") == [
        "step_done",
        "return_step",
        "request_supplement",
        "request_payment",
    ]
    assert policy.actions_allowed(demo_users["truongphong"], at_b3, page="task") == ["apologize"]
    assert policy.actions_allowed(demo_users["motcua"], at_b3, page="desk") == ["stop", "withdraw"]
    assert policy.actions_allowed(demo_users["chuyenvien"], at_b3, page="desk") == []
    task, _page = _execute_page(client, "chuyenvien", at_b3)
    response = client.post(
        _url(task, "execute"),
        {"action": "apologize", "revision": at_b3.revision, "reason": "Chậm", "new_due_at": ""},
    )
    assert response.status_code == 403
    assert "Bạn không có vai trò phù hợp" in response.content.decode()
    at_b3.refresh_from_db()
    assert at_b3.apology_at is None


def test_the_desk_page_offers_only_the_desks_actions(client, demo_users, at_b3):
    assert client.login(username="motcua", password=PASSWORD)
    body = client.get(reverse("workflows:dossier", args=[at_b3.code])).content.decode()
    import re

    assert re.findall(r'name="action" value="([a-z_]+)"', body) == ["stop", "withdraw"]
    client.logout()
    assert client.login(username="truongphong", password=PASSWORD)
    body = client.get(reverse("workflows:dossier", args=[at_b3.code])).content.decode()
    assert 'name="action" value="stop"' not in body
    response = client.post(
        reverse("workflows:dossier_action", args=[at_b3.code]),
        {"action": "stop", "revision": at_b3.revision, "reason": "Người nộp đề nghị"},
        follow=True,
    )
    assert "Bạn không có vai trò phù hợp" in response.content.decode()
    at_b3.refresh_from_db()
    assert at_b3.status == DossierStatus.IN_PROCESS


def test_the_api_serializers_ask_for_the_text_the_action_table_requires():
    from workflows.api.views import ACTIONS as API_ACTIONS
    from workflows.services.actions import API, actions_for_page

    table = {a.name: a for a in actions_for_page(API)}
    assert set(API_ACTIONS) == set(table)
    for name, api_action in API_ACTIONS.items():
        action = table[name]
        assert api_action.service is action.service
        fields = api_action.serializer().fields
        if action.text is None:
            assert "reason" not in fields and "note" not in fields, name
            continue
        field = fields[action.text]
        assert field.required is action.text_required, name
