"""A dossier walked through the UI in Chromium: desk receives, head and specialist act, desk returns it."""

from __future__ import annotations

import re

import pytest

from procedures.models import Procedure
from workflows.flows import process_of
from workflows.models import Dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "motcua-demo"


def _login(browser, base: str, username: str):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dossier/inbox/.*"))
    return context, page


def _open_task(dossier: Dossier):
    task = (
        process_of(dossier)
        .task_set.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED", "STARTED"])
        .get()
    )
    return task, lambda action: task.flow_task.reverse(action, args=[task.process_id, task.pk])


def _take_and_do(browser, base: str, username: str, dossier: Dossier, action: str, extra=None) -> None:
    """Log in as ``username``, see the task in the queue, take it, press the action's button, log out."""
    context, page = _login(browser, base, username)
    task, url = _open_task(dossier)
    page.goto(f"{base}/dossier/queue/")
    assert f"#{task.process_id}/{task.pk}" in page.content()  # the task waits in this user's queue
    page.goto(f"{base}{url('assign')}")
    with page.expect_navigation():
        page.locator("form button").last.click()
    page.wait_for_load_state()
    page.goto(f"{base}{url('execute')}")
    form = page.locator(f"form[data-action={action}]")
    for name, value in (extra or {}).items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "/execute/" not in page.url, page.content()
    context.close()


def test_desk_receives_units_process_and_desk_returns_the_result(live_server, demo_users, browser):
    from workflows.services import dossier_decide, dossier_step_done

    base = live_server.url

    # 1. The desk officer receives a dossier for 1.014431 and gets the Mẫu 01 slip.
    context, page = _login(browser, base, "motcua")
    page.goto(f"{base}/ho-so/tiep-nhan/?q=1.014431")
    procedure = Procedure.objects.get(code="1.014431")
    # The applicant typed before the procedure is chosen: the reload that lists the documents is a POST,
    # so the name and ID stay in the form and never appear in a URL (nor in an access log).
    page.fill("input[name=applicant_name]", "Nguyễn Văn An")
    page.fill("input[name=applicant_id_number]", "001203012345")
    with page.expect_navigation():
        page.select_option("select[name=procedure]", value=str(procedure.pk))
    assert page.input_value("select[name=procedure]") == str(procedure.pk)
    assert page.url == f"{base}/ho-so/tiep-nhan/"
    assert page.input_value("input[name=applicant_name]") == "Nguyễn Văn An"
    assert page.input_value("input[name=applicant_id_number]") == "001203012345"
    page.fill("input[name=applicant_address]", "Số 1 Đường A, Demo")
    page.fill("textarea[name=request_summary]", "Thẩm định công nghệ dự án đầu tư")
    boxes = page.locator("input[name=documents]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.click("button[name=do][value=receive]")
    page.wait_for_url(re.compile(r".*/mau-01/$"))
    dossier = Dossier.objects.get()
    assert page.locator("[data-testid=slip-code]").inner_text() == dossier.code
    assert "giờ" in page.locator("[data-testid=due-at]").inner_text()
    context.close()  # log out

    # 2. The head of unit takes B2 from the queue and completes it; the specialist completes B3.
    assert dossier.current_step.step_no == 2
    _take_and_do(browser, base, "truongphong", dossier, "step_done", {"reason": "Giao chuyên viên thẩm định"})
    dossier.refresh_from_db()
    assert dossier.current_step.step_no == 3
    _take_and_do(browser, base, "chuyenvien", dossier, "step_done", {"reason": "Đã thẩm định"})
    dossier.refresh_from_db()
    assert dossier.current_step.step_no == 4
    assert dossier.steps.get(step_no=3).owner.username == "chuyenvien"

    # 3. Later steps and the decision through the services (kept short), as the people who hold them.
    for username in ("truongphong", "giamdoc", "chuyenvien", "giamdoc"):
        dossier = dossier_step_done(dossier=dossier, user=demo_users[username])
    assert dossier.current_step is None
    dossier = dossier_decide(dossier=dossier, outcome="approved", user=demo_users["truongphong"])

    # 4. The desk returns the result through the deliver task; the dossier page says it is returned.
    _take_and_do(browser, base, "motcua", dossier, "return_result")
    dossier.refresh_from_db()
    assert dossier.status == "returned"
    context, page = _login(browser, base, "motcua")
    page.goto(f"{base}/ho-so/{dossier.code}/")
    assert "Đã trả kết quả" in page.locator("[data-testid=status]").inner_text()
    context.close()
