"""The citizen's public lookup in Chromium (issue 5): wrong digits refused, right digits show where the
dossier stands and nothing personal; after the result is returned the citizen rates it and files a PAKN."""

from __future__ import annotations

import pytest

from procedures.models import Agency, Procedure
from tests.lifecycle_steps import walk_to_deciding_step
from workflows.models import Complaint, Dossier
from workflows.services import Applicant, dossier_decide, dossier_receive, dossier_return_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "Lê Thị Cúc"
ID_NUMBER = "001203054321"
PHONE = "0987 654 329"


@pytest.fixture
def received(demo_users) -> Dossier:
    return dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        applicant=Applicant(name=NAME, id_number=ID_NUMBER, phone=PHONE, address="Số 5 Phố Kín"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


def _page(browser):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _look_up(page, base: str, code: str, verify: str) -> None:
    page.goto(f"{base}/tra-cuu/")
    page.fill("input[name=code]", code)
    page.fill("input[name=verify]", verify)
    with page.expect_navigation():
        page.click("[data-testid=lookup-form] button[type=submit]")


def test_lookup_refuses_wrong_digits_and_shows_the_status_with_the_right_ones(live_server, browser, received):
    context, page = _page(browser)
    _look_up(page, live_server.url, received.code, "1111")
    assert page.locator("[data-testid=lookup-error]").is_visible()
    assert page.locator("[data-testid=public-dossier]").count() == 0

    _look_up(page, live_server.url, received.code, "4329")  # last 4 digits of the phone
    assert "Được tiếp nhận" in page.locator("[data-testid=public-status]").inner_text()
    assert received.current_step.name in page.locator("[data-testid=public-step]").inner_text()
    assert "giờ" in page.locator("[data-testid=public-appointment]").inner_text()
    html = page.content()
    for personal in (NAME, ID_NUMBER, PHONE, "0987654329", "Số 5 Phố Kín"):
        assert personal not in html
    # Not returned yet: no rating form; a PAKN is possible.
    assert page.locator("[data-testid=rate-form]").count() == 0
    assert page.locator("[data-testid=complaint-form]").count() == 1
    context.close()


def test_citizen_rates_a_returned_dossier_and_files_a_pakn(live_server, browser, received):
    dossier = dossier_decide(dossier=walk_to_deciding_step(received), outcome="approved")
    dossier = dossier_return_result(dossier=dossier, via="direct")

    context, page = _page(browser)
    _look_up(page, live_server.url, dossier.code, "4321")  # last 4 digits of the ID number
    assert "Đã trả kết quả" in page.locator("[data-testid=public-status]").inner_text()
    form = page.locator("[data-testid=rate-form]")
    form.locator("input[name=rating][value=like]").check()
    form.locator("input[name=criterion_total_time][value='2']").check()
    form.locator("input[name=criterion_attitude][value='1']").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "Cảm ơn bạn đã đánh giá" in page.locator(".messages").inner_text()
    assert page.locator("[data-testid=public-rated]").is_visible()
    assert page.locator("[data-testid=rate-form]").count() == 0

    pakn = page.locator("[data-testid=complaint-form]")
    pakn.locator("select[name=kind]").select_option("regulation")
    pakn.locator("textarea[name=content]").fill("Đề nghị đơn giản hóa thành phần hồ sơ")
    with page.expect_navigation():
        pakn.locator("button[type=submit]").click()
    assert "Đã tiếp nhận phản ánh" in page.locator(".messages").inner_text()
    assert page.locator("[data-testid=public-complaint-open]").is_visible()
    context.close()

    dossier.refresh_from_db()
    assert dossier.rating == "like"
    assert dossier.rating_criteria == {"total_time": 2, "attitude": 1}
    complaint = Complaint.objects.get(dossier=dossier)
    assert complaint.kind == "regulation" and complaint.due_at > complaint.received_at
