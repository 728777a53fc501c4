"""The citizen's public lookup, rating and PAKN (issue 5) through the Django test client, on a real database.

Minimal disclosure (domain §8): the code alone opens nothing, a wrong second factor and an unknown code get
the same answer, and no page shows a personal field. Rate limits (per IP, per code) answer 429. The rating
and PAKN are recorded by the facts services and reach the 766 group 5 figures.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.indicators import Period, complaint_counts, scope_for, scorecard
from procedures.models import Agency, Procedure
from tests.lifecycle_steps import walk_to_deciding_step
from workflows.choices import ComplaintKind, Event, RatingCriterion
from workflows.models import Complaint, Dossier, DossierEvent
from workflows.selectors import dossier_for_lookup, lookup_factor_matches
from workflows.services import Applicant, dossier_decide, dossier_receive, dossier_return_result
from workflows.services.facts import (
    CITIZEN_ACTOR,
    dossier_complaint_by_citizen,
    dossier_rate,
    dossier_rate_by_citizen,
)
from workflows.services.lifecycle import LifecycleError

pytestmark = pytest.mark.django_db

PROCEDURE = "1.014431"
NAME = "Trần Thị Bình"
ID_NUMBER = "001203098765"
PHONE = "0912 345 678"
ADDRESS = "Số 9 Ngõ Riêng Tư, Phường Demo"
EMAIL = "binh.private@example.vn"
SUMMARY = "Xin cấp phép cho căn nhà riêng"
PERSONAL = [NAME, ID_NUMBER, "0912345678", PHONE, ADDRESS, EMAIL, SUMMARY, "Lý do từ chối bí mật"]
URL = "/tra-cuu/"


def _receive(demo_users, **applicant) -> Dossier:
    person = {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "address": ADDRESS, "email": EMAIL}
    return dossier_receive(
        procedure=Procedure.objects.get(code=PROCEDURE),
        applicant=Applicant(**{**person, **applicant}),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        request_summary=SUMMARY,
        user=demo_users["motcua"],
    )


@pytest.fixture
def received(demo_users) -> Dossier:
    return _receive(demo_users)


@pytest.fixture
def returned(received) -> Dossier:
    walked = walk_to_deciding_step(received)
    decided = dossier_decide(dossier=walked, outcome="refused", reason="Lý do từ chối bí mật")
    return dossier_return_result(dossier=decided, via="direct")


def _lookup(client, code: str, verify: str | None = None):
    params = {"code": code} if verify is None else {"code": code, "verify": verify}
    return client.get(URL, params)


def _no_personal_data(body: str) -> None:
    for value in PERSONAL:
        assert value not in body, value


# --- the second factor ----------------------------------------------------------------------------------


def test_right_phone_digits_show_status_step_and_appointment_only(client, received):
    response = _lookup(client, received.code, "5678")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="public-dossier"' in body
    assert "Được tiếp nhận" in body or "Đang xử lý" in body
    assert received.current_step.name in body
    assert 'data-testid="public-appointment"' in body
    assert '<meta name="robots" content="noindex' in body
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-store" in response["Cache-Control"]
    _no_personal_data(body)


def test_last_digits_of_the_id_number_also_open_it(client, received):
    assert 'data-testid="public-dossier"' in _lookup(client, received.code, "8765").content.decode()


def test_wrong_digits_are_refused_and_reveal_nothing(client, received):
    response = _lookup(client, received.code, "0000")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="lookup-error"' in body
    assert 'data-testid="public-dossier"' not in body
    assert received.procedure.name not in body
    _no_personal_data(body)


def test_unknown_code_and_wrong_digits_get_the_same_answer(client, received):
    wrong = _lookup(client, received.code, "0000")
    unknown_code = "X" * len(received.code)
    unknown = _lookup(client, unknown_code, "0000")
    assert wrong.status_code == unknown.status_code == 404
    normalise = [(received.code, "CODE"), (unknown_code, "CODE")]
    bodies = []
    for response in (wrong, unknown):
        body = response.content.decode()
        for old, new in normalise:
            body = body.replace(old, new)
        bodies.append(body)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", bodies[0]) == strip.sub("", bodies[1])


def test_the_code_alone_only_asks_for_the_digits(client, received):
    response = _lookup(client, received.code)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="public-dossier"' not in body
    assert f'value="{received.code}"' in body


def test_a_dossier_without_phone_or_id_cannot_be_opened(received):
    Dossier.objects.filter(pk=received.pk).update(applicant_phone="", applicant_id_number="")
    dossier = Dossier.objects.get(pk=received.pk)
    assert not lookup_factor_matches(dossier, "0000")
    assert dossier_for_lookup(code=dossier.code, verify="0000") is None


def test_malformed_digits_are_a_form_error(client, received):
    response = _lookup(client, received.code, "12a4")
    assert response.status_code == 400
    assert "Nhập đúng 4 chữ số." in response.content.decode()


def test_the_session_remembers_a_checked_code(client, received):
    _lookup(client, received.code, "5678")
    body = _lookup(client, received.code).content.decode()
    assert 'data-testid="public-dossier"' in body
    other = client.__class__()
    assert 'data-testid="public-dossier"' not in _lookup(other, received.code).content.decode()


def test_apology_shows_the_new_date_and_a_decided_dossier_where_to_collect(client, received):
    Dossier.objects.filter(pk=received.pk).update(new_due_at=received.due_at + timedelta(days=3))
    body = _lookup(client, received.code, "5678").content.decode()
    assert 'data-testid="public-new-due"' in body
    walked = walk_to_deciding_step(Dossier.objects.get(pk=received.pk))
    decided = dossier_decide(dossier=walked, outcome="approved")
    body = _lookup(client, decided.code).content.decode()
    assert "Đã có kết quả. Mời bạn mang phiếu tiếp nhận đến nhận kết quả tại" in body
    assert 'data-testid="rate-form"' not in body  # not returned yet


# --- rate limits -------------------------------------------------------------------------------------------


def test_failed_digits_lock_the_code_even_for_the_right_digits(client, received, settings):
    settings.PUBLIC_LOOKUP_RATE_CODE = "3/h"
    for verify in ("0001", "0002", "0003"):
        assert _lookup(client, received.code, verify).status_code == 404
    locked = _lookup(client, received.code, "5678")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert 'data-testid="lookup-locked"' in body and 'data-testid="public-dossier"' not in body
    # The lock follows the code and the address, not the browser session; an unknown code locks the same
    # way (no enumeration).
    assert _lookup(client.__class__(), received.code, "5678").status_code == 429
    for verify in ("0001", "0002", "0003"):
        _lookup(client, "KHONG-CO-MA", verify)
    assert 'data-testid="lookup-locked"' in _lookup(client, "KHONG-CO-MA", "5678").content.decode()


def test_one_address_cannot_lock_the_applicant_out(client, received, settings):
    """Failures are counted per code *and* address: someone who knows the code (it is printed on the
    receipt) and fails on purpose locks only themselves, the applicant elsewhere still gets in."""
    settings.PUBLIC_LOOKUP_RATE_CODE = "3/h"
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    for verify in ("0001", "0002", "0003"):
        assert client.get(URL, {"code": received.code, "verify": verify}, **attacker).status_code == 404
    assert client.get(URL, {"code": received.code, "verify": "5678"}, **attacker).status_code == 429
    applicant = client.__class__().get(URL, {"code": received.code, "verify": "5678"}, REMOTE_ADDR="10.0.0.9")
    assert applicant.status_code == 200
    assert 'data-testid="public-dossier"' in applicant.content.decode()
    # the attacker's other guesses from that address still wait
    assert client.get(URL, {"code": received.code, "verify": "1234"}, **attacker).status_code == 429


def test_a_locked_address_still_counts_against_the_per_address_limit(client, received, settings):
    """The per-address allowance over all lookups still holds, locked codes or not."""
    settings.PUBLIC_LOOKUP_RATE_CODE = "2/h"
    settings.PUBLIC_LOOKUP_RATE_IP = "4/m"
    for verify in ("0001", "0002", "0003", "0004"):
        _lookup(client, received.code, verify)
    response = _lookup(client, "KHONG-CO-MA", "0001")
    assert response.status_code == 429 and "Quá nhiều yêu cầu" in response.content.decode()


def test_lookups_are_limited_per_ip(client, received, settings):
    settings.PUBLIC_LOOKUP_RATE_IP = "2/m"
    assert _lookup(client, received.code, "5678").status_code == 200
    assert _lookup(client, received.code, "5678").status_code == 200
    response = _lookup(client, received.code, "5678")
    assert response.status_code == 429
    assert "Quá nhiều yêu cầu" in response.content.decode()
    other_ip = client.get(URL, {"code": received.code, "verify": "5678"}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


# --- rating ------------------------------------------------------------------------------------------------


def _rate(client, code: str, rating: str = "like", **criteria):
    data = {"code": code, "rating": rating}
    data.update({f"criterion_{key}": str(points) for key, points in criteria.items()})
    return client.post(reverse("public:rate"), data, follow=True)


def test_rating_a_returned_dossier_once_with_criteria(client, returned):
    body = _lookup(client, returned.code, "5678").content.decode()
    assert 'data-testid="rate-form"' in body
    _no_personal_data(body)
    body = _rate(client, returned.code, "dislike", total_time=0, attitude=2).content.decode()
    assert "Cảm ơn bạn đã đánh giá" in body
    returned.refresh_from_db()
    assert returned.rating == "dislike"
    assert returned.rating_criteria == {"total_time": 0, "attitude": 2}
    event = DossierEvent.objects.get(dossier=returned, event=Event.RATE)
    assert event.actor_name == CITIZEN_ACTOR and event.actor is None
    assert event.payload == {"rating": "dislike", "criteria": {"total_time": 0, "attitude": 2}}
    assert 'data-testid="public-rated"' in body and 'data-testid="rate-form"' not in body
    again = _rate(client, returned.code, "like").content.decode()
    assert "mỗi hồ sơ chỉ được đánh giá một lần" in again
    returned.refresh_from_db()
    assert returned.rating == "dislike"


def test_rating_needs_a_checked_code_in_the_session(client, returned):
    body = _rate(client, returned.code).content.decode()
    assert "Phiên tra cứu đã hết hạn" in body
    returned.refresh_from_db()
    assert returned.rating == ""


def test_rating_before_the_result_is_returned_is_refused(client, received):
    _lookup(client, received.code, "5678")
    body = _rate(client, received.code).content.decode()
    assert "Không thể ghi" in body
    received.refresh_from_db()
    assert received.rating == ""


def test_rating_post_requires_csrf(returned):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    _lookup(strict, returned.code, "5678")
    response = strict.post(reverse("public:rate"), {"code": returned.code, "rating": "like"})
    assert response.status_code == 403


def test_criteria_are_validated_by_the_service(returned):
    with pytest.raises(LifecycleError):
        dossier_rate_by_citizen(dossier=returned, rating="like", criteria={"bogus": 1})
    with pytest.raises(LifecycleError):
        dossier_rate_by_citizen(dossier=returned, rating="like", criteria={RatingCriterion.ATTITUDE: 3})
    dossier = dossier_rate(dossier=returned, rating="like", criteria={RatingCriterion.ATTITUDE: 1})
    assert Dossier.objects.get(pk=dossier.pk).rating_criteria == {"attitude": 1}


# --- PAKN --------------------------------------------------------------------------------------------------


def _complain(client, code: str, content: str = "Tôi phải đi lại nhiều lần", kind=ComplaintKind.STAFF):
    data = {"code": code, "kind": kind, "content": content}
    return client.post(reverse("public:complaint"), data, follow=True)


def test_pakn_gets_its_own_deadline_and_one_open_at_a_time(client, returned):
    _lookup(client, returned.code, "5678")
    body = _complain(client, returned.code).content.decode()
    assert "Đã tiếp nhận phản ánh, kiến nghị của bạn" in body
    complaint = Complaint.objects.get()
    assert complaint.kind == ComplaintKind.STAFF and complaint.due_at > complaint.received_at
    assert not complaint.repeated
    assert 'data-testid="public-complaint-open"' in body and 'data-testid="complaint-form"' not in body
    again = _complain(client, returned.code).content.decode()
    assert "đang có một phản ánh, kiến nghị chưa xử lý xong" in again
    assert Complaint.objects.count() == 1
    returned.refresh_from_db()
    assert returned.complained_at is not None


def test_pakn_while_in_progress_is_allowed_and_empty_text_is_refused(client, received):
    _lookup(client, received.code, "5678")
    assert "Chưa gửi được" in _complain(client, received.code, content="").content.decode()
    assert not Complaint.objects.exists()
    _complain(client, received.code, content="Sắp quá hạn mà chưa có kết quả", kind=ComplaintKind.OTHER)
    assert Complaint.objects.get().dossier_id == received.pk


def test_second_pakn_about_the_result_counts_as_repeated(returned):
    from workflows.services.facts import dossier_complaint_done

    dossier = dossier_complaint_by_citizen(dossier=returned, kind=ComplaintKind.REGULATION, content="Lần 1")
    dossier = dossier_complaint_done(dossier=dossier, feedback="dislike")
    dossier_complaint_by_citizen(dossier=dossier, kind=ComplaintKind.REGULATION, content="Lần 2")
    assert list(Complaint.objects.order_by("received_at").values_list("repeated", flat=True)) == [False, True]


def test_rating_and_pakn_feed_the_group_5_indicators(client, returned):
    _lookup(client, returned.code, "5678")
    today = timezone.localdate()
    period = Period(today, today)
    before = scorecard(scope_for(returned.agency.code), period, source="raw")["qd766"]
    assert before["5.4"]["numerator"] == before["5.4"]["denominator"] == 1  # on time, no complaint yet
    _rate(client, returned.code, "dislike")
    _complain(client, returned.code)
    counts = complaint_counts([returned.agency_id], period)
    assert counts["complaints_received"] == 1
    assert counts["complaints_classified"] == 1
    assert counts["complaints_about_staff"] == 1
    after = scorecard(scope_for(returned.agency.code), period, source="raw")["qd766"]
    assert after["5.1"]["numerator"] == after["5.1"]["denominator"] == 1
    assert after["5.2"]["denominator"] == 1
    # 5.4 = 100 % − (late + disliked or complained): the citizen's dislike and PAKN take this dossier out.
    assert after["5.4"]["numerator"] == 0 and after["5.4"]["denominator"] == 1
