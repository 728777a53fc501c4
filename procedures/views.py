"""The public procedure catalogue (no login): ``/thu-tuc/`` and ``/thu-tuc/<mã TTHC>/``.

Why public: every component of a TTHC — name, time limit, agency, dossier, fees, legal basis — must be made
public (Decree 63/2010 Art 8 k2, domain §2.1), and the online-service catalogue must be searchable by topic,
level and agency (Decree 42/2022 Art 12, domain §3.1). Citizens meet a procedure as it is *today*, so both
pages show the version in force on the local date (:func:`procedures.selectors.versions_in_force_on`).

Cost: a load test of 50 concurrent users hits both pages, so the number of queries is fixed whatever the
page or the filters (list: field choices, agency choices, count, page — plus the agency tree when filtering
by agency; detail: the version with its procedure and agency, then its steps). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, numberformat, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from procedures.choices import OnlineLevel, TermUnit
from procedures.filters import PublicCatalogueFilter
from procedures.models import ProcedureVersion
from procedures.selectors import version_in_force_by_code, version_steps, versions_in_force_on
from procedures.terms import format_decimal

PAGE_SIZE = 20


def term_text(amount: Decimal | None, unit: str) -> str:
    """``Decimal('15.00'), 'working_days'`` → ``15 ngày làm việc``; ``0.5`` → ``0,5`` in Vietnamese."""
    if amount is None or unit not in TermUnit.values:
        return "—"
    number = formats.number_format(Decimal(format_decimal(amount)))
    return f"{number} {TermUnit(unit).label}"


def grouped(amount: int) -> str:
    """``2500000`` → ``2.500.000`` (Vietnamese), ``2,500,000`` (English): money is always grouped by
    thousands, although Django's Vietnamese formats turn grouping off."""
    return numberformat.format(
        amount,
        formats.get_format("DECIMAL_SEPARATOR"),
        grouping=3,
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def online_term_text(version: ProcedureVersion) -> str:
    """The online term, or why there is none: no online service, or the committed term applies online."""
    if version.online_level == OnlineLevel.NONE:
        return _("Không áp dụng")
    if version.online_term_amount is None:
        return _("Như thời hạn cam kết")
    return term_text(version.online_term_amount, version.online_term_unit)


def fees_text(version: ProcedureVersion) -> str:
    """The published fee wording when there is one; else the amount ("50.000 đồng"), "Không thu" for 0."""
    if version.fees_text.strip():
        return version.fees_text.strip()
    if version.fees_vnd is None:
        return _("Theo quy định cụ thể của từng trường hợp")
    if version.fees_vnd == 0:
        return _("Không thu phí, lệ phí")
    return _("%(amount)s đồng") % {"amount": grouped(version.fees_vnd)}


@dataclass(frozen=True)
class CatalogueRow:
    """One line of the list: the version (procedure and agency joined) and its terms as text."""

    version: ProcedureVersion
    statutory: str
    committed: str

    @classmethod
    def of(cls, version: ProcedureVersion) -> CatalogueRow:
        return cls(
            version=version,
            statutory=term_text(version.statutory_term_amount, version.statutory_term_unit),
            committed=term_text(version.committed_term_amount, version.committed_term_unit),
        )


@ratelimit(key="ip", rate=lambda group, request: settings.PUBLIC_PAGE_RATE_IP, block=True)
@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    """``/thu-tuc/``: the procedures in force today, filtered and paginated (20 a page), by name."""
    today = timezone.localdate()
    filterset = PublicCatalogueFilter(
        request.GET or None,
        queryset=versions_in_force_on(today).order_by("procedure__name", "procedure__code"),
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    context: dict[str, Any] = {
        "public_section": "catalogue",
        "filter": filterset,
        "page": page,
        "rows": [CatalogueRow.of(version) for version in page.object_list],
        "total": page.paginator.count,
        "querystring": keep.urlencode(),
        "today": today,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }
    return render(request, "procedures/public/catalogue.html", context)


@ratelimit(key="ip", rate=lambda group, request: settings.PUBLIC_PAGE_RATE_IP, block=True)
@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    """``/thu-tuc/<code>/``: everything a citizen needs before coming to the desk; 404 when no procedure
    with this code is in force today."""
    today = timezone.localdate()
    version = version_in_force_by_code(code, today)
    if version is None:
        return render(
            request,
            "procedures/public/not_found.html",
            {"public_section": "catalogue", "code": code},
            status=404,
        )
    context = {
        "public_section": "catalogue",
        "version": version,
        "procedure": version.procedure,
        "statutory": term_text(version.statutory_term_amount, version.statutory_term_unit),
        "committed": term_text(version.committed_term_amount, version.committed_term_unit),
        "online_term": online_term_text(version),
        "fees": fees_text(version),
        "steps": [
            {"step": step, "time": term_text(step.allotted_working_hours, TermUnit.WORKING_HOURS)}
            for step in version_steps(version)
        ],
        "today": today,
    }
    return render(request, "procedures/public/procedure.html", context)


__all__ = ["catalogue", "procedure_detail"]
