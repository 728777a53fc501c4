"""Public pages about one dossier (no login): lookup, rating and PAKN (issue 5).

Legal basis: domain §8 (Decree 13/2023/NĐ-CP, minimal disclosure) — the lookup needs the dossier code *and*
a second factor (last 4 digits of the applicant's phone or ID number) and shows only where the dossier
stands, never who applied; domain §4.4 and §4.2 group 5 — the citizen's rating and PAKN feed the 766
satisfaction indicators.

Why the rate limits look the way they do: the code is printed on the receipt and is guessable (date +
sequence), and 4 digits are only 10,000 values. So every lookup counts against the client's IP
(``PUBLIC_LOOKUP_RATE_IP``) and every *failed* second factor counts against the code *from that address*
(``PUBLIC_LOOKUP_RATE_CODE``); once a code is locked for an address even the right digits from there wait
for the window to pass. The per-code counter is per address so that whoever knows a code (it is printed on
the receipt) cannot lock the applicant out of their own dossier by failing on purpose; a guesser spread
over many addresses is still held by the per-address limit of every address. An unknown code and wrong
digits get the same answer and both count, so the page never says whether a code exists. After a
successful check the code is remembered in the session for a while,
so the rating and PAKN forms (CSRF-protected POSTs) need not carry the digits again.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage, is_ratelimited

from workflows.forms_public import ComplaintForm, LookupForm, RateForm
from workflows.selectors import dossier_by_code, dossier_for_lookup, dossier_public
from workflows.services.facts import dossier_complaint_by_citizen, dossier_rate_by_citizen
from workflows.services.lifecycle import LifecycleError

SESSION_KEY = "public_lookup_verified"
# How long a checked code stays open in the browser's session (a citizen reading, rating, filing a PAKN).
VERIFIED_SECONDS = 30 * 60
# At most this many codes per session (a family looking up several dossiers; bounded so it cannot grow).
VERIFIED_MAX_CODES = 10
TEMPLATE = "workflows/public/lookup.html"


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's answer when a public page is asked too often (429, in Vietnamese)."""
    return render(request, "public/rate_limited.html", status=429)


# --- rate limits -------------------------------------------------------------------------------------------


def _ip_limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key="ip", rate=rate, increment=True)


def _code_usage(request: HttpRequest, code: str, *, increment: bool) -> dict | None:
    """Failed attempts on ``code`` from this client's address (django-ratelimit's own ``ip`` key, so
    ``RATELIMIT_IP_META_KEY`` and the IPv6 /64 mask apply as for the per-address limit)."""
    # Case and spaces are folded so "abc" and " ABC" share one counter; the group makes it one per code.
    value = code.strip().upper()
    return get_usage(
        request,
        group=f"public-lookup-code:{value}",
        key="ip",
        rate=settings.PUBLIC_LOOKUP_RATE_CODE,
        increment=increment,
    )


def _code_locked(request: HttpRequest, code: str) -> bool:
    """True once the code has had its allowance of failed attempts from this address in the window."""
    usage = _code_usage(request, code, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


# --- the verified codes of this browser session ------------------------------------------------------------


def _verified(request: HttpRequest) -> dict[str, float]:
    now = time.time()
    codes = request.session.get(SESSION_KEY, {})
    return {code: until for code, until in codes.items() if until > now}


def _remember(request: HttpRequest, code: str) -> None:
    codes = _verified(request)
    codes.pop(code, None)
    codes[code] = time.time() + VERIFIED_SECONDS
    request.session[SESSION_KEY] = dict(list(codes.items())[-VERIFIED_MAX_CODES:])


def _is_verified(request: HttpRequest, code: str) -> bool:
    return code in _verified(request)


def _lookup_url(code: str = "") -> str:
    url = reverse("public:lookup")
    return f"{url}?{urlencode({'code': code})}" if code else url


def _private(response: HttpResponse) -> HttpResponse:
    """Keep the answer out of search engines and other sites' Referer headers (the URL holds the digits).

    ``same-origin`` rather than ``no-referrer``: with the latter Chromium sends ``Origin: null`` on the
    page's own POST forms and Django's CSRF origin check refuses them.
    """
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return _private(render(request, TEMPLATE, {"public_section": "lookup", **context}, status=status))


def _result_page(request: HttpRequest, code: str) -> HttpResponse:
    view = dossier_public(code)
    if view is None:  # deleted since it was checked
        return _page(request, {"form": LookupForm(), "not_found": True}, status=404)
    return _page(
        request,
        {
            "form": LookupForm(initial={"code": code}),
            "dossier": view,
            "rate_form": RateForm(initial={"code": code}) if view.may_rate else None,
            "complaint_form": ComplaintForm(initial={"code": code}) if view.may_complain else None,
        },
    )


# --- views -------------------------------------------------------------------------------------------------


@require_GET
@never_cache
def lookup(request: HttpRequest) -> HttpResponse:
    """``/tra-cuu/?code=CODE&verify=NNNN``: where the dossier stands, shown only to who knows both."""
    if "code" not in request.GET:
        return _page(request, {"form": LookupForm()})
    if _ip_limited(request, "public-lookup-ip", settings.PUBLIC_LOOKUP_RATE_IP):
        return _private(rate_limited(request, Exception("ip")))
    code = request.GET.get("code", "").strip()
    if "verify" not in request.GET:
        if code and _is_verified(request, code):
            return _result_page(request, code)
        # Only the code (e.g. from the QR code on the receipt): ask for the digits, no error yet.
        return _page(request, {"form": LookupForm(initial={"code": code})})
    form = LookupForm(request.GET)
    if not form.is_valid():
        return _page(request, {"form": form}, status=400)
    code, verify = form.cleaned_data["code"], form.cleaned_data["verify"]
    if _code_locked(request, code):
        return _page(request, {"form": LookupForm(initial={"code": code}), "locked": True}, status=429)
    dossier = dossier_for_lookup(code=code, verify=verify)
    if dossier is None:
        _code_usage(request, code, increment=True)
        return _page(request, {"form": LookupForm(initial={"code": code}), "not_found": True}, status=404)
    _remember(request, dossier.code)
    return _result_page(request, dossier.code)


def _citizen_post(request: HttpRequest, form_class, act) -> HttpResponse:
    """Shared by rating and PAKN: rate-limited, for a code checked in this session, one service call."""
    if _ip_limited(request, "public-post-ip", settings.PUBLIC_PAGE_RATE_IP):
        return _private(rate_limited(request, Exception("ip")))
    form = form_class(request.POST)
    code = request.POST.get("code", "").strip()
    if not code or not _is_verified(request, code):
        messages.error(
            request, _("Phiên tra cứu đã hết hạn. Vui lòng nhập lại mã hồ sơ và 4 chữ số xác thực.")
        )
        return HttpResponseRedirect(_lookup_url(code))
    if not form.is_valid():
        errors = "; ".join(f"{form[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, _("Chưa gửi được: %(errors)s") % {"errors": errors})
        return HttpResponseRedirect(_lookup_url(code))
    dossier = dossier_by_code(code)
    if dossier is None:
        return HttpResponseRedirect(_lookup_url())
    try:
        message = act(dossier, form)
    except LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return HttpResponseRedirect(_lookup_url(code))


@require_POST
@never_cache
def rate(request: HttpRequest) -> HttpResponse:
    """The citizen's rating after the result was returned (domain §4.4; 766 5.4)."""

    def act(dossier, form: RateForm) -> str:
        dossier_rate_by_citizen(dossier=dossier, rating=form.cleaned_data["rating"], criteria=form.criteria())
        return _("Cảm ơn bạn đã đánh giá việc giải quyết hồ sơ.")

    return _citizen_post(request, RateForm, act)


@require_POST
@never_cache
def complaint(request: HttpRequest) -> HttpResponse:
    """A complaint or recommendation (PAKN) about the dossier, with its own handling deadline (766 5.2)."""

    def act(dossier, form: ComplaintForm) -> str:
        dossier_complaint_by_citizen(
            dossier=dossier, kind=form.cleaned_data["kind"], content=form.cleaned_data["content"]
        )
        return _("Đã tiếp nhận phản ánh, kiến nghị của bạn. Cơ quan sẽ trả lời trong thời hạn quy định.")

    return _citizen_post(request, ComplaintForm, act)
