"""The public catalogue in Chromium, without logging in: search for a procedure, open it, go to the lookup."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from procedures.choices import AgencyLevel, OnlineLevel
from tests.procedures.factories import AgencyFactory, ProcedureFactory, ProcedureVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue():
    commune = AgencyFactory(
        code="DEMO-BR-XA", name="Ủy ban nhân dân xã Trình Duyệt", level=AgencyLevel.COMMUNE
    )
    since = timezone.localdate() - timedelta(days=30)
    for n, name in enumerate(["Đăng ký khai sinh", "Đăng ký kết hôn", "Chứng thực bản sao từ bản chính"]):
        ProcedureVersionFactory(
            procedure=ProcedureFactory(code=f"DEMO.40000{n}", name=name, agency=commune, field="Hộ tịch"),
            effective_from=since,
            statutory_term_amount=Decimal(5),
            committed_term_amount=Decimal(3),
            online_level=OnlineLevel.FULL if n == 1 else OnlineLevel.NONE,
            required_documents="Tờ khai theo mẫu\nGiấy tờ tùy thân",
            fees_vnd=0,
        )


def test_citizen_searches_opens_a_procedure_and_goes_to_the_lookup(browser, live_server, catalogue):
    from playwright import sync_api

    expect = sync_api.expect
    page = browser.new_context(locale="vi-VN").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/thu-tuc/")
    expect(page.locator("#catalogue tbody tr")).to_have_count(3)
    expect(page.locator("#catalogue-total")).to_contain_text("3 thủ tục")

    page.fill("input[name=q]", "kết hôn")
    page.click("#catalogue-form button[type=submit]")
    page.wait_for_url("**/thu-tuc/?q=**")
    rows = page.locator("#catalogue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("DEMO.400001")
    expect(rows.first).to_contain_text("Toàn trình")
    expect(rows.first).to_contain_text("3 ngày làm việc")

    page.select_option("select[name=online_level]", "none")
    page.click("#catalogue-form button[type=submit]")
    expect(page.locator("#catalogue-empty")).to_be_visible()
    page.click("text=Bỏ lọc, xem tất cả thủ tục")
    expect(page.locator("#catalogue tbody tr")).to_have_count(3)

    page.click("#catalogue >> text=Đăng ký kết hôn")
    page.wait_for_url(lambda url: urlsplit(url).path == "/thu-tuc/DEMO.400001/")
    expect(page.locator("#procedure-name")).to_have_text("Đăng ký kết hôn")
    expect(page.locator('[data-fact="statutory"]')).to_have_text("5 ngày làm việc")
    expect(page.locator('[data-fact="agency"]')).to_have_text("Ủy ban nhân dân xã Trình Duyệt")
    expect(page.locator("#required-documents li")).to_have_text(["Tờ khai theo mẫu", "Giấy tờ tùy thân"])

    page.click("#lookup-link")
    page.wait_for_url(lambda url: urlsplit(url).path == "/tra-cuu/")
