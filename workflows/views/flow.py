"""viewflow's own pages (inbox, queue, archive, process and task lists, process and task pages), scoped.

viewflow lets any holder of the model permission ``view_dossierprocess`` — every staff role — open any
process or task by its sequential id and list every agency's processes. Decree 13/2023/NĐ-CP (purpose
limitation) and the security level 3 rules (Decree 85/2016/NĐ-CP, TCVN 11930:2017: access control per
user) require each officer to reach only the dossiers of their own work, so:

- every list (inbox, queue, archive, ``flows/``, ``tasks/``, the bulk assign/unassign forms) is filtered by
  ``workflows.policy`` — the same rule as the desk pages, the admin and the API;
- every route that names a process (``<process_pk>``: process page, chart, cancel, and every task route of
  every node) answers 404 unless the process's dossier is visible to the user, and a task id must belong
  to the process named in the route (viewflow looks the task up by its own id only);
- viewflow's kanban dashboard, which lists tasks through its own unscoped manager, is replaced by a redirect
  to the inbox;
- a process or task page shown writes a personal-data access row (it renders the applicant's fields);
- anonymous visitors are sent to the login page.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.models import Task

from workflows import policy
from workflows.choices import AccessPurpose
from workflows.models import Dossier
from workflows.services.access import personal_data_access_log


class _TaskScope:
    """Lists of tasks filtered to the dossiers the user may see."""

    def get_queryset(self):
        return policy.visible_tasks(self.request.user, super().get_queryset())


class ScopedInboxView(_TaskScope, flow_views.FlowInboxListView):
    pass


class ScopedQueueView(_TaskScope, flow_views.FlowQueueListView):
    pass


class ScopedArchiveView(_TaskScope, flow_views.FlowArchiveListView):
    pass


class ScopedTaskListView(_TaskScope, flow_views.DashboardTaskListView):
    pass


class ScopedProcessListView(flow_views.DashboardProcessListView):
    def get_queryset(self):
        return policy.visible_processes(self.request.user, super().get_queryset()).order_by("-pk")


class _BulkScope:
    """The bulk forms act on posted task ids: only tasks of visible dossiers are ever selected.

    Django's form views run PUT as POST; these forms are posted only."""

    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        queryset = policy.visible_tasks(self.request.user, super().get_queryset())
        self.object_list = queryset
        return queryset


class ScopedBulkAssignView(_BulkScope, flow_views.BulkAssignTasksActionView):
    pass


class ScopedBulkUnassignView(_BulkScope, flow_views.BulkUnassignTasksActionView):
    pass


# Routes whose page shows no applicant (the chart) or logs the access itself (the task bodies of
# workflows.views.tasks): the wrapper does not write an access row for them.
_NOT_LOGGED = {"process_chart", "execute"}


def scoped_view(view, name: str | None = None):
    """Wrap one viewflow view: login required; a named process must be visible; a task must be its own.

    viewflow's process and task pages render the dossier's fields (the applicant's name, ID number,
    address, phone, e-mail): each such page shown is logged as a personal-data access (Decree 13/2023/NĐ-CP).
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        process_pk = kwargs.get("process_pk")
        dossier_id = None
        if process_pk is not None:
            dossier_id = policy.process_dossier_id(request.user, process_pk)
            if dossier_id is None:
                raise Http404
        task_pk = kwargs.get("task_pk")
        if task_pk is not None and not Task.objects.filter(pk=task_pk, process_id=process_pk).exists():
            raise Http404
        response = view(request, *args, **kwargs)
        shown = request.method == "GET" and response.status_code == 200 and name not in _NOT_LOGGED
        if dossier_id is not None and shown:
            personal_data_access_log(
                user=request.user,
                dossier=Dossier(pk=dossier_id),
                purpose=AccessPurpose.TASK if task_pk is not None else AccessPurpose.DESK_PAGE,
                request=request,
            )
        return response

    wrapped.motcua_scoped = True
    return wrapped


def scope_patterns(patterns: list) -> list:
    """Wrap every view under ``patterns`` (nested resolvers included) with :func:`scoped_view`, in place."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            scope_patterns(entry.url_patterns)
        elif isinstance(entry, URLPattern) and not getattr(entry.callback, "motcua_scoped", False):
            entry.callback = scoped_view(entry.callback, entry.name)
    return patterns


class ScopedFlowAppViewset(FlowAppViewset):
    """viewflow's flow application with every list, page and form scoped by ``workflows.policy``."""

    inbox_view_class = ScopedInboxView
    queue_view_class = ScopedQueueView
    archive_view_class = ScopedArchiveView
    task_list_view_class = ScopedTaskListView
    process_list_view_class = ScopedProcessListView
    tasks_assign_view_class = ScopedBulkAssignView
    tasks_unassign_view_class = ScopedBulkUnassignView

    @property
    def index_path(self):
        def index(request: HttpRequest) -> HttpResponse:
            return redirect(self.reverse("inbox"))

        return path("", index, name="index")

    def _get_urls(self):
        return scope_patterns(super()._get_urls())
