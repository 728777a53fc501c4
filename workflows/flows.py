"""The viewflow process that routes a dossier's human work (architecture decision 2).

One ``Flow`` for every procedure: the steps are data (``Dossier.route``, a snapshot of the procedure
version's internal procedure, domain §1.5), so a province adds a procedure without a deploy. The process
points at the dossier (``process.artifact``); a ``work`` task exists for the dossier's current step, offered
to the people holding that step's role in that step's unit (``workflows.policy.UnitRoleBackend``), a
``decide`` task once every step is done, and a ``deliver`` task at the desk once there is a result.

The lifecycle (``workflows.services``) is the authority: every event ends with :func:`flow_sync`, which
completes the open task when the dossier has moved past it — the ``route`` switch then opens the task the
dossier needs next — or cancels the process when the dossier ends without a result. Legal deadlines are
``sla`` clocks, not viewflow timers (architecture decision 3).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS, STATUS

from workflows.choices import OPEN_STATUSES, DossierStatus
from workflows.models import Dossier, Membership
from workflows.policy import unit_permission
from workflows.roles import Role
from workflows.views import tasks as task_views

# Inbox and queue rows show the dossier, not only "#process/task" — but never the applicant: the lists are
# not personal-data pages (Decree 13/2023/NĐ-CP, purpose limitation); the task page shows and logs them.
TASK_SUMMARY = "{{ process.artifact.code }} — {{ process.artifact.procedure_version.procedure.code }}"

WORK = "work"
DECIDE = "decide"
DELIVER = "deliver"


class DossierProcess(Process):
    """A viewflow process whose artifact is a :class:`~workflows.models.Dossier`."""

    class Meta:
        proxy = True
        verbose_name = _("quy trình xử lý hồ sơ")
        verbose_name_plural = _("quy trình xử lý hồ sơ")

    @property
    def dossier(self) -> Dossier:
        return self.artifact


def _wanted(dossier: Dossier) -> tuple[str, int | None] | None:
    """The human task the dossier needs now: (node name, dossier step id) or None."""
    if dossier.status in OPEN_STATUSES:
        if dossier.current_step_id is not None:
            return WORK, dossier.current_step_id
        return DECIDE, None
    if dossier.status == DossierStatus.DECIDED:
        return DELIVER, None
    return None


def _sole_member(role: str, agency_id: int):
    """Auto-assign when exactly one person holds the role in the unit; otherwise the task waits queued."""
    users = list(Membership.objects.filter(role=role, agency_id=agency_id).values_list("user", flat=True)[:2])
    if len(users) == 1:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(pk=users[0])
    return None


# viewflow resolves ``this`` references for owners but not for permissions: these are plain functions.
def _work_permission(activation) -> str:
    step = activation.process.artifact.current_step
    return unit_permission(step.role, step.unit_id)


def _decide_permission(activation) -> str:
    return unit_permission(Role.HEAD_OF_UNIT, activation.process.artifact.agency_id)


def _deliver_permission(activation) -> str:
    dossier = activation.process.artifact
    return unit_permission(Role.DESK_OFFICER, dossier.reception_agency_id or dossier.agency_id)


class DossierFlow(flow.Flow):
    process_class = DossierProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Giải quyết hồ sơ thủ tục hành chính")
    process_description = _("Tiếp nhận, xử lý theo quy trình nội bộ, ghi nhận kết quả và trả kết quả.")
    process_summary_template = "{{ process.artifact.code }}"

    start = flow.StartHandle(this.start_dossier).Next(this.route)

    route = (
        flow.Switch()
        .Case(this.work, this.needs_work)
        .Case(this.decide, this.needs_decision)
        .Case(this.deliver, this.needs_delivery)
        .Default(this.end)
    )

    work = (
        flow.View(task_views.StepTaskView.as_view())
        .Annotation(title=_("Xử lý bước của quy trình"), summary_template=TASK_SUMMARY)
        .Permission(_work_permission)
        .Assign(this.work_owner)
        .onCreate(this.remember_step)
        .Next(this.route)
    )

    decide = (
        flow.View(task_views.StepTaskView.as_view())
        .Annotation(title=_("Ghi nhận kết quả giải quyết"), summary_template=TASK_SUMMARY)
        .Permission(_decide_permission)
        .Next(this.route)
    )

    deliver = (
        flow.View(task_views.DeliverTaskView.as_view())
        .Annotation(title=_("Trả kết quả"), summary_template=TASK_SUMMARY)
        .Permission(_deliver_permission)
        .Next(this.end)
    )

    end = flow.End()

    # --- nodes' callables -------------------------------------------------------------------------------

    def start_dossier(self, activation, dossier: Dossier):
        activation.process.artifact = dossier
        activation.process.save()
        return activation.process

    def needs_work(self, activation) -> bool:
        wanted = _wanted(activation.process.artifact)
        return wanted is not None and wanted[0] == WORK

    def needs_decision(self, activation) -> bool:
        wanted = _wanted(activation.process.artifact)
        return wanted is not None and wanted[0] == DECIDE

    def needs_delivery(self, activation) -> bool:
        wanted = _wanted(activation.process.artifact)
        return wanted is not None and wanted[0] == DELIVER

    def work_owner(self, activation):
        step = activation.process.artifact.current_step
        return step.owner or _sole_member(step.role, step.unit_id)

    def remember_step(self, activation) -> None:
        activation.task.data = {"dossier_step": activation.process.artifact.current_step_id}
        activation.task.save(update_fields=["data"])


def process_of(dossier: Dossier) -> DossierProcess | None:
    ct = ContentType.objects.get_for_model(Dossier)
    return (
        DossierProcess.objects.filter(artifact_content_type=ct, artifact_object_id=dossier.pk)
        .order_by("-pk")
        .first()
    )


def _open_task(process: DossierProcess):
    return (
        process.task_set.filter(flow_task_type="HUMAN")
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED])
        .order_by("-pk")
        .first()
    )


def _matches(task, wanted: tuple[str, int | None]) -> bool:
    node, step_id = wanted
    if task.flow_task.name != node:
        return False
    return node != WORK or task.data.get("dossier_step") == step_id


def flow_sync(dossier: Dossier, *, user=None) -> None:
    """Bring the dossier's viewflow process in line with its lifecycle state (called by every event)."""
    wanted = _wanted(dossier)
    process = process_of(dossier)
    if process is None:
        if wanted is not None:
            DossierFlow.start.run(dossier=dossier)
        return
    if process.status != PROCESS.NEW:
        return
    with DossierFlow.lock(process.pk):
        task = _open_task(process)
        if task is not None and wanted is not None and _matches(task, wanted):
            return
        if wanted is None and dossier.status != DossierStatus.RETURNED:
            DossierFlow.instance.cancel(process)
            return
        if task is None:
            return
        # The dossier moved past this task: complete it; the route switch opens the next one (or ends).
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        activation.start(None)
        activation.execute()
