"""The desk forms for the indicator facts on the dossier page (issue 4 part 1), through the Django test client
on a real database: each form records its fact through its service with an audit event; a refusal or an
invalid input writes nothing and tells the officer why; the dossier page shows the facts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from procedures.models import Agency, Procedure
from workflows.choices import ComplaintKind, DossierStatus, Event, OnlinePayment
from workflows.models import Complaint, Dossier, DossierEvent, Membership
from workflows.roles import Role
from workflows.services import Applicant, dossier_complaint, dossier_receive, dossier_withdraw

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo"
PROCEDURE = "1.014431"


def _login(client, username: str):
    assert client.login(username=username, password=PASSWORD)
    return client


def _url(dossier: Dossier, fact: str) -> str:
    return reverse("workflows:dossier_fact", args=[dossier.code, fact])


def _page(client, dossier: Dossier) -> str:
    response = client.get(reverse("workflows:dossier", args=[dossier.code]))
    assert response.status_code == 200
    return response.content.decode()


def _events(dossier: Dossier, event: Event):
    return DossierEvent.objects.filter(dossier=dossier, event=event)


@pytest.fixture
def received(demo_users) -> Dossier:
    return dossier_receive(
        procedure=Procedure.objects.get(code=PROCEDURE),
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


@pytest.fixture
def withdrawn(received, demo_users) -> Dossier:
    return dossier_withdraw(dossier=received, reason="Công dân xin rút", user=demo_users["motcua"])


@pytest.fixture
def bystander(received) -> str:
    """A supervisor at the dossier's agency: may open the dossier but holds no desk or step role on it."""
    user = get_user_model().objects.create_user("giamsat_so", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=user, agency=received.agency, role=Role.SUPERVISOR)
    return user.username


@pytest.fixture
def desk(client, demo_users):
    return _login(client, "motcua")


# --- each form records its fact and an audit event --------------------------------------------------------


def test_e_result_form_records_the_code_and_link(desk, received):
    url = "https://kq.demo.motcua.vn/ket-qua/KQ-0001.pdf"
    response = desk.post(_url(received, "ket-qua-dien-tu"), {"code": "KQ-0001", "url": url})
    assert response.status_code == 302
    assert response.url == reverse("workflows:dossier", args=[received.code])
    received.refresh_from_db()
    assert (received.e_result_code, received.e_result_url) == ("KQ-0001", url)
    assert received.e_result_at is not None
    event = _events(received, Event.E_RESULT).get()
    assert event.actor.username == "motcua"
    assert event.payload == {"code": "KQ-0001", "url": url}
    body = _page(desk, received)
    assert "Đã ghi nhận: Cấp kết quả điện tử" in body
    assert "KQ-0001" in body and f'href="{url}"' in body


def test_digitised_form_switches_the_ticked_flags_on(desk, received):
    desk.post(_url(received, "so-hoa"), {"flags": ["attachments", "data_store"]})
    received.refresh_from_db()
    assert received.digitised_attachments and received.digitised_from_store
    assert not received.digitised_reused and not received.result_in_store
    assert _events(received, Event.DIGITISED).get().payload == {"flags": ["attachments", "data_store"]}
    body = _page(desk, received)
    assert body.count('data-on="1"') == 2


def test_vneid_button_confirms_the_account(desk, received):
    desk.post(_url(received, "vneid"))
    received.refresh_from_db()
    assert received.vneid_verified
    assert _events(received, Event.VNEID).count() == 1
    assert "Đã xác thực" in _page(desk, received)


def test_fee_form_records_amount_and_online_payment(desk, received):
    desk.post(
        _url(received, "phi-le-phi"), {"amount_vnd": "150000", "paid_online": str(OnlinePayment.PORTAL)}
    )
    received.refresh_from_db()
    assert received.fee_total_vnd == 150000
    assert received.paid_online == OnlinePayment.PORTAL
    assert _events(received, Event.FEE).get().payload == {"amount_vnd": 150000, "paid_online": 1}
    body = _page(desk, received)
    assert "150.000 đồng" in body
    assert str(OnlinePayment.PORTAL.label) in body


def test_sync_button_records_the_sync_time(client, received):
    admin = _login(client, "quantri")  # the portal sync is the system's or an administrator's (766 1.4)
    admin.post(_url(received, "dong-bo"))
    received.refresh_from_db()
    assert received.synced_at is not None
    assert _events(received, Event.SYNC).count() == 1
    assert "Chưa đồng bộ" not in _page(admin, received)


def test_rating_form_records_the_citizens_paper_rating(desk, withdrawn):
    desk.post(_url(withdrawn, "danh-gia"), {"rating": "dislike", "on_behalf": "on"})
    withdrawn.refresh_from_db()
    assert withdrawn.rating == "dislike" and withdrawn.rated_at is not None
    assert withdrawn.rating_on_behalf is True
    assert _events(withdrawn, Event.RATE).get().payload == {"rating": "dislike", "on_behalf": True}
    body = _page(desk, withdrawn)
    assert "Không hài lòng" in body and 'data-testid="rating-on-behalf"' in body


def test_rating_before_a_result_is_refused_with_the_services_message(desk, received):
    body = desk.post(
        _url(received, "danh-gia"), {"rating": "like", "on_behalf": "on"}, follow=True
    ).content.decode()
    assert "Không thể ghi" in body
    received.refresh_from_db()
    assert received.rating == ""
    assert not _events(received, Event.RATE).exists()


def test_complaint_then_complaint_done_with_due_date_and_on_time_mark(desk, received):
    desk.post(
        _url(received, "phan-anh"),
        {"kind": ComplaintKind.STAFF, "content": "Cán bộ hẹn nhiều lần", "repeated": "on"},
    )
    complaint = Complaint.objects.get(dossier=received)
    assert complaint.kind == ComplaintKind.STAFF and complaint.repeated
    assert complaint.due_at > complaint.received_at and complaint.resolved_at is None
    assert _events(received, Event.COMPLAINT).get().note == "Cán bộ hẹn nhiều lần"
    body = _page(desk, received)
    assert "Cán bộ hẹn nhiều lần" in body
    assert 'data-sla="in_time"' in body
    assert 'data-fact="phan-anh-xong"' in body and 'data-fact="phan-anh"' not in body

    desk.post(_url(received, "phan-anh-xong"), {"feedback": "like"})
    complaint.refresh_from_db()
    assert complaint.resolved_at is not None and complaint.likes == 1 and complaint.dislikes == 0
    assert _events(received, Event.COMPLAINT_DONE).get().payload == {"on_time": True, "feedback": "like"}
    body = _page(desk, received)
    assert 'data-sla="on_time"' in body
    assert 'data-fact="phan-anh"' in body and 'data-fact="phan-anh-xong"' not in body


def test_an_open_complaint_past_its_due_date_shows_overdue(client, demo_users):
    dossier = dossier_receive(
        procedure=Procedure.objects.get(code=PROCEDURE),
        at=timezone.now() - timedelta(days=60),
        applicant=Applicant(name="Trần Thị Bình", id_number="001203099999"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )
    dossier_complaint(dossier=dossier, content="Chậm", at=timezone.now() - timedelta(days=59))
    body = _page(_login(client, "motcua"), dossier)
    assert 'data-sla="overdue"' in body


def test_a_superuser_may_record_facts(client, received):
    _login(client, "quantri")
    client.post(_url(received, "vneid"))
    received.refresh_from_db()
    assert received.vneid_verified


# --- refusals and invalid input write nothing ------------------------------------------------------------


VALID = {
    "ket-qua-dien-tu": {"code": "KQ-1", "url": "https://kq.demo.motcua.vn/1.pdf"},
    "so-hoa": {"flags": ["attachments"]},
    "vneid": {},
    "phi-le-phi": {"amount_vnd": "0", "paid_online": "0"},
    "dong-bo": {},
    "danh-gia": {"rating": "like", "on_behalf": "on"},
    "phan-anh": {"kind": "other", "content": "Hỏi tiến độ"},
    "phan-anh-xong": {"feedback": ""},
}


# The facts a figure judges say who records them (workflows.policy.FACT_RECORDERS), in their own words.
REFUSAL = {
    "dong-bo": "do hệ thống ghi nhận (xác nhận của Cổng) hoặc quản trị hệ thống",
    "danh-gia": "Chỉ người dân (trang tra cứu) hoặc Bộ phận Một cửa ghi thay",
}


@pytest.mark.parametrize("fact", list(VALID))
def test_a_user_without_a_role_at_the_dossiers_unit_is_refused(client, withdrawn, bystander, fact):
    _login(client, bystander)
    assert client.get(reverse("workflows:dossier", args=[withdrawn.code])).status_code == 200
    before = DossierEvent.objects.filter(dossier=withdrawn).count()
    snapshot = Dossier.objects.filter(pk=withdrawn.pk).values().get()
    body = client.post(_url(withdrawn, fact), VALID[fact], follow=True).content.decode()
    assert REFUSAL.get(fact, "Bạn không có vai trò tại đơn vị đang giữ hồ sơ") in body
    assert DossierEvent.objects.filter(dossier=withdrawn).count() == before
    assert Dossier.objects.filter(pk=withdrawn.pk).values().get() == snapshot
    assert not Complaint.objects.exists()


def test_a_user_of_another_agency_gets_404(client, received):
    outsider = get_user_model().objects.create_user("xa_b_cv", password=PASSWORD)
    Membership.objects.create(
        user=outsider, agency=Agency.objects.get(code="DEMO-XA-B"), role=Role.DESK_OFFICER
    )
    _login(client, "xa_b_cv")
    assert client.post(_url(received, "vneid")).status_code == 404
    received.refresh_from_db()
    assert not received.vneid_verified


@pytest.mark.parametrize(
    ("fact", "data", "message"),
    [
        ("ket-qua-dien-tu", {"code": "KQ-1", "url": "không phải đường dẫn"}, "Đường dẫn tệp kết quả"),
        ("ket-qua-dien-tu", {"code": "", "url": "https://kq.demo.motcua.vn/1.pdf"}, "Mã kết quả điện tử"),
        ("phi-le-phi", {"amount_vnd": "-1", "paid_online": "0"}, "Tổng phí, lệ phí (đồng)"),
        ("phi-le-phi", {"amount_vnd": "1000", "paid_online": "9"}, "Thanh toán trực tuyến"),
        ("so-hoa", {"flags": ["bogus"]}, "Số hóa, tái sử dụng"),
        ("so-hoa", {}, "Chọn ít nhất một mục"),
        ("danh-gia", {"rating": "meh"}, "Đánh giá của người dân"),
        ("phan-anh", {"kind": "nope", "content": "x"}, "Phân loại phản ánh"),
        ("phan-anh", {"kind": "other", "content": ""}, "Nội dung phản ánh"),
    ],
)
def test_invalid_input_is_flashed_and_nothing_is_written(desk, withdrawn, fact, data, message):
    before = DossierEvent.objects.filter(dossier=withdrawn).count()
    snapshot = Dossier.objects.filter(pk=withdrawn.pk).values().get()
    response = desk.post(_url(withdrawn, fact), data, follow=True)
    body = response.content.decode()
    assert "Chưa ghi nhận" in body and message in body
    assert DossierEvent.objects.filter(dossier=withdrawn).count() == before
    assert Dossier.objects.filter(pk=withdrawn.pk).values().get() == snapshot
    assert not Complaint.objects.exists()


def test_online_payment_of_a_zero_fee_is_refused_by_the_service(desk, received):
    body = desk.post(
        _url(received, "phi-le-phi"), {"amount_vnd": "0", "paid_online": "1"}, follow=True
    ).content.decode()
    assert "Không thể thanh toán trực tuyến một danh sách phí bằng 0." in body
    received.refresh_from_db()
    assert received.fee_total_vnd is None


def test_unknown_fact_is_404_and_get_is_not_allowed(desk, received):
    assert desk.post(_url(received, "khong-co")).status_code == 404
    assert desk.get(_url(received, "vneid")).status_code == 405


# --- the dossier page ------------------------------------------------------------------------------------


def test_page_shows_the_facts_and_the_forms_that_apply(desk, received):
    body = _page(desk, received)
    assert "Dữ liệu số hóa, thanh toán, đồng bộ và phản ánh" in body
    assert 'data-testid="facts"' in body
    assert "Chưa cấp" in body and "Chưa xác thực" in body and "Chưa đồng bộ" in body
    assert "Không có phản ánh, kiến nghị." in body
    shown = {fact for fact in VALID if f'data-fact="{fact}"' in body}
    # A received dossier: no rating before a result, no "complaint done" without an open complaint; the
    # portal sync is not the desk's to record.
    assert shown == set(VALID) - {"danh-gia", "phan-anh-xong", "dong-bo"}
    assert received.status == DossierStatus.RECEIVED


def test_page_shows_no_forms_to_a_user_without_a_role(client, received, bystander):
    body = _page(_login(client, bystander), received)
    assert 'data-testid="facts"' in body
    assert "data-fact=" not in body


# --- admin -----------------------------------------------------------------------------------------------


def test_admin_shows_complaints_and_facts_read_only(client, received, demo_users):
    dossier_complaint(dossier=received, content="Hỏi tiến độ", user=demo_users["motcua"])
    _login(client, "quantri")
    listing = client.get("/admin/workflows/complaint/")
    assert listing.status_code == 200
    assert received.code in listing.content.decode()
    assert client.get("/admin/workflows/complaint/add/").status_code == 403
    complaint = Complaint.objects.get()
    assert client.get(f"/admin/workflows/complaint/{complaint.pk}/change/").status_code == 200
    page = client.get(f"/admin/workflows/dossier/{received.pk}/change/").content.decode()
    assert "Dữ liệu số hóa, thanh toán, đồng bộ và đánh giá" in page
    assert "Hỏi tiến độ" in page
