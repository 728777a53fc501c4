"""Pages of the one-stop desk (Bộ phận Một cửa): receive, the online queue, the dossier page and the slips.

Thin views (architecture): every write is one lifecycle service call (``workflows.services``) and every read
goes through ``workflows.policy`` / ``workflows.selectors``; dates are never computed here — the due
moment, its explanation and the marks come from the services that own the clocks. A refusal by the rules
(``LifecycleError``) is shown to the officer as the rule's own message.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from procedures.models import Agency, Procedure
from procedures.selectors import procedures_receivable_at, receivable_by, version_in_force
from procedures.terms import format_decimal
from procedures.text import nfc
from sla.choices import TermUnit
from workflows import policy
from workflows.choices import (
    NATIONAL_STATUS,
    AccessPurpose,
    ApplicantKind,
    Channel,
    DossierStatus,
    Event,
    LegalRegime,
    RefusalKind,
    ResultDelivery,
)
from workflows.models import Dossier
from workflows.selectors import dossier_sla_state
from workflows.services import lifecycle as svc
from workflows.services.access import personal_data_access_log, personal_data_access_log_many
from workflows.services.actions import ACTIONS
from workflows.services.actions import DESK as DESK_PAGE
from workflows.views.facts import facts_context

# --- home ----------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Staff land in their viewflow inbox; anonymous visitors on the login page."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next=/")
    from workflows.flows import DossierFlow

    return redirect(DossierFlow.instance.reverse("inbox"))


def _unit_label(unit: str) -> str:
    return str(TermUnit(unit).label) if unit in TermUnit.values else unit


# --- receive -------------------------------------------------------------------------------------------


def _desk_or_none(request: HttpRequest, agency_id: str | int | None = None) -> Agency | None:
    desks = policy.desk_agencies(request.user)
    for agency in desks:
        if agency_id and str(agency.pk) == str(agency_id):
            return agency
    return desks[0] if desks else None


def _width(field: str) -> int:
    """The column width of a ``Dossier`` field: what a form may accept before the database refuses it."""
    return Dossier._meta.get_field(field).max_length


APPLICANT_FIELDS = (
    "applicant_name",
    "applicant_id_number",
    "applicant_address",
    "applicant_phone",
    "applicant_email",
)


class ReceiveForm(forms.Form):
    """Mẫu 01 fields (domain §1.10); the required documents are the procedure version's own list."""

    q = forms.CharField(label=gettext_lazy("Tìm thủ tục (mã hoặc tên)"), required=False, max_length=100)
    procedure = forms.ModelChoiceField(
        label=gettext_lazy("Thủ tục hành chính"),
        queryset=Procedure.objects.none(),
        required=True,
        # Choosing a procedure reloads its documents (config/static/motcua/behaviours.js; no inline script).
        widget=forms.Select(attrs={"data-click-on-change": "reload"}),
    )
    reception_agency = forms.ModelChoiceField(
        label=gettext_lazy("Nơi tiếp nhận"), queryset=Agency.objects.none(), required=False
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Kênh nộp"),
        choices=[(Channel.DIRECT.value, Channel.DIRECT.label), (Channel.POSTAL.value, Channel.POSTAL.label)],
        initial=Channel.DIRECT,
    )
    applicant_kind = forms.ChoiceField(
        label=gettext_lazy("Người nộp là"), choices=ApplicantKind.choices, initial=ApplicantKind.PERSON
    )
    # Bounded by the columns they are stored in; the ID and the phone are checked by Applicant.validate.
    applicant_name = forms.CharField(
        label=gettext_lazy("Tên tổ chức, cá nhân"), required=False, max_length=_width("applicant_name")
    )
    applicant_id_number = forms.CharField(
        label=gettext_lazy("Số định danh cá nhân / mã số thuế"),
        required=False,
        max_length=_width("applicant_id_number"),
        help_text=gettext_lazy("Cá nhân: 12 chữ số. Tổ chức: mã số thuế."),
    )
    applicant_address = forms.CharField(
        label=gettext_lazy("Địa chỉ"), required=False, max_length=_width("applicant_address")
    )
    applicant_phone = forms.CharField(
        label=gettext_lazy("Số điện thoại"), required=False, max_length=_width("applicant_phone")
    )
    applicant_email = forms.EmailField(
        label=gettext_lazy("Thư điện tử"), required=False, max_length=_width("applicant_email")
    )
    request_summary = forms.CharField(
        label=gettext_lazy("Nội dung yêu cầu giải quyết"),
        required=False,
        max_length=svc.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    copies = forms.IntegerField(
        label=gettext_lazy("Số lượng hồ sơ (bộ)"), min_value=1, max_value=svc.COPIES_MAX, initial=1
    )
    result_delivery = forms.ChoiceField(
        label=gettext_lazy("Nơi nhận kết quả"), choices=ResultDelivery.choices, initial=ResultDelivery.DIRECT
    )
    documents = forms.MultipleChoiceField(
        label=gettext_lazy("Thành phần hồ sơ đã nhận"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=gettext_lazy("Lý do không tiếp nhận / nội dung cần bổ sung (mỗi ý một dòng)"),
        required=False,
        max_length=svc.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        desks = policy.desk_agencies(user) if user is not None else []
        # Only what one of the officer's desks may receive today (Decree 118/2025; the service checks again).
        procedures = (
            procedures_receivable_at(desks, timezone.localdate()).select_related("agency").order_by("code")
        )
        query = (self.data.get("q") or self.initial.get("q") or "").strip()
        if query:
            from django.db.models import Q

            filtered = procedures.filter(Q(code__icontains=query) | Q(name__icontains=query))
            chosen = self.data.get("procedure") or self.initial.get("procedure")
            if chosen:
                filtered = procedures.filter(Q(pk__in=filtered.values("pk")) | Q(pk=chosen))
            procedures = filtered
        self.fields["procedure"].queryset = procedures
        self.fields["procedure"].label_from_instance = lambda p: f"{p.code} — {p.name}"
        desk_ids = [a.pk for a in desks]
        self.fields["reception_agency"].queryset = Agency.objects.filter(pk__in=desk_ids).order_by("code")
        if len(desk_ids) == 1:
            self.fields["reception_agency"].initial = desk_ids[0]
            self.fields["reception_agency"].widget = forms.HiddenInput()
        self.version = None
        chosen = self.data.get("procedure") or self.initial.get("procedure")
        procedure = Procedure.objects.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
        if procedure is not None:
            self.version = version_in_force(procedure, timezone.localdate())
        docs = self.version.required_documents_list if self.version else []
        self.fields["documents"].choices = [(d, d) for d in docs]

    @property
    def term_text(self) -> str:
        """The committed term of the chosen procedure, as the officer tells it to the applicant."""
        if self.version is None:
            return ""
        term = self.version.committed_term
        return f"{format_decimal(term.amount)} {_unit_label(term.unit)}"

    def applicant(self) -> svc.Applicant:
        data = self.cleaned_data
        return svc.Applicant(
            kind=data["applicant_kind"],
            name=data.get("applicant_name", ""),
            id_number=(data.get("applicant_id_number") or "").strip(),
            address=data.get("applicant_address", ""),
            phone=data.get("applicant_phone", ""),
            email=data.get("applicant_email") or "",
        )

    def clean(self) -> dict:
        data = super().clean()
        desk = data.get("reception_agency")
        if desk is None and self.version is not None:  # not chosen: the first desk that may receive it
            allowed = [d for d in self.fields["reception_agency"].queryset if receivable_by(self.version, d)]
            data["reception_agency"] = allowed[0] if allowed else None
        elif desk is not None and self.version is not None and not receivable_by(self.version, desk):
            self.add_error(
                "reception_agency",
                _("Thủ tục này không được tiếp nhận tại %(desk)s; chọn nơi tiếp nhận khác.")
                % {"desk": desk.name},
            )
        # Applicant.validate says what else is wrong, unless a field already failed its own bound.
        if "applicant_kind" in data and not any(name in self.errors for name in APPLICANT_FIELDS):
            try:
                self.applicant().validate()
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


def _typed(post) -> dict:
    """What the officer typed, as the initial values of a fresh (unvalidated) form."""
    typed = {name: post.get(name) for name in ReceiveForm.base_fields if name != "documents" and name in post}
    typed["documents"] = post.getlist("documents")
    return typed


RECEIVE, SUPPLEMENT, COMPETENCE = "receive", RefusalKind.SUPPLEMENT.value, RefusalKind.COMPETENCE.value


@login_required
def receive(request: HttpRequest) -> HttpResponse:
    """Receive a direct/postal dossier (Mẫu 01) or refuse it (Mẫu 02 / Mẫu 03), domain §1.3."""
    if not policy.desk_agencies(request.user):
        messages.error(
            request, _("Bạn chưa được phân công tại Bộ phận Một cửa nào nên không thể tiếp nhận hồ sơ.")
        )
        return render(request, "workflows/receive.html", {"form": None}, status=403)
    if request.method != "POST":
        # Only the procedure may come from a URL (a link "receive this procedure"); personal data never does.
        wanted = {key: request.GET[key] for key in ("q", "procedure") if key in request.GET}
        form = ReceiveForm(initial=wanted, user=request.user)
        return render(request, "workflows/receive.html", {"form": form})
    if "reload" in request.POST:
        # The procedure search is a POST that re-renders what was typed: a GET would put the applicant's name,
        # ID and phone (and the CSRF token) in the URL, and so in every proxy's and server's access log.
        form = ReceiveForm(initial=_typed(request.POST), user=request.user)
        return render(request, "workflows/receive.html", {"form": form})
    form = ReceiveForm(request.POST, user=request.user)
    action = request.POST.get("do", RECEIVE)
    if form.is_valid():
        data = form.cleaned_data
        common = {
            "procedure": data["procedure"],
            "channel": data["channel"],
            "applicant": form.applicant(),
            "reception_agency": data["reception_agency"] or _desk_or_none(request),
            "request_summary": data["request_summary"],
            "user": request.user,
        }
        try:
            if action == RECEIVE:
                dossier = svc.dossier_receive(
                    **common,
                    copies=data["copies"],
                    documents=data["documents"],
                    result_delivery=data["result_delivery"],
                )
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("workflows:slip", code=dossier.code, number="01")
            if action in (SUPPLEMENT, COMPETENCE):
                reason = data["reason"].strip()
                if not reason and action == SUPPLEMENT:
                    # What to complete, once and in writing (domain §1.3): the documents not ticked.
                    ticked = set(data["documents"])
                    reason = "\n".join(d for d, _l in form.fields["documents"].choices if d not in ticked)
                dossier = svc.dossier_refuse_receipt(kind=action, reason=reason, **common)
                messages.success(request, _("Đã lập phiếu cho hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("workflows:slip", code=dossier.code, number=slip_number(dossier, action))
            form.add_error(None, _("Thao tác không hợp lệ."))
        except ValidationError as exc:
            form.add_error(None, exc)
        except svc.LifecycleError as exc:
            form.add_error(None, str(exc))
    return render(request, "workflows/receive.html", {"form": form}, status=400)


# --- online dossiers awaiting the desk's check --------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def awaiting(request: HttpRequest) -> HttpResponse:
    """Online submissions (national status 1) at the officer's desks: receive or refuse each (§1.3)."""
    desks = policy.desk_agencies(request.user)
    qs = (
        policy.visible_dossiers(request.user)
        .filter(status=DossierStatus.SUBMITTED)
        .select_related("procedure_version__procedure", "agency")
        .order_by("submitted_at", "pk")
    )
    if request.method == "POST":
        dossier = get_object_or_404(qs, code=request.POST.get("code", ""))
        action = request.POST.get("do", "")
        kwargs = {
            "dossier": dossier,
            "user": request.user,
            "expected_revision": _int(request.POST.get("revision")),
            "reception_agency": _desk_or_none(request, request.POST.get("reception_agency")),
        }
        try:
            if action == RECEIVE:
                svc.dossier_receive(**kwargs)
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("workflows:slip", code=dossier.code, number="01")
            if action in (SUPPLEMENT, COMPETENCE):
                svc.dossier_refuse_receipt(kind=action, reason=request.POST.get("reason", ""), **kwargs)
                messages.success(request, _("Đã không tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("workflows:slip", code=dossier.code, number=slip_number(dossier, action))
            messages.error(request, _("Thao tác không hợp lệ."))
        except svc.LifecycleError as exc:
            messages.error(request, str(exc))
        return redirect("workflows:awaiting")
    shown = list(qs[:200])
    personal_data_access_log_many(
        user=request.user, dossiers=shown, purpose=AccessPurpose.LIST, request=request
    )
    return render(
        request,
        "workflows/awaiting.html",
        {"dossiers": shown, "desks": desks, "refusal_kinds": RefusalKind.choices},
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


# --- dossier list and page -----------------------------------------------------------------------------


@login_required
@require_safe
def dossier_list(request: HttpRequest) -> HttpResponse:
    """The dossiers the user may open, newest first (search by code or applicant)."""
    qs = policy.visible_dossiers(request.user).select_related("procedure_version__procedure", "agency")
    query = nfc(request.GET.get("q", "")).strip()  # names are stored NFC (Applicant)
    if query:
        from django.db.models import Q

        qs = qs.filter(Q(code__icontains=query) | Q(applicant_name__icontains=query))
    now = timezone.now()
    rows = [(d, dossier_sla_state(d, now)) for d in qs.order_by("-created_at", "-pk")[:100]]
    personal_data_access_log_many(
        user=request.user, dossiers=[d for d, _state in rows], purpose=AccessPurpose.LIST, request=request
    )
    return render(request, "workflows/dossier_list.html", {"rows": rows, "q": query})


def _visible_or_404(request: HttpRequest, code: str) -> Dossier:
    qs = policy.visible_dossiers(request.user).select_related(
        "procedure_version__procedure", "agency", "reception_agency", "deadline", "current_step"
    )
    return get_object_or_404(qs, code=code)


def _desk_actions(request: HttpRequest, dossier: Dossier) -> list[tuple[str, str]]:
    """The desk buttons this user may press now (``policy.actions_allowed``; the service checks again)."""
    names = policy.actions_allowed(request.user, dossier, page=DESK_PAGE)
    return [(name, ACTIONS[name].label) for name in names]


@login_required
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier: summary, appointment and why, the control sheet (Mẫu 06) and the event log."""
    dossier = _visible_or_404(request, code)
    personal_data_access_log(
        user=request.user, dossier=dossier, purpose=AccessPurpose.DESK_PAGE, request=request
    )
    now = timezone.now()
    steps = list(dossier.steps.select_related("unit").order_by("seq"))
    events = list(dossier.events.order_by("seq"))
    context = {
        "dossier": dossier,
        "national_status": NATIONAL_STATUS.get(dossier.status),
        "sla_state": dossier_sla_state(dossier, now),
        "explanation": dossier.deadline.explanation if dossier.deadline_id else [],
        "term": _term_text(dossier),
        "steps": steps,
        "events": events,
        "slips": available_slips(dossier),
        "desk_actions": _desk_actions(request, dossier),
        "task_url": _open_task_url(request, dossier),
        **facts_context(request, dossier, now),
    }
    return render(request, "workflows/dossier_detail.html", context)


def _open_task_url(request: HttpRequest, dossier: Dossier) -> str | None:
    """Link to the dossier's open viewflow task, when the user may act on it."""
    from viewflow.workflow.status import STATUS

    from workflows.flows import process_of

    process = process_of(dossier)
    if process is None:
        return None
    task = (
        process.task_set.filter(
            flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
        )
        .order_by("-pk")
        .first()
    )
    if task is None:
        return None
    try:
        return task.flow_task.reverse("detail", args=[process.pk, task.pk])
    except Exception:  # a flow not mounted in the URLconf has no task pages
        return None


@login_required
@require_POST
def dossier_action(request: HttpRequest, code: str) -> HttpResponse:
    """One desk action on the dossier page (withdraw, stop, supplement/payment done).

    An action of the desk page is run through its service even when the page did not offer it: the service
    refuses with the rule's reason, which the officer sees.
    """
    dossier = _visible_or_404(request, code)
    name = request.POST.get("action", "")
    action = ACTIONS.get(name)
    if action is None or DESK_PAGE not in action.pages:
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect("workflows:dossier", code=code)
    try:
        action.run(
            dossier,
            user=request.user,
            text=request.POST.get("reason", ""),
            expected_revision=_int(request.POST.get("revision")),
        )
    except svc.LifecycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Đã ghi nhận: %(action)s — hồ sơ %(code)s.") % {"action": action.label, "code": code}
        )
    return redirect("workflows:dossier", code=code)


# --- printable slips -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    kind: str
    number: str
    title: str


# Domain §1.10: TT 03/2025 numbering under Decree 118; TT 01/2018 numbering before it (no stop notice).
_SLIP_NUMBERS = {
    LegalRegime.ND118_2025: {
        "receipt": "01",
        "supplement": "02",
        "competence": "03",
        "apology": "04",
        "stop": "05",
        "control": "06",
    },
    LegalRegime.ND61_2018: {
        "receipt": "01",
        "supplement": "02",
        "competence": "03",
        "apology": "04",
        "control": "05",
    },
}


def _slip_title(kind: str, regime: str) -> str:
    titles = {
        "receipt": _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
        "supplement": _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
        "competence": _("Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
        "apology": _("Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết")
        if regime == LegalRegime.ND118_2025
        else _("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
        "stop": _("Thông báo dừng giải quyết hồ sơ"),
        "control": _("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    }
    return titles[kind]


def _slip_applies(dossier: Dossier, kind: str) -> bool:
    if kind in ("receipt", "control"):
        return dossier.received_at is not None
    if kind == "supplement":
        return dossier.refusal_kind == RefusalKind.SUPPLEMENT or dossier.supplement_count > 0
    if kind == "competence":
        return dossier.refusal_kind == RefusalKind.COMPETENCE
    if kind == "apology":
        return dossier.apology_at is not None
    if kind == "stop":
        return dossier.received_at is not None and dossier.status in (
            DossierStatus.STOPPED,
            DossierStatus.WITHDRAWN,
        )
    return False


def available_slips(dossier: Dossier) -> list[Slip]:
    numbers = _SLIP_NUMBERS.get(dossier.legal_regime, _SLIP_NUMBERS[LegalRegime.ND118_2025])
    return [
        Slip(kind, number, _slip_title(kind, dossier.legal_regime))
        for kind, number in numbers.items()
        if _slip_applies(dossier, kind)
    ]


def slip_number(dossier: Dossier, kind: str) -> str:
    numbers = _SLIP_NUMBERS.get(dossier.legal_regime, _SLIP_NUMBERS[LegalRegime.ND118_2025])
    return numbers[kind]


def _term_text(dossier: Dossier) -> str:
    """The term the clock was started with (the committed or online term), as "15 ngày làm việc"."""
    deadline = dossier.deadline
    if deadline is None:
        return ""
    return f"{format_decimal(deadline.term_amount)} {_unit_label(deadline.term_unit)}"


@login_required
def slip(request: HttpRequest, code: str, number: str) -> HttpResponse:
    """A printable A5 form (domain §1.10); 404 when the form does not apply to the dossier."""
    dossier = _visible_or_404(request, code)
    found = next((s for s in available_slips(dossier) if s.number == number), None)
    if found is None:
        raise Http404(_("Mẫu %(n)s không áp dụng cho hồ sơ này.") % {"n": number})
    personal_data_access_log(user=request.user, dossier=dossier, purpose=AccessPurpose.SLIP, request=request)
    events = list(dossier.events.order_by("seq"))

    def last(event: str):
        return next((e for e in reversed(events) if e.event == event), None)

    context = {
        "dossier": dossier,
        "slip": found,
        "issuer": dossier.reception_agency or dossier.agency,
        "version": dossier.procedure_version,
        "steps": list(dossier.steps.select_related("unit").order_by("seq")),
        "refusal_event": last(Event.REFUSE_RECEIPT),
        "supplement_event": last(Event.REQUEST_SUPPLEMENT),
        "stop_event": last(Event.STOP) or last(Event.WITHDRAW),
        "receive_event": last(Event.RECEIVE),
        "printed_at": timezone.now(),
        "term": _term_text(dossier),
    }
    return render(request, f"workflows/slips/{found.kind}.html", context)
