"""The supervisor's list (giám sát): dossiers of the supervised units that need attention now.

Domain §2.4: in-progress dossiers are in time, due soon ("sắp đến hạn", within 24 working hours of the
appointment — the ``due_soon_at`` column), overdue, or paused (waiting for a supplement or a financial
obligation, or stopped). The list shows the last three, counts them per unit and per officer (in SQL), and
exports the filtered list as CSV for Excel (UTF-8 with BOM, Vietnamese headers).

Thin view: the SLA state is the selector's SQL annotation; filtering is the FilterSet's; who sees which
units is ``policy.supervised_agency_ids``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.models import Agency
from procedures.text import csv_writer
from workflows.choices import DossierStatus, SlaMark
from workflows.filters import SUPERVISED_STATES, SupervisorDossierFilter
from workflows.models import Dossier
from workflows.policy import supervised_agency_ids
from workflows.selectors import with_sla_state

PAGE_SIZE = 50
# Where a dossier can be in progress, paused included (stopped counts as paused for the report, §2.4).
_WATCHED = (
    DossierStatus.RECEIVED,
    DossierStatus.IN_PROCESS,
    DossierStatus.SUPPLEMENT,
    DossierStatus.PAYMENT,
    DossierStatus.STOPPED,
)


def supervised_dossiers(user, now: datetime) -> QuerySet[Dossier]:
    """Overdue, due-soon and paused dossiers decided by the units ``user`` supervises, with ``sla_state``."""
    qs = Dossier.objects.filter(status__in=_WATCHED)
    ids = supervised_agency_ids(user)
    if ids is not None:
        qs = qs.filter(agency_id__in=ids)
    return (
        with_sla_state(qs, now)
        .filter(sla_state__in=[s.value for s in SUPERVISED_STATES])
        .select_related("procedure_version__procedure", "agency", "current_step__unit", "current_step__owner")
        .order_by("due_at", "code")
    )


def _dossier_url_prefix() -> str:
    """``/ho-so/`` as routed by the desk pages (the dossier page belongs to ``workflows:dossier``)."""
    try:
        return reverse("workflows:dossier", args=["CODE"]).removesuffix("CODE/")
    except NoReverseMatch:
        return "/ho-so/"


def _counts_per_unit(qs: QuerySet[Dossier]) -> list[dict]:
    """Per unit holding the dossier now: the current step's unit, else the deciding agency."""
    rows = list(
        qs.order_by()
        .annotate(unit_id=Coalesce(F("current_step__unit_id"), F("agency_id")))
        .values("unit_id")
        .annotate(total=Count("pk"))
        .order_by("-total")
    )
    names = dict(Agency.objects.filter(pk__in=[r["unit_id"] for r in rows]).values_list("pk", "name"))
    return [{"id": r["unit_id"], "name": names.get(r["unit_id"], "—"), "total": r["total"]} for r in rows]


def _counts_per_officer(qs: QuerySet[Dossier]) -> list[dict]:
    rows = list(qs.order_by().values("current_step__owner_id").annotate(total=Count("pk")).order_by("-total"))
    users = get_user_model().objects.in_bulk(
        [r["current_step__owner_id"] for r in rows if r["current_step__owner_id"]]
    )
    out = []
    for r in rows:
        user = users.get(r["current_step__owner_id"])
        name = (user.get_full_name() or user.get_username()) if user else _("Chưa phân công")
        out.append({"id": r["current_step__owner_id"], "name": name, "total": r["total"]})
    return out


def _counts_per_state(qs: QuerySet[Dossier]) -> list[dict]:
    found = dict(qs.order_by().values_list("sla_state").annotate(total=Count("pk")))
    return [{"value": s.value, "label": s.label, "total": found.get(s.value, 0)} for s in SUPERVISED_STATES]


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _officer(dossier: Dossier) -> str:
    step = dossier.current_step
    if step is None:
        return ""
    if step.owner is not None:
        return step.owner.get_full_name() or step.owner.get_username()
    return step.owner_name


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(qs: QuerySet[Dossier]) -> Iterator[str]:
    writer = csv_writer(_Echo())  # text a spreadsheet would run gets a leading '
    yield "\ufeff"  # Excel reads UTF-8 only with a BOM
    yield writer.writerow(
        [
            _("Mã hồ sơ"),
            _("Thủ tục"),
            _("Cơ quan"),
            _("Bước hiện tại"),
            _("Người xử lý"),
            _("Tiếp nhận"),
            _("Hẹn trả"),
            _("Hẹn lại"),
            _("Trạng thái SLA"),
        ]
    )
    labels = {s.value: str(s.label) for s in SlaMark}
    for d in qs.iterator(chunk_size=1000):
        procedure = d.procedure_version.procedure
        step = d.current_step
        yield writer.writerow(
            [
                d.code,
                f"{procedure.code} – {procedure.name}",
                d.agency.name,
                f"B{step.step_no} – {step.name} ({step.unit.name})" if step else "",
                _officer(d),
                _local(d.received_at),
                _local(d.due_at),
                _local(d.new_due_at),
                labels.get(d.sla_state, d.sla_state),
            ]
        )


def _csv_response(qs: QuerySet[Dossier], now: datetime) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_rows(qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="giam-sat-{stamp}.csv"'
    return response


@login_required
def supervisor_list(request: HttpRequest) -> HttpResponse:
    """The list, its counts, and ``?format=csv`` for the same filtered rows."""
    ids = supervised_agency_ids(request.user)
    if ids is not None and not ids:
        raise PermissionDenied(_("Bạn không được phân công giám sát đơn vị nào."))
    now = timezone.now()
    filterset = SupervisorDossierFilter(
        request.GET or None, queryset=supervised_dossiers(request.user, now), request=request
    )
    qs = filterset.qs
    if request.GET.get("format") == "csv":
        return _csv_response(qs, now)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {s.value: s.label for s in SlaMark}
    for dossier in page:
        dossier.sla_label = labels.get(dossier.sla_state, "")
    keep = request.GET.copy()
    keep.pop("page", None)
    keep.pop("format", None)
    context = {
        "filter": filterset,
        "page": page,
        "now": now,
        "dossier_url_prefix": _dossier_url_prefix(),
        "per_state": _counts_per_state(qs),
        "per_unit": _counts_per_unit(qs),
        "per_officer": _counts_per_officer(qs),
        "querystring": keep.urlencode(),
        "total": page.paginator.count,
    }
    return render(request, "workflows/supervisor_list.html", context)
