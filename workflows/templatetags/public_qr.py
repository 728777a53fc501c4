"""The QR code printed on the receipt slip (Mẫu 01): the public lookup page of the dossier.

Why: one dossier has one code, used for look-up on the portal and by QR (TT 03/2025 Art 13, domain §7); a
citizen scans the slip instead of typing ``H56.012.05-250702-010012``. The QR carries the code only, never
the second factor (last 4 digits of the phone or ID number): a slip left on a counter or photographed must
not be enough to open the dossier (Decree 13/2023 minimisation, domain §8).

The SVG is drawn inline by segno (pure Python): slips are printed on networks without internet access, so no
image service or script, and it stays sharp at any printer resolution.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# Medium error correction (15 %) survives a folded or smudged slip; the code's URL still fits a small version.
QR_ERROR = "m"
# Printed side of the symbol: about 25 mm scans from a phone at arm's length and fits beside the text on A5.
QR_SIZE = "25mm"


def lookup_url(code: str) -> str:
    """The absolute address of the public lookup page for ``code`` (``PUBLIC_BASE_URL`` + ``/tra-cuu/``)."""
    base = str(getattr(settings, "PUBLIC_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('public:lookup')}?{urlencode({'code': code})}"


def qr_svg(data: str, *, title: str = "") -> str:
    """An inline ``<svg>`` of the QR code of ``data``, sized by CSS (no width/height attributes)."""
    qr = segno.make(data, error=QR_ERROR, micro=False)
    return qr.svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="qr-code",
        lineclass=None,
        title=title or None,
    )


@register.simple_tag
def qr_lookup(dossier) -> SafeString:
    """``{% qr_lookup dossier %}``: the QR of the dossier's lookup page, captioned with what it needs."""
    url = lookup_url(dossier.code)
    svg = qr_svg(url, title=_("Tra cứu hồ sơ %(code)s") % {"code": dossier.code})
    return format_html(
        "<style>.qr-lookup svg{{width:100%;height:100%;display:block}}</style>"
        '<div class="qr-lookup" data-testid="qr-lookup" data-url="{url}" '
        'style="display:flex;align-items:center;gap:4mm;margin:6px 0;page-break-inside:avoid;'
        'break-inside:avoid">'
        '<div style="width:{size};height:{size};flex:none">{svg}</div>'
        '<p style="margin:0;font-size:10pt">{caption}<br>'
        '<span style="font-size:9pt;word-break:break-all">{url}</span></p>'
        "</div>",
        url=url,
        size=QR_SIZE,
        svg=mark_safe(svg),  # segno escapes the title; the rest is its own markup
        caption=_(
            "Quét mã để tra cứu tình trạng hồ sơ (cần 4 số cuối điện thoại hoặc số định danh của người nộp)."
        ),
    )
