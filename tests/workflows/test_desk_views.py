"""The desk's pages and the task page, through the Django test client on a real database (issue 3)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from procedures.models import Agency, Procedure
from procedures.selectors import version_in_force
from workflows.choices import DossierStatus
from workflows.flows import process_of
from workflows.models import Dossier, DossierEvent, Membership
from workflows.roles import Role
from workflows.services import Applicant, dossier_apologize, dossier_receive, dossier_submit

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo"
PROCEDURE = "1.014431"


def _login(client, username: str):
    assert client.login(username=username, password=PASSWORD)
    return client


def _receive_post(procedure: Procedure, **extra) -> dict:
    data = {
        "procedure": procedure.pk,
        "channel": "direct",
        "applicant_kind": "person",
        "applicant_name": "Nguyễn Văn An",
        "applicant_id_number": "001203012345",
        "applicant_address": "Số 1 Đường A, Demo",
        "applicant_phone": "0912345678",
        "applicant_email": "an@example.vn",
        "request_summary": "Đề nghị thẩm định công nghệ",
        "copies": 1,
        "result_delivery": "direct",
        "reason": "",
        "do": "receive",
    }
    data.update(extra)
    return data


@pytest.fixture
def procedure(demo_users) -> Procedure:
    return Procedure.objects.get(code=PROCEDURE)


@pytest.fixture
def received(demo_users, procedure) -> Dossier:
    return dossier_receive(
        procedure=procedure,
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


def _open_task(dossier: Dossier):
    process = process_of(dossier)
    task = process.task_set.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED", "STARTED"]).get()
    return process, task


def _task_url(task, action: str) -> str:
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


# --- receive -----------------------------------------------------------------------------------------


DOCUMENTS = ["Đơn đề nghị công nhận (Mẫu số 01)", "Bản thuyết minh hoạt động của trung tâm"]


@pytest.fixture
def with_documents(procedure):
    version = version_in_force(procedure, timezone.localdate())
    version.required_documents = "\n".join(DOCUMENTS)
    version.save(update_fields=["required_documents"])
    return version


def test_receive_form_lists_the_procedure_documents(client, procedure, with_documents):
    _login(client, "motcua")
    response = client.get(reverse("workflows:receive"), {"procedure": procedure.pk})
    assert response.status_code == 200
    body = response.content.decode()
    for doc in DOCUMENTS:
        assert f'value="{doc}"' in body


def test_receive_creates_a_dossier_and_shows_the_receipt_slip(client, procedure, with_documents):
    _login(client, "motcua")
    response = client.post(reverse("workflows:receive"), _receive_post(procedure, documents=DOCUMENTS))
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.status == DossierStatus.RECEIVED
    assert dossier.reception_agency.code == "DEMO-TTPVHCC"
    assert dossier.documents == DOCUMENTS
    assert response.url == reverse("workflows:slip", args=[dossier.code, "01"])
    slip = client.get(response.url).content.decode()
    assert dossier.code in slip
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả".upper() in slip.upper()
    due = timezone.localtime(dossier.due_at)
    received = timezone.localtime(dossier.received_at)
    assert f"{due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}" in slip
    assert f"{received:%H} giờ {received:%M} phút, ngày {received:%d/%m/%Y}" in slip
    assert "<li>Bản thuyết minh hoạt động của trung tâm</li>" in slip
    assert "@page { size: A5" in slip


def test_an_eleven_digit_personal_id_is_refused_and_nothing_is_written(client, procedure):
    _login(client, "motcua")
    response = client.post(
        reverse("workflows:receive"), _receive_post(procedure, applicant_id_number="00120301234")
    )
    assert response.status_code == 400
    assert "12 chữ số" in response.content.decode()
    assert not Dossier.objects.exists()
    assert not DossierEvent.objects.exists()


def test_a_tax_code_with_letters_is_refused(client, procedure):
    _login(client, "motcua")
    response = client.post(
        reverse("workflows:receive"),
        _receive_post(procedure, applicant_kind="organisation", applicant_id_number="01023AB678"),
    )
    assert response.status_code == 400
    assert "Mã số thuế" in response.content.decode()
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("kind", "number", "title"),
    [
        ("supplement", "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        ("competence", "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    ],
)
def test_refusal_at_the_desk_prints_form_02_or_03(client, procedure, kind, number, title):
    _login(client, "motcua")
    response = client.post(
        reverse("workflows:receive"),
        _receive_post(procedure, do=kind, reason="Thiếu bản thuyết minh công nghệ\nThiếu bản sao giấy phép"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.status == DossierStatus.NOT_RECEIVED
    assert dossier.refusal_kind == kind
    assert response.url.endswith(f"/mau-{number}/")
    slip = client.get(response.url).content.decode()
    assert title.upper() in slip.upper()
    assert "Thiếu bản sao giấy phép" in slip
    # The other refusal form and the receipt do not apply.
    other = "03" if number == "02" else "02"
    assert client.get(reverse("workflows:slip", args=[dossier.code, other])).status_code == 404
    assert client.get(reverse("workflows:slip", args=[dossier.code, "01"])).status_code == 404


def test_a_user_without_a_desk_may_not_receive(client, procedure):
    _login(client, "chuyenvien")
    response = client.get(reverse("workflows:receive"))
    assert response.status_code == 403
    assert "Bộ phận Một cửa" in response.content.decode()


# --- dossier page ------------------------------------------------------------------------------------


def test_dossier_page_shows_timeline_and_due_date_explanation(client, demo_users, procedure):
    # Domain §9: received on a Friday after the cut-off, so the explanation has rules to show.
    received = dossier_receive(
        procedure=Procedure.objects.get(code="1.014390"),  # a term in working days
        at=datetime(2025, 9, 5, 16, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )
    assert received.deadline.explanation
    _login(client, "motcua")
    response = client.get(reverse("workflows:dossier", args=[received.code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert received.code in body
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in body
    assert received.current_step.unit.name in body
    assert 'data-testid="explanation"' in body
    for rule in received.deadline.explanation:
        assert rule["text"][:20] in body
    assert "Tiếp nhận hồ sơ" in body  # the receive event in the log
    assert "(mã 2)" in body  # national status code of "received"


def test_a_user_of_another_agency_gets_404_on_the_dossier_page(client, received):
    outsider = get_user_model().objects.create_user("xa_b_desk", password=PASSWORD)
    Membership.objects.create(
        user=outsider, agency=Agency.objects.get(code="DEMO-XA-B"), role=Role.SPECIALIST
    )
    _login(client, "xa_b_desk")
    assert client.get(reverse("workflows:dossier", args=[received.code])).status_code == 404
    assert client.get(reverse("workflows:slip", args=[received.code, "01"])).status_code == 404


def test_apology_slip_only_after_an_apology(client, received, demo_users):
    _login(client, "motcua")
    assert client.get(reverse("workflows:slip", args=[received.code, "04"])).status_code == 404
    dossier_apologize(
        dossier=received,
        new_due_at=received.due_at + timedelta(days=3),
        reason="Cần lấy ý kiến chuyên gia",
        user=demo_users["giamdoc"],
    )
    response = client.get(reverse("workflows:slip", args=[received.code, "04"]))
    assert response.status_code == 200
    assert "Cần lấy ý kiến chuyên gia" in response.content.decode()


def test_desk_withdraws_and_a_second_officer_with_the_same_revision_is_told_it_changed(client, received):
    second = get_user_model().objects.create_user("motcua2", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=second, agency=received.reception_agency, role=Role.DESK_OFFICER)
    url = reverse("workflows:dossier_action", args=[received.code])
    form = {"action": "withdraw", "revision": received.revision, "reason": "Công dân xin rút"}
    _login(client, "motcua")
    client.post(url, form)
    received.refresh_from_db()
    assert received.status == DossierStatus.WITHDRAWN
    _login(client, "motcua2")
    page = client.post(url, form, follow=True).content.decode()
    assert "người khác cập nhật" in page
    assert client.get(reverse("workflows:slip", args=[received.code, "05"])).status_code == 200


# --- task page ---------------------------------------------------------------------------------------


def test_head_of_unit_completes_the_step_from_the_task_page(client, received):
    _process, task = _open_task(received)
    assert received.current_step.step_no == 2
    _login(client, "truongphong")
    inbox_or_queue = client.get(reverse("dossier:queue"))
    assert inbox_or_queue.status_code == 200
    assert client.post(_task_url(task, "assign")).status_code == 302
    page = client.get(_task_url(task, "execute"))
    assert page.status_code == 200
    body = page.content.decode()
    assert received.code in body
    assert 'data-testid="step-due"' in body
    assert 'name="action" value="step_done"' in body
    response = client.post(
        _task_url(task, "execute"),
        {"action": "step_done", "revision": received.revision, "reason": "Giao CV"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    received.refresh_from_db()
    assert received.current_step.step_no == 3
    assert received.steps.get(step_no=2).owner.username == "truongphong"


def test_a_user_of_another_unit_may_not_execute_the_task(client, received):
    _process, task = _open_task(received)
    stranger = get_user_model().objects.create_user("head_xa", password=PASSWORD, is_staff=True)
    Membership.objects.create(
        user=stranger, agency=Agency.objects.get(code="DEMO-XA-A"), role=Role.HEAD_OF_UNIT
    )
    _login(client, "head_xa")
    assert client.post(_task_url(task, "assign")).status_code in (403, 404)
    response = client.post(_task_url(task, "execute"), {"action": "step_done", "revision": received.revision})
    assert response.status_code in (403, 404)
    received.refresh_from_db()
    assert received.current_step.step_no == 2


def test_stale_revision_on_the_task_page_is_refused_as_changed_by_someone_else(client, received, demo_users):
    _process, task = _open_task(received)
    _login(client, "truongphong")
    client.post(_task_url(task, "assign"))
    seen = received.revision
    # Meanwhile the director issues the apology: the dossier's revision moves on.
    dossier_apologize(
        dossier=received,
        new_due_at=received.due_at + timedelta(days=2),
        reason="Chờ ý kiến",
        user=demo_users["giamdoc"],
    )
    response = client.post(_task_url(task, "execute"), {"action": "step_done", "revision": seen})
    assert response.status_code == 409
    assert "người khác cập nhật" in response.content.decode()
    received.refresh_from_db()
    assert received.current_step.step_no == 2


def test_home_sends_staff_to_the_inbox_and_visitors_to_login(client, demo_users):
    response = client.get("/")
    assert response.status_code == 302
    assert "login" in response.url
    _login(client, "truongphong")
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("dossier:inbox")
    assert client.get(response.url).status_code == 200


def test_admin_shows_dossiers_read_only(client, received):
    _login(client, "quantri")
    assert client.get("/admin/workflows/dossier/").status_code == 200
    assert client.get(f"/admin/workflows/dossier/{received.pk}/change/").status_code == 200
    assert client.get("/admin/workflows/dossier/add/").status_code == 403
    assert client.get("/admin/workflows/dossierevent/add/").status_code == 403
    assert client.get("/admin/workflows/membership/add/").status_code == 200
    assert re.search(received.code, client.get("/admin/workflows/dossier/").content.decode())


def test_online_dossier_is_received_from_the_awaiting_list(client, procedure):
    submitted = dossier_submit(
        procedure=procedure,
        applicant=Applicant(name="Lê Văn Cường", id_number="001203055555"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
    )
    _login(client, "motcua")
    page = client.get(reverse("workflows:awaiting")).content.decode()
    assert submitted.code in page
    response = client.post(
        reverse("workflows:awaiting"),
        {"code": submitted.code, "revision": submitted.revision, "do": "receive"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == DossierStatus.RECEIVED
    assert response.url == reverse("workflows:slip", args=[submitted.code, "01"])
