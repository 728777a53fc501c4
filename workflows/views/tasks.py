"""Task views of the viewflow flow: the officer holding a step acts on the dossier from here.

Thin: each button is one lifecycle service call (``workflows.services``); the service completes the viewflow
task itself when the dossier moves on (``workflows.flows.flow_sync``), so the view never calls
``activation.execute()``. The form carries the revision the officer saw: if someone else acted meanwhile,
the service refuses with "changed by someone else" instead of overwriting.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from workflows.choices import NATIONAL_STATUS, AccessPurpose, Decision, DossierStatus, ResultDelivery, SlaMark
from workflows.selectors import dossier_sla_state
from workflows.services import lifecycle as svc
from workflows.services.access import personal_data_access_log


class ActionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    revision = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Lý do, nội dung"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Kết quả"), choices=Decision.choices, required=False)
    new_due_at = forms.DateTimeField(
        label=gettext_lazy("Ngày hẹn trả mới"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    via = forms.ChoiceField(
        label=gettext_lazy("Hình thức trả kết quả"), choices=ResultDelivery.choices, required=False
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


STEP_ACTIONS: dict[str, tuple] = {
    "step_done": (
        gettext_lazy("Hoàn thành bước, chuyển bước tiếp theo"),
        lambda d, f, **kw: svc.dossier_step_done(dossier=d, note=f["reason"], **kw),
    ),
    "return_step": (
        gettext_lazy("Trả lại bước trước"),
        lambda d, f, **kw: svc.dossier_return_step(dossier=d, reason=f["reason"], **kw),
    ),
    "request_supplement": (
        gettext_lazy("Yêu cầu bổ sung hồ sơ (Mẫu 02)"),
        lambda d, f, **kw: svc.dossier_request_supplement(dossier=d, reason=f["reason"], **kw),
    ),
    "supplement_done": (
        gettext_lazy("Ghi nhận đã bổ sung"),
        lambda d, f, **kw: svc.dossier_supplement_done(dossier=d, note=f["reason"], **kw),
    ),
    "request_payment": (
        gettext_lazy("Chờ thực hiện nghĩa vụ tài chính"),
        lambda d, f, **kw: svc.dossier_request_payment(dossier=d, reason=f["reason"], **kw),
    ),
    "payment_done": (
        gettext_lazy("Đã thực hiện nghĩa vụ tài chính"),
        lambda d, f, **kw: svc.dossier_payment_done(dossier=d, note=f["reason"], **kw),
    ),
    "apologize": (
        gettext_lazy("Xin lỗi và hẹn lại ngày trả (Mẫu 04)"),
        lambda d, f, **kw: svc.dossier_apologize(
            dossier=d, new_due_at=_aware(f["new_due_at"]) or d.due_at, reason=f["reason"], **kw
        ),
    ),
    "decide": (
        gettext_lazy("Ghi nhận kết quả giải quyết"),
        lambda d, f, **kw: svc.dossier_decide(
            dossier=d, outcome=f["outcome"] or Decision.APPROVED, reason=f["reason"], **kw
        ),
    ),
}
DELIVER_ACTIONS: dict[str, tuple] = {
    "return_result": (
        gettext_lazy("Trả kết quả, đóng hồ sơ"),
        lambda d, f, **kw: svc.dossier_return_result(dossier=d, via=f["via"] or ResultDelivery.DIRECT, **kw),
    ),
}


def available_actions(dossier, actions: dict[str, tuple]) -> list[str]:
    """Buttons that make sense in the dossier's state (the service still checks every rule)."""
    status = dossier.status
    names = []
    for name in actions:
        if name in ("supplement_done",) and status != DossierStatus.SUPPLEMENT:
            continue
        if name in ("payment_done",) and status != DossierStatus.PAYMENT:
            continue
        if status in (DossierStatus.SUPPLEMENT, DossierStatus.PAYMENT) and name not in (
            "supplement_done",
            "payment_done",
            "apologize",
        ):
            continue
        if name == "step_done" and dossier.current_step_id is None:
            continue
        if name == "return_step" and (dossier.current_step is None or dossier.current_step.route_index == 0):
            continue
        if name == "apologize" and dossier.apology_at is not None:
            continue
        names.append(name)
    return names


# Actions whose form carries a reason/note textarea, and those where the rule requires one.
REASON_ACTIONS = {
    "step_done",
    "return_step",
    "request_supplement",
    "supplement_done",
    "request_payment",
    "payment_done",
    "apologize",
    "decide",
}
REASON_REQUIRED = {"return_step", "request_supplement", "apologize"}


def step_sla_state(step, dossier_state: str | None, now: datetime) -> str | None:
    """The current step's colour: its own due moment and 75% mark come from the service, never from here."""
    if step is None or step.due_at is None:
        return None
    if dossier_state == SlaMark.PAUSED:
        return SlaMark.PAUSED
    if now > step.due_at:
        return SlaMark.OVERDUE
    if step.three_quarters_at is not None and now >= step.three_quarters_at:
        return SlaMark.DUE_SOON
    return SlaMark.IN_TIME


class _TaskView(View):
    actions: dict[str, tuple] = {}
    template_name = "workflows/task.html"

    def dossier(self, request: HttpRequest):
        return request.activation.process.artifact

    def context(self, request: HttpRequest, form: ActionForm | None = None) -> dict:
        dossier = self.dossier(request)
        # Every render of the task form shows the applicant (includes/summary.html): Decree 13 audit log.
        personal_data_access_log(
            user=request.user, dossier=dossier, purpose=AccessPurpose.TASK, request=request
        )
        names = available_actions(dossier, self.actions)
        now = timezone.now()
        sla_state = dossier_sla_state(dossier, now)
        step = dossier.current_step if self.actions is STEP_ACTIONS else None
        return {
            "dossier": dossier,
            "step": step,
            "sla_state": sla_state,
            "step_state": step_sla_state(step, sla_state, now),
            "national_status": NATIONAL_STATUS.get(dossier.status),
            "actions": [(name, self.actions[name][0]) for name in names],
            "revision": dossier.revision,
            "form": form or ActionForm(initial={"revision": dossier.revision}),
            "outcome_choices": Decision.choices,
            "via_choices": ResultDelivery.choices,
            "reason_actions": REASON_ACTIONS,
            "reason_required": REASON_REQUIRED,
            "viewset": request.resolver_match.flow_viewset,
        }

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        from django.shortcuts import render

        return render(request, self.template_name, self.context(request))

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        from django.shortcuts import render

        form = ActionForm(request.POST)
        dossier = self.dossier(request)
        if form.is_valid() and form.cleaned_data["action"] in self.actions:
            _label, run = self.actions[form.cleaned_data["action"]]
            try:
                run(
                    dossier,
                    form.cleaned_data,
                    user=request.user,
                    expected_revision=form.cleaned_data["revision"],
                )
            except svc.LifecycleError as exc:
                messages.error(request, str(exc))
                return render(request, self.template_name, self.context(request, form), status=409)
            messages.success(
                request,
                _("Đã ghi nhận: %(action)s — hồ sơ %(code)s.") % {"action": _label, "code": dossier.code},
            )
            return HttpResponseRedirect(request.resolver_match.flow_viewset.get_success_url(request))
        messages.error(request, _("Thao tác không hợp lệ."))
        return render(request, self.template_name, self.context(request, form), status=400)


class StepTaskView(_TaskView):
    actions = STEP_ACTIONS


class DeliverTaskView(_TaskView):
    actions = DELIVER_ACTIONS
