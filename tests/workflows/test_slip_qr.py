"""The QR code on the receipt slip (Mẫu 01): an inline SVG whose modules are exactly segno's QR of
``PUBLIC_BASE_URL`` + the lookup path + ``?code=<dossier code>`` — and never the second factor."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from django.template import Context, Template
from django.urls import reverse

from procedures.models import Agency, Procedure
from workflows.services import Applicant, dossier_receive
from workflows.templatetags.public_qr import QR_ERROR, lookup_url, qr_svg

pytestmark = pytest.mark.django_db

BASE = "https://dichvucong.demo.gov.vn/"
PHONE, ID_NUMBER = "0912347788", "001203019966"
SVG = re.compile(r'<div class="qr-lookup"[^>]*data-url="([^"]+)".*?(<svg.*?</svg>)(.*?)</div>\s*</div>', re.S)


@pytest.fixture
def dossier(demo_users, settings):
    settings.PUBLIC_BASE_URL = BASE
    return dossier_receive(
        procedure=Procedure.objects.get(code="1.014431"),
        applicant=Applicant(name="Trần Thị Bình", id_number=ID_NUMBER, phone=PHONE),
        reception_agency=Agency.objects.get(code="DEMO-TTPVHCC"),
        user=demo_users["motcua"],
    )


def modules_of(svg: str) -> set[tuple[int, int]]:
    """The dark modules (row, column) drawn by segno's path: ``M``/``m`` move, ``h n`` draws n modules on the
    row whose centre line the pen is on; the 4-module quiet zone is taken off."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", path):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            row = int(y - 0.5) - 4
            dark.update((row, int(x) + i - 4) for i in range(int(numbers[0])))
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    return dark


def matrix_modules(qr: segno.QRCode) -> set[tuple[int, int]]:
    return {(r, c) for r, row in enumerate(qr.matrix) for c, value in enumerate(row) if value}


def test_the_receipt_slip_carries_the_qr_of_the_lookup_url(client, dossier):
    assert client.login(username="motcua", password="motcua-demo")
    response = client.get(reverse("workflows:slip", args=[dossier.code, "01"]))
    assert response.status_code == 200
    body = response.content.decode()
    match = SVG.search(body)
    assert match, "no QR block on the slip"
    shown_url, svg, caption = match.groups()

    expected = f"https://dichvucong.demo.gov.vn{reverse('public:lookup')}?code={dossier.code}"
    assert shown_url == expected == lookup_url(dossier.code)
    parts = urlsplit(expected)
    assert parse_qs(parts.query) == {"code": [dossier.code]}  # the code only: no second factor
    # The SVG's modules are segno's QR of exactly that URL (and differ from a URL with the digits added).
    assert modules_of(svg) == matrix_modules(segno.make(expected, error=QR_ERROR, micro=False))
    assert modules_of(svg) != matrix_modules(segno.make(f"{expected}&verify={PHONE[-4:]}", error=QR_ERROR))
    assert svg == qr_svg(expected, title=f"Tra cứu hồ sơ {dossier.code}")
    assert "Quét mã để tra cứu tình trạng hồ sơ" in caption and "4 số cuối điện thoại" in caption
    # Neither the phone, the ID number nor their last digits appear anywhere near the QR.
    for secret in (PHONE, ID_NUMBER, f"verify={PHONE[-4:]}", f"verify={ID_NUMBER[-4:]}"):
        assert secret not in match.group(0)
    assert "verify" not in body


def test_the_qr_prints_at_a_fixed_size_on_a5(client, dossier):
    assert client.login(username="motcua", password="motcua-demo")
    body = client.get(reverse("workflows:slip", args=[dossier.code, "01"])).content.decode()
    assert "@page { size: A5" in body
    block = SVG.search(body).group(0)
    assert "width:25mm;height:25mm" in block and "break-inside:avoid" in block
    assert re.search(r'<svg viewBox="0 0 (\d+) \1" class="qr-code">', block)  # sized by CSS, not pixels


def test_the_tag_escapes_nothing_unsafe_and_follows_the_base_url(settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"

    class FakeDossier:
        code = 'A"<b>-250101-0001'

    html = Template("{% load public_qr %}{% qr_lookup dossier %}").render(Context({"dossier": FakeDossier()}))
    assert "<b>" not in html.split("<svg", 1)[0]
    assert 'data-url="http://127.0.0.1:8000/tra-cuu/?code=A%22%3Cb%3E-250101-0001"' in html
