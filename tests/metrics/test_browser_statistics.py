"""The public statistics in Chromium, without logging in: open the page, change the period, open an agency's
766 scorecard and its history — on the replayed May 2025 data of test_reports (the year 2025 is offered)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics import views_public
from metrics.indicators import Period, scope_for, scorecard
from tests.metrics.test_reports import CHILD, PARENT, build_report_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data(tmp_path, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "browser-stats"},
    }
    settings.METRICS_AGENCY_LEVEL = "department"
    cache.clear()
    build_report_data(tmp_path)
    yield
    cache.clear()


def test_visitor_changes_the_period_and_opens_an_agency(browser, live_server, data):
    from playwright import sync_api

    expect = sync_api.expect
    if timezone.localdate().year - 2025 > 2:
        pytest.skip("2025 is no longer among the years offered")
    year = Period.named("year", timezone.localdate().replace(year=2025))
    card = scorecard(scope_for(PARENT), year, source="auto")
    choices = views_public.period_choices(timezone.localdate())
    years = [c.key for c in views_public.history_of(next(c for c in choices if c.key == "2025"), choices)]
    page = browser.new_context(locale="vi-VN").new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/thong-ke/")
    expect(page.locator(f'tr[data-agency="{PARENT}"]')).to_be_visible()
    expect(page.locator(f'tr[data-agency="{CHILD}"]')).to_be_visible()

    page.select_option("#id_period", "2025")  # submits on change
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("period") == ["2025"])
    expect(page.locator("#period-label")).to_contain_text("Năm 2025")
    row = page.locator(f'tr[data-agency="{PARENT}"]')
    expect(row.locator('[data-figure="received_total"]')).to_have_text(
        str(card["report_row"]["received_total"])
    )

    row.locator("a").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/thong-ke/{PARENT}/")
    expect(page.locator("#agency-name")).to_have_text("Ủy ban nhân dân tỉnh Báo Cáo")
    expect(page.locator('#scorecard tr[data-indicator="2.1"] [data-col="numerator"]')).to_have_text(
        str(card["qd766"]["2.1"]["numerator"])
    )
    expect(page.locator("#scorecard")).to_contain_text("Tổng điểm")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(len(years))  # 2025 and the years before it still offered
    expect(page.locator('#history tr[data-period="2025"]')).to_have_class("current")

    page.select_option("#id_period", years[-1])
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("period") == [years[-1]])
    expect(page.locator("#agency-name")).to_have_text("Ủy ban nhân dân tỉnh Báo Cáo")
    expected = "0" if years[-1] != "2025" else str(card["report_row"]["received_total"])
    expect(page.locator('#summary [data-figure="received_total"]')).to_have_text(expected)
