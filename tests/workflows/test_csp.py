"""Content-Security-Policy: the header is sent, our templates carry no inline script, and the main pages load
in Chromium without a single CSP violation (scripts come only from our static files)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflows import services as svc

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "motcua-demo"


@pytest.mark.django_db
def test_every_page_sends_the_policy_without_inline_or_eval_scripts(client):
    response = client.get("/thu-tuc/")
    policy = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "default-src" in directives
    login = client.get("/accounts/login/")
    assert "script-src 'self'" in login["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_our_templates_have_no_inline_script_or_event_handler():
    """A new template with <script>…</script> or onclick="…" would be blocked by the policy: fail here first
    (use config/static/motcua/behaviours.js or a static file instead)."""
    offenders = []
    for template in ROOT.glob("*/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            offenders += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


@pytest.fixture
def received_dossier(demo_users):
    from django.utils import timezone

    from procedures.models import Agency, Procedure

    return svc.dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        at=timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0),
        applicant=svc.Applicant(name="Nguyễn Văn A", id_number="001203012345"),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_main_pages_load_without_csp_violations(live_server, received_dossier, browser):
    code = received_dossier.code
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: violations.append(f"{page.url}: {exc}"))
    base = live_server.url
    for path in ("/thu-tuc/", "/tra-cuu/", "/thong-ke/", "/api/docs/"):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "motcua")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url
    pages = [
        "/ho-so/",
        "/ho-so/tiep-nhan/",
        "/ho-so/cho-tiep-nhan/",
        f"/ho-so/{code}/",
        f"/ho-so/{code}/mau-01/",
        "/dossier/inbox/",
        "/dossier/queue/",
        "/admin/",
        "/accounts/2fa/setup/",
    ]
    for path in pages:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        page.wait_for_load_state("networkidle")
    # The receive page's procedure choice still reloads its documents (behaviours.js, no inline script).
    page.goto(f"{base}/ho-so/tiep-nhan/")
    options = page.locator("#id_procedure option")
    if options.count() > 1:
        with page.expect_navigation():
            page.select_option("#id_procedure", index=1)
    context.close()
    assert violations == []
