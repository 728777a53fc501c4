"""The dossier page's section for the indicator facts (issue 4 part 1): e-result, digitisation, VNeID, fees
and online payment, portal sync, the citizen's rating and complaints (PAKN).

Legal basis: the portal sync fields of domain §4.3 and the 766 indicators built on them (§4.2 groups 1, 3, 4
and 5); the rules themselves live in :mod:`workflows.services.facts`. Thin views (architecture): a POST to
``ho-so/<code>/du-lieu/<fact>/`` validates one small form (:mod:`workflows.forms_facts`) and calls exactly one
service; a refusal is shown as the service's own message, like the desk actions (``/thao-tac/``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflows import policy
from workflows import services as svc
from workflows.choices import DigitisedFlag, DossierStatus, SlaMark
from workflows.forms_facts import (
    ComplaintDoneForm,
    ComplaintForm,
    DigitisedForm,
    EResultForm,
    FeeForm,
    RateForm,
    SyncForm,
    VneidForm,
)
from workflows.models import Complaint, Dossier

S = DossierStatus
_RECEIVED = frozenset(
    {S.RECEIVED, S.IN_PROCESS, S.SUPPLEMENT, S.PAYMENT, S.STOPPED, S.WITHDRAWN, S.DECIDED, S.RETURNED}
)
_SUBMITTED_OR_RECEIVED = _RECEIVED | {S.SUBMITTED}
_RATEABLE = frozenset({S.DECIDED, S.RETURNED, S.WITHDRAWN, S.STOPPED})

Record = Callable[[Dossier, dict[str, Any], Any], Dossier]


@dataclass(frozen=True)
class Fact:
    """One fact the desk records: its form, the one service call, and when its form makes sense to show."""

    slug: str
    title: Promise
    form: type[forms.Form]
    record: Record
    states: frozenset[str]
    event: str  # the fact's event: ``policy.FACT_RECORDERS`` says who may record it


FACTS: dict[str, Fact] = {
    f.slug: f
    for f in [
        Fact(
            "ket-qua-dien-tu",
            gettext_lazy("Cấp kết quả điện tử"),
            EResultForm,
            lambda d, data, user: svc.dossier_e_result(
                dossier=d, code=data["code"], url=data["url"], user=user
            ),
            _RECEIVED,
            "e_result",
        ),
        Fact(
            "so-hoa",
            gettext_lazy("Số hóa, tái sử dụng thành phần hồ sơ"),
            DigitisedForm,
            lambda d, data, user: svc.dossier_digitised(dossier=d, flags=data["flags"], user=user),
            _SUBMITTED_OR_RECEIVED,
            "digitised",
        ),
        Fact(
            "vneid",
            gettext_lazy("Xác nhận tài khoản xác thực VNeID"),
            VneidForm,
            lambda d, data, user: svc.dossier_vneid(dossier=d, user=user),
            _SUBMITTED_OR_RECEIVED,
            "vneid",
        ),
        Fact(
            "phi-le-phi",
            gettext_lazy("Ghi nhận phí, lệ phí và thanh toán"),
            FeeForm,
            lambda d, data, user: svc.dossier_fee(
                dossier=d, amount_vnd=data["amount_vnd"], paid_online=data["paid_online"], user=user
            ),
            _SUBMITTED_OR_RECEIVED,
            "fee",
        ),
        Fact(
            "dong-bo",
            gettext_lazy("Ghi nhận đã đồng bộ lên Cổng DVCQG"),
            SyncForm,
            lambda d, data, user: svc.dossier_sync(dossier=d, user=user),
            _RECEIVED,
            "sync",
        ),
        Fact(
            "danh-gia",
            gettext_lazy("Ghi nhận đánh giá của người dân (phiếu giấy)"),
            RateForm,
            lambda d, data, user: svc.dossier_rate(
                dossier=d, rating=data["rating"], user=user, on_behalf=data["on_behalf"]
            ),
            _RATEABLE,
            "rate",
        ),
        Fact(
            "phan-anh",
            gettext_lazy("Tiếp nhận phản ánh, kiến nghị"),
            ComplaintForm,
            lambda d, data, user: svc.dossier_complaint(
                dossier=d, kind=data["kind"], content=data["content"], repeated=data["repeated"], user=user
            ),
            _SUBMITTED_OR_RECEIVED,
            "complaint",
        ),
        Fact(
            "phan-anh-xong",
            gettext_lazy("Ghi nhận đã xử lý phản ánh, kiến nghị"),
            ComplaintDoneForm,
            lambda d, data, user: svc.dossier_complaint_done(dossier=d, feedback=data["feedback"], user=user),
            _SUBMITTED_OR_RECEIVED,
            "complaint_done",
        ),
    ]
}


def _auto_id(fact: Fact) -> str:
    return f"id_{fact.slug}_%s"


def _dossier_or_404(request: HttpRequest, code: str) -> Dossier:
    qs = policy.visible_dossiers(request.user).select_related("agency", "current_step")
    return get_object_or_404(qs, code=code)


def _form_errors(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


@login_required
@require_POST
def dossier_fact(request: HttpRequest, code: str, fact: str) -> HttpResponse:
    """Record one fact on the dossier: validate the fact's form, call its one service, go back to the page."""
    spec = FACTS.get(fact)
    if spec is None:
        raise Http404(_("Không có loại dữ liệu “%(fact)s”.") % {"fact": fact})
    dossier = _dossier_or_404(request, code)
    form = spec.form(request.POST, auto_id=_auto_id(spec))
    if not form.is_valid():
        messages.error(
            request,
            _("Chưa ghi nhận “%(fact)s”: %(errors)s") % {"fact": spec.title, "errors": _form_errors(form)},
        )
    else:
        try:
            spec.record(dossier, form.cleaned_data, request.user)
        except svc.LifecycleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Đã ghi nhận: %(fact)s — hồ sơ %(code)s.") % {"fact": spec.title, "code": code}
            )
    return redirect("workflows:dossier", code=code)


# --- the section on the dossier page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintRow:
    complaint: Complaint
    mark: str  # an SlaMark value: on_time / late when handled, in_time / overdue while open


def _complaint_mark(complaint: Complaint, now: datetime) -> str:
    if complaint.resolved_at is not None:
        return SlaMark.ON_TIME if complaint.resolved_at <= complaint.due_at else SlaMark.LATE
    return SlaMark.IN_TIME if now <= complaint.due_at else SlaMark.OVERDUE


def _initial(dossier: Dossier, fact: Fact) -> dict[str, Any]:
    if fact.form is EResultForm:
        return {"code": dossier.e_result_code, "url": dossier.e_result_url}
    if fact.form is DigitisedForm:
        return {"flags": digitised_flags(dossier)}
    if fact.form is FeeForm and dossier.fee_total_vnd is not None:
        return {"amount_vnd": dossier.fee_total_vnd, "paid_online": dossier.paid_online}
    if fact.form is RateForm and dossier.rating:
        return {"rating": dossier.rating}
    return {}


def digitised_flags(dossier: Dossier) -> list[str]:
    """The ``DigitisedFlag`` values switched on for the dossier."""
    fields = {
        DigitisedFlag.ATTACHMENTS: dossier.digitised_attachments,
        DigitisedFlag.REUSED: dossier.digitised_reused,
        DigitisedFlag.DATA_STORE: dossier.digitised_from_store,
        DigitisedFlag.RESULT_IN_STORE: dossier.result_in_store,
    }
    return [flag.value for flag, on in fields.items() if on]


def facts_context(request: HttpRequest, dossier: Dossier, now: datetime | None = None) -> dict[str, Any]:
    """What the facts section of the dossier page shows: the facts, the complaints, the forms that apply."""
    now = now or timezone.now()
    complaints = [
        ComplaintRow(c, _complaint_mark(c, now)) for c in dossier.complaints.order_by("-received_at")
    ]
    open_complaint = any(row.complaint.resolved_at is None for row in complaints)
    forms_shown: list[tuple[Fact, forms.Form]] = []
    allowed = policy.facts_allowed(request.user, dossier)
    for fact in FACTS.values():
        if fact.event not in allowed or dossier.status not in fact.states:
            continue
        if fact.form is ComplaintForm and open_complaint:
            continue
        if fact.form is ComplaintDoneForm and not open_complaint:
            continue
        if fact.form is VneidForm and dossier.vneid_verified:
            continue
        if fact.form is SyncForm and dossier.synced_at:
            continue
        forms_shown.append((fact, fact.form(initial=_initial(dossier, fact), auto_id=_auto_id(fact))))
    flags = set(digitised_flags(dossier))
    fee = dossier.fee_total_vnd
    return {
        # Vietnamese groups thousands with a dot: 150.000 đồng.
        "fact_fee_vnd": None if fee is None else f"{fee:,}".replace(",", "."),
        "fact_digitised": [(label, value in flags) for value, label in DigitisedFlag.choices],
        "fact_complaints": complaints,
        "fact_forms": forms_shown,
    }
