"""The dashboard in a real browser: log in as a supervisor, open the May 2025 figures, click a number and see
the dossiers behind it."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from procedures.models import Agency
from tests.metrics.test_reports import PARENT, build_report_data
from workflows.models import Membership
from workflows.roles import Role

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "mat-khau-thu-nghiem"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"Debian's Chromium is not installed at {CHROMIUM}"
    ),
]


@pytest.fixture
def supervisor(tmp_path):
    build_report_data(tmp_path)
    user = get_user_model().objects.create_user("giamsat-rp", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=user, role=Role.SUPERVISOR, agency=Agency.objects.get(code=PARENT))
    return user


def test_supervisor_clicks_a_number_and_sees_the_dossiers(live_server, supervisor):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(locale="vi-VN").new_page()
            page.goto(f"{live_server.url}/accounts/login/?next=/chi-so/")
            page.fill("input[name=username]", supervisor.username)
            page.fill("input[name=password]", PASSWORD)
            page.locator("form button[type=submit], form input[type=submit]").first.click()
            page.wait_for_url(lambda url: urlsplit(url).path == "/chi-so/")

            page.select_option("select[name=kind]", "month")
            page.fill("input[name=from]", "2025-05-10")
            page.click("#dashboard-form button[type=submit]")
            page.wait_for_url("**from=2025-05-10**")
            late = page.locator('#report-row a.fig[data-figure="resolved_late"]')
            sync_api.expect(late).to_have_text("1")
            sync_api.expect(page.locator("#scorecard")).to_contain_text("Tổng điểm")

            late.click()
            page.wait_for_url(lambda url: urlsplit(url).path == "/chi-so/ho-so/")
            sync_api.expect(page.locator("#figure-label")).to_contain_text("Quá hạn")
            sync_api.expect(page.locator("#figure-dossiers")).to_contain_text("RP-M3")
            sync_api.expect(page.locator("#dossier-total")).to_contain_text("1 hồ sơ")
        finally:
            browser.close()
