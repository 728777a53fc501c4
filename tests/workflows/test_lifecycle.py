"""The lifecycle services: clocks, routing, audit, rules and permissions (domain §1, §2)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from viewflow.workflow.status import PROCESS, STATUS

from procedures.models import Agency, Procedure
from procedures.services import catalogue_load_demo
from tests.lifecycle_steps import walk_to_deciding_step
from workflows import services as svc
from workflows.choices import NATIONAL_STATUS, DossierStatus, Event, LegalRegime, SlaMark
from workflows.flows import process_of
from workflows.models import AppendOnlyError, Dossier, DossierEvent, Membership
from workflows.policy import unit_permission
from workflows.roles import Role, role_groups_sync
from workflows.selectors import dossier_as_json, dossier_sla_state

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = svc.Applicant(name="Nguyễn Văn A", id_number="001203012345", phone="0912345678")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def catalogue(db):
    catalogue_load_demo()
    role_groups_sync()
    return Procedure.objects.get(code="1.014431")


@pytest.fixture
def desk(catalogue):
    return Agency.objects.get(code="DEMO-TTPVHCC")


def member(username: str, role: Role, agency_code: str):
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    Membership.objects.create(user=user, role=role, agency=Agency.objects.get(code=agency_code))
    return user


def received(procedure, desk, when=None, **kw) -> Dossier:
    kw.setdefault("applicant", PERSON)
    return svc.dossier_receive(
        procedure=procedure, at=when or at(2025, 9, 5, 9, 0), reception_agency=desk, **kw
    )


def test_receive_assigns_code_starts_clock_and_routes_the_steps(catalogue, desk):
    d = received(catalogue, desk)
    assert d.status == DossierStatus.RECEIVED and d.national_status == 2
    # domain §7 legacy pattern <agency e-ID>-YYMMDD-NNNN with the deciding agency's e-ID
    assert d.code == f"{catalogue.agency.e_id}-250905-0001"
    assert d.legal_regime == LegalRegime.ND118_2025
    assert d.deadline.due_at == d.due_at and d.due_soon_at < d.due_at
    # leading (B1) and trailing (B8) desk steps are reception and return: six processing steps are routed
    assert [s["step_no"] for s in d.route] == [2, 3, 4, 5, 6, 7]
    step = d.current_step
    assert (step.step_no, step.role, step.unit.code) == (2, Role.HEAD_OF_UNIT, "DEMO-SKHCN-QLCN")
    assert step.half_at < step.three_quarters_at < step.due_at
    task = process_of(d).task_set.get(flow_task_type="HUMAN")
    assert task.owner_permission == unit_permission(Role.HEAD_OF_UNIT, step.unit_id)
    assert list(d.events.values_list("event", flat=True)) == [Event.RECEIVE]


def test_second_dossier_of_the_day_gets_the_next_number(catalogue, desk):
    received(catalogue, desk)
    assert received(catalogue, desk).code.endswith("-250905-0002")


def test_online_dossier_uses_online_term_and_receives_after_hours(catalogue, desk):
    version = catalogue.versions.first()
    version.online_term_amount, version.online_term_unit = 1, "working_days"
    version.save()
    d = svc.dossier_submit(procedure=catalogue, at=at(2025, 9, 5, 21, 0), applicant=PERSON)
    assert (d.status, d.national_status, d.due_at) == (DossierStatus.SUBMITTED, 1, None)
    d = svc.dossier_receive(dossier=d, at=at(2025, 9, 5, 22, 0), reception_agency=desk)
    # Received on a Friday night: the clock starts Monday 07:00 and one working day ends Monday 17:00.
    assert d.due_at == at(2025, 9, 8, 17, 0)


def test_invalid_applicant_ids_are_refused_and_nothing_is_written(catalogue, desk):
    with pytest.raises(ValidationError, match="12 chữ số"):
        received(catalogue, desk, applicant=svc.Applicant(name="A", id_number="00120301234"))
    with pytest.raises(ValidationError, match="Mã số thuế"):
        svc.dossier_receive(
            procedure=catalogue,
            applicant=svc.Applicant(kind="organisation", name="Công ty X", id_number="01234ABCDE"),
            reception_agency=desk,
        )
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()


def test_steps_handover_with_marks_and_return_step(catalogue, desk):
    d = received(catalogue, desk)
    d = svc.dossier_step_done(dossier=d, at=at(2025, 9, 5, 10, 0))
    d = svc.dossier_step_done(dossier=d, at=at(2025, 9, 12, 10, 0))  # 4.5 days allotted: late-ish
    assert d.current_step.step_no == 4
    d = svc.dossier_return_step(dossier=d, reason="Thiếu thẩm định", at=at(2025, 9, 12, 11, 0))
    assert d.current_step.step_no == 3 and d.status == DossierStatus.IN_PROCESS
    rows = list(d.steps.order_by("seq").values_list("step_no", "outcome", "mark"))
    # B2 (0.5 day) done the same afternoon: on time by date (§2.4); B3 (4.5 days) done a week later: late
    assert rows[:3] == [
        (2, "done", SlaMark.ON_TIME),
        (3, "done", SlaMark.LATE),
        (4, "returned", SlaMark.EARLY),
    ]
    # the flow follows: one open work task, for the returned-to step
    open_tasks = process_of(d).task_set.filter(
        flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )
    assert [t.data["dossier_step"] for t in open_tasks] == [d.current_step_id]


def test_return_step_refused_on_first_step(catalogue, desk):
    d = received(catalogue, desk)
    with pytest.raises(svc.LifecycleError, match="Được tiếp nhận"):
        svc.dossier_return_step(dossier=d, reason="x")  # received: not yet handed over
    d = svc.dossier_step_done(dossier=d, at=at(2025, 9, 5, 10, 0))
    d = svc.dossier_return_step(dossier=d, reason="x", at=at(2025, 9, 5, 11, 0))
    with pytest.raises(svc.LifecycleError, match="bước đầu tiên"):
        svc.dossier_return_step(dossier=d, reason="x", at=at(2025, 9, 5, 11, 30))


def test_supplement_pauses_clock_and_second_request_is_late(catalogue, desk):
    d = received(catalogue, desk)
    due = d.due_at
    d = svc.dossier_request_supplement(dossier=d, reason="Thiếu bản sao", at=at(2025, 9, 8, 9, 0))
    assert d.national_status == 5 and dossier_sla_state(d, at(2025, 9, 9)) == SlaMark.PAUSED
    d = svc.dossier_supplement_done(dossier=d, at=at(2025, 9, 10, 9, 0))
    assert d.due_at > due  # two working days of pause credited
    d = svc.dossier_request_supplement(dossier=d, reason="Lần 2", at=at(2025, 9, 11, 9, 0))
    assert d.events.last().payload["second_request_counted_late"] is True
    d = svc.dossier_supplement_done(dossier=d, at=at(2025, 9, 11, 10, 0))
    d = walk_to_deciding_step(d, at=at(2025, 9, 12, 9, 0))
    d = svc.dossier_decide(dossier=d, outcome="approved", at=at(2025, 9, 12, 9, 0))
    assert dossier_sla_state(d, at(2025, 9, 12, 10)) == SlaMark.LATE  # >1 supplement ⇒ late (§2.4)
    assert dossier_as_json(d)["supplement_count"] == 2


def test_supplement_refused_on_finished_dossier_and_withdraw_after_result(catalogue, desk):
    d = walk_to_deciding_step(received(catalogue, desk), at=at(2025, 9, 8, 9, 0))
    d = svc.dossier_decide(dossier=d, outcome="approved", at=at(2025, 9, 8, 9, 0))
    assert list(d.steps.order_by("seq").values_list("step_no", "outcome")) == [
        (n, "done") for n in range(2, 8)
    ]
    before = DossierEvent.objects.count()
    with pytest.raises(svc.LifecycleError, match="Đã xử lý xong"):
        svc.dossier_request_supplement(dossier=d, reason="x", at=at(2025, 9, 8, 10, 0))
    with pytest.raises(svc.LifecycleError, match="Rút hồ sơ"):
        svc.dossier_withdraw(dossier=d, at=at(2025, 9, 8, 10, 0))
    assert DossierEvent.objects.count() == before
    d = svc.dossier_return_result(dossier=d, via="postal", at=at(2025, 9, 9, 9, 0))
    assert (d.national_status, d.returned_via) == (10, "postal")
    assert process_of(d).status == PROCESS.DONE


def test_withdraw_and_stop_end_the_clock_and_cancel_the_process(catalogue, desk):
    d = received(catalogue, desk)
    d = svc.dossier_withdraw(dossier=d, reason="Không có nhu cầu", at=at(2025, 9, 8, 9, 0))
    assert (d.national_status, d.finished_at) == (7, at(2025, 9, 8, 9, 0))
    assert d.deadline.state == "stopped" and process_of(d).status == PROCESS.CANCELED
    d2 = received(catalogue, desk)
    d2 = svc.dossier_request_payment(dossier=d2, at=at(2025, 9, 8, 9, 0))
    assert d2.national_status == 6
    d2 = svc.dossier_stop(dossier=d2, reason="Đề nghị dừng", at=at(2025, 9, 9, 9, 0))
    assert d2.national_status == 8 and dossier_sla_state(d2, at(2025, 9, 10)) == SlaMark.PAUSED


def test_events_out_of_time_order_are_refused(catalogue, desk):
    d = received(catalogue, desk, when=at(2025, 9, 5, 9, 0))
    with pytest.raises(svc.LifecycleError, match="thứ tự thời gian"):
        svc.dossier_step_done(dossier=d, at=at(2025, 9, 4, 9, 0))


def test_apology_once_before_due_and_late_issuance_flagged(catalogue, desk):
    d = received(catalogue, desk)
    due = d.due_at
    with pytest.raises(svc.LifecycleError, match="sau ngày hẹn trả"):
        svc.dossier_apologize(dossier=d, new_due_at=due, reason="Chậm", at=at(2025, 9, 8, 9, 0))
    late_at = due.replace(hour=9, minute=0)  # on the due date itself: accepted but flagged
    d = svc.dossier_apologize(dossier=d, new_due_at=at(2025, 12, 1, 17, 0), reason="Chờ ý kiến", at=late_at)
    assert d.apology_late and d.new_due_at == at(2025, 12, 1, 17, 0) and d.due_at == due
    with pytest.raises(svc.LifecycleError, match="một lần"):
        svc.dossier_apologize(dossier=d, new_due_at=at(2025, 12, 2, 17, 0), reason="x", at=late_at)


def test_apology_after_the_due_moment_is_refused(catalogue, desk):
    d = received(catalogue, desk)
    with pytest.raises(svc.LifecycleError, match="quá hạn"):
        svc.dossier_apologize(dossier=d, new_due_at=at(2026, 1, 1, 17), reason="x", at=at(2025, 11, 20, 9, 0))


def test_permissions_by_unit_and_role(catalogue, desk):
    head_qlcn = member("head_qlcn", Role.HEAD_OF_UNIT, "DEMO-SKHCN-QLCN")
    head_qlkh = member("head_qlkh", Role.HEAD_OF_UNIT, "DEMO-SKHCN-QLKH")
    specialist = member("cv_qlcn", Role.SPECIALIST, "DEMO-SKHCN-QLCN")
    officer = member("desk_xa", Role.DESK_OFFICER, "DEMO-XA-A")
    d = received(catalogue, desk)
    for user in (head_qlkh, specialist):
        with pytest.raises(svc.LifecyclePermissionError):
            svc.dossier_step_done(dossier=d, user=user)
    with pytest.raises(svc.LifecyclePermissionError):
        svc.dossier_receive(procedure=catalogue, applicant=PERSON, reception_agency=desk, user=officer)
    d = svc.dossier_step_done(dossier=d, user=head_qlcn)
    assert d.steps.get(step_no=2).owner == head_qlcn
    # the specialist of the unit now holds step 3 (sole member ⇒ auto-assigned in viewflow)
    task = process_of(d).task_set.get(status=STATUS.ASSIGNED)
    assert task.owner == specialist
    assert unit_permission(Role.SPECIALIST, d.current_step.unit_id) in specialist.get_all_permissions()


def test_stale_revision_is_changed_by_someone_else(catalogue, desk):
    d = received(catalogue, desk)
    seen = d.revision
    svc.dossier_step_done(dossier=d, expected_revision=seen)
    with pytest.raises(svc.ChangedByOther):
        svc.dossier_step_done(dossier=d, expected_revision=seen)
    assert d.events.filter(event=Event.STEP_DONE).count() == 1


def test_stale_instance_save_raises_concurrent_transition(catalogue, desk):
    from django_fsm import ConcurrentTransition

    d = received(catalogue, desk)
    a, b = Dossier.objects.get(pk=d.pk), Dossier.objects.get(pk=d.pk)
    a.step_done()
    a.save()
    b.request_payment()
    with pytest.raises(ConcurrentTransition):
        b.save()


def test_events_are_append_only(catalogue, desk):
    event = received(catalogue, desk).events.get()
    event.note = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_every_internal_state_maps_to_a_national_code():
    assert {code for code in NATIONAL_STATUS.values() if code} == set(range(1, 11))
    assert set(NATIONAL_STATUS) == set(DossierStatus.values)


def test_refuse_receipt_has_no_clock(catalogue, desk):
    d = svc.dossier_refuse_receipt(
        procedure=catalogue,
        kind="competence",
        reason="Không thuộc thẩm quyền",
        applicant=PERSON,
        reception_agency=desk,
        at=at(2025, 9, 5, 9, 0),
    )
    assert (d.national_status, d.deadline, d.due_at) == (3, None, None)
    assert process_of(d) is None
