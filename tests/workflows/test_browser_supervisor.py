"""The supervisor, in a real browser: log in, list overdue dossiers, open one, export the list as CSV."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from procedures.models import Agency, Procedure
from workflows import services as svc
from workflows.management.commands.demo_seed import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"Debian's Chromium is not installed at {CHROMIUM}"
    ),
]


@pytest.fixture
def overdue_dossier(demo_users):
    """A dossier received six weeks ago at the provincial centre (27 calendar days: long overdue)."""
    received = timezone.localtime() - timedelta(days=42)
    return svc.dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        at=received.replace(hour=9, minute=0, second=0, microsecond=0),
        applicant=svc.Applicant(name="Nguyễn Văn A", id_number="001203012345"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
    )


def test_supervisor_filters_overdue_opens_the_dossier_and_downloads_csv(
    live_server, overdue_dossier, tmp_path
):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    sync_api = pytest.importorskip("playwright.sync_api")
    code = overdue_dossier.code
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True, locale="vi-VN").new_page()
            page.goto(f"{live_server.url}/accounts/login/?next=/giam-sat/")
            page.fill("input[name=username]", "giamsat")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.locator("form button[type=submit], form input[type=submit]").first.click()
            page.wait_for_url(lambda url: urlsplit(url).path == "/giam-sat/")

            page.select_option("select[name=sla_state]", "overdue")
            page.click("#supervisor-filter button[type=submit]")
            page.wait_for_url("**sla_state=overdue**")
            link = page.locator("#supervisor-dossiers a", has_text=code)
            sync_api.expect(link).to_be_visible()
            sync_api.expect(page.locator("#supervisor-dossiers")).to_contain_text("Quá hạn")

            with page.expect_download() as download_info:
                page.click("#export-csv")
            target = tmp_path / "giam-sat.csv"
            download_info.value.save_as(target)
            data = target.read_bytes()
            assert data.startswith(b"\xef\xbb\xbf")
            text = data.decode("utf-8-sig")
            assert text.splitlines()[0].startswith("Mã hồ sơ,Thủ tục,Cơ quan")
            assert code in text

            link.click()
            page.wait_for_url(f"**/ho-so/{code}/")
            sync_api.expect(page.locator("body")).to_contain_text(code)
        finally:
            browser.close()
