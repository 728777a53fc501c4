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

from sla.horizon import validate_in_calendar
from workflows import policy
from workflows.choices import NATIONAL_STATUS, AccessPurpose, Decision, ResultDelivery, SlaMark
from workflows.selectors import dossier_sla_state
from workflows.services import lifecycle as svc
from workflows.services.access import personal_data_access_log
from workflows.services.actions import ACTIONS, DELIVER, TASK, actions_for_page


class ActionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    revision = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Lý do, nội dung"),
        required=False,
        max_length=svc.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Kết quả"), choices=Decision.choices, required=False)
    new_due_at = forms.DateTimeField(
        label=gettext_lazy("Ngày hẹn trả mới"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
        validators=[validate_in_calendar],  # the service refuses it too; here it is a field error
    )
    via = forms.ChoiceField(
        label=gettext_lazy("Hình thức trả kết quả"), choices=ResultDelivery.choices, required=False
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _reason_sets(page: str) -> tuple[set[str], set[str]]:
    """Actions of ``page`` whose form carries the text box, and those whose rule requires the text."""
    actions = actions_for_page(page)
    return {a.name for a in actions if a.text}, {a.name for a in actions if a.text_required}


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
    page: str = TASK
    template_name = "workflows/task.html"

    def dossier(self, request: HttpRequest):
        return request.activation.process.artifact

    def context(self, request: HttpRequest, form: ActionForm | None = None) -> dict:
        dossier = self.dossier(request)
        # Every render of the task form shows the applicant (includes/summary.html): Decree 13 audit log.
        personal_data_access_log(
            user=request.user, dossier=dossier, purpose=AccessPurpose.TASK, request=request
        )
        now = timezone.now()
        names = policy.actions_allowed(request.user, dossier, page=self.page, now=now)
        sla_state = dossier_sla_state(dossier, now)
        step = dossier.current_step if self.page == TASK else None
        reason_actions, reason_required = _reason_sets(self.page)
        return {
            "dossier": dossier,
            "step": step,
            "sla_state": sla_state,
            "step_state": step_sla_state(step, sla_state, now),
            "national_status": NATIONAL_STATUS.get(dossier.status),
            "actions": [(name, ACTIONS[name].label) for name in names],
            "revision": dossier.revision,
            "form": form or ActionForm(initial={"revision": dossier.revision}),
            "outcome_choices": Decision.choices,
            "via_choices": ResultDelivery.choices,
            "reason_actions": reason_actions,
            "reason_required": reason_required,
            "viewset": request.resolver_match.flow_viewset,
        }

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        from django.shortcuts import render

        return render(request, self.template_name, self.context(request))

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        """Run the posted action through its service, offered or not: a refusal shows the rule's reason."""
        from django.shortcuts import render

        form = ActionForm(request.POST)
        dossier = self.dossier(request)
        page_actions = {a.name: a for a in actions_for_page(self.page)}
        if form.is_valid() and form.cleaned_data["action"] in page_actions:
            action = page_actions[form.cleaned_data["action"]]
            data = form.cleaned_data
            try:
                action.run(
                    dossier,
                    user=request.user,
                    text=data["reason"],
                    expected_revision=data["revision"],
                    outcome=data["outcome"] or Decision.APPROVED,
                    new_due_at=_aware(data["new_due_at"]) or dossier.due_at,
                    via=data["via"] or ResultDelivery.DIRECT,
                )
            except svc.LifecycleError as exc:
                messages.error(request, str(exc))
                status = 403 if isinstance(exc, svc.LifecyclePermissionError) else 409
                return render(request, self.template_name, self.context(request, form), status=status)
            messages.success(
                request,
                _("Đã ghi nhận: %(action)s — hồ sơ %(code)s.")
                % {"action": action.label, "code": dossier.code},
            )
            return HttpResponseRedirect(request.resolver_match.flow_viewset.get_success_url(request))
        messages.error(request, _("Thao tác không hợp lệ."))
        return render(request, self.template_name, self.context(request, form), status=400)


class StepTaskView(_TaskView):
    page = TASK


class DeliverTaskView(_TaskView):
    page = DELIVER
