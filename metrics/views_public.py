"""Public statistics (công khai kết quả giải quyết TTHC), no login: ``/thong-ke/``, ``/thong-ke/<agency>/``.

Why public: the 766 results are published on the national and provincial portals (Decision 766/QĐ-TTg,
domain §4.1), per agency and per month, quarter or year. For each agency the page shows

* the on-time rate — **766 indicator 2.1** "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn": (finished early or on
  time + in progress within time) / dossiers received or processed in the period (domain §4.2, §2.4), the
  figure the province is scored on, not the TT 01/2020 report's finished-only split;
* the online share — **766 indicator 3.3** "Tỷ lệ hồ sơ nộp trực tuyến" (qualifying online dossiers /
  dossiers received, × the sync ratio when configured);
* the 766 total score out of 100, and on the agency's page its whole scorecard and the previous periods.

Which agencies: the ones Prometheus and the refresh of current scores report under
(:func:`metrics.rollups.label_scopes`, ``METRICS_AGENCY_LEVEL``, department by default): each department with
the units below it, each commune, and any agency with no department above it. So the figures here are the
same scopes an operator sees.

Cost: a public page must never recompute per hit. The figures come from :func:`metrics.indicators.scorecard`
(rollups where the period allows) and are kept in Django's cache for ``PUBLIC_STATISTICS_CACHE_SECONDS``
(default 300): the agency list, each period's overview and each agency-period scorecard, as plain numbers
(no model instance, no translated text, so one entry serves every language). The periods offered are a fixed
list around today (12 months, 4 quarters, 3 years), so the cache keys are bounded and a crafted query string
cannot fill the cache or force work. Only aggregate counts are kept or shown: no dossier, applicant or
officer (Decree 13/2023, domain §8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from metrics.indicators import GROUPS, INDICATOR_BY_CODE, INDICATORS, Period, Scope, scorecard
from metrics.rollups import label_scopes
from procedures.choices import AgencyLevel
from procedures.models import Agency

T = TypeVar("T")

CACHE_PREFIX = "public-statistics:v1"
DEFAULT_CACHE_SECONDS = 300
# How many periods of each kind a visitor may choose, the current one included.
PERIOD_COUNTS = {"month": 12, "quarter": 4, "year": 3}
KIND_LABELS = {
    "month": gettext_lazy("Tháng"),
    "quarter": gettext_lazy("Quý"),
    "year": gettext_lazy("Năm"),
}
# Rows of the history table on an agency's page: the chosen period and up to this many before it.
HISTORY_LENGTH = {"month": 5, "quarter": 3, "year": 2}
# The two sections of the overview: the provincial side (department level) and the communes.
COMMUNE_LEVELS = {AgencyLevel.COMMUNE.value}
# The three figures of the overview, by 766 indicator code.
ON_TIME, ONLINE = "2.1", "3.3"


# --- periods ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodChoice:
    """One period a visitor can pick: ``2026-11`` (month), ``2026-q4`` (quarter), ``2026`` (year)."""

    key: str
    kind: str
    period: Period

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("Tháng %(m)s/%(y)s") % {"m": f"{self.period.start:%m}", "y": self.period.start.year}
        if self.kind == "quarter":
            quarter = (self.period.start.month - 1) // 3 + 1
            return _("Quý %(q)s/%(y)s") % {"q": quarter, "y": self.period.start.year}
        return _("Năm %(y)s") % {"y": self.period.start.year}


def _previous_day(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def period_choices(today: date) -> list[PeriodChoice]:
    """The periods offered on ``today``, newest first within each kind: months, then quarters, then years."""
    choices: list[PeriodChoice] = []
    for kind, count in PERIOD_COUNTS.items():
        day = today
        for _n in range(count):
            period = Period.named(kind, day)
            if kind == "month":
                key = f"{period.start:%Y-%m}"
            elif kind == "quarter":
                key = f"{period.start.year}-q{(period.start.month - 1) // 3 + 1}"
            else:
                key = str(period.start.year)
            choices.append(PeriodChoice(key=key, kind=kind, period=period))
            day = _previous_day(period.start)
    return choices


def chosen_period(request: HttpRequest, choices: list[PeriodChoice]) -> tuple[PeriodChoice, bool]:
    """The period asked for in ``?period=``, or the current month; the flag says a bad value was ignored."""
    asked = request.GET.get("period", "")
    found = next((c for c in choices if c.key == asked), None)
    return found or choices[0], bool(asked) and found is None


def history_of(choice: PeriodChoice, choices: list[PeriodChoice]) -> list[PeriodChoice]:
    """The chosen period and the ones of the same kind before it, newest first, within the offered list."""
    same_kind = [c for c in choices if c.kind == choice.kind]
    start = same_kind.index(choice)
    return same_kind[start : start + 1 + HISTORY_LENGTH[choice.kind]]


# --- cached figures ---------------------------------------------------------------------------------------


def cache_seconds() -> int:
    return int(getattr(settings, "PUBLIC_STATISTICS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def _cached(key: str, compute: Callable[[], T]) -> T:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, cache_seconds())
    return value


def _scopes_key() -> str:
    return f"{CACHE_PREFIX}:scopes"


def _card_key(code: str, choice: PeriodChoice) -> str:
    return f"{CACHE_PREFIX}:card:{code}:{choice.key}:{choice.period.start:%Y%m%d}"


def _overview_key(choice: PeriodChoice) -> str:
    return f"{CACHE_PREFIX}:overview:{choice.key}:{choice.period.start:%Y%m%d}"


def public_scopes() -> dict[str, dict[str, Any]]:
    """Agency code → ``{code, name, level, ids}`` of the agencies published, in display order (cached)."""

    def compute() -> dict[str, dict[str, Any]]:
        labels = label_scopes()
        agencies = Agency.objects.filter(code__in=list(labels), is_active=True).values_list(
            "code", "name", "level"
        )
        rows = [
            {"code": code, "name": name, "level": level, "ids": tuple(sorted(labels[code]))}
            for code, name, level in agencies
        ]
        rows.sort(key=lambda r: (r["level"] in COMMUNE_LEVELS, r["name"], r["code"]))
        return {r["code"]: r for r in rows}

    return _cached(_scopes_key(), compute)


def compact_card(card: dict[str, Any]) -> dict[str, Any]:
    """The part of a scorecard the public pages show: counts, ratios and scores only."""
    qd = card["qd766"]
    keep = ("numerator", "denominator", "ratio", "score", "max")
    return {
        "as_of": card["as_of"],
        "received_total": card["report_row"]["received_total"],
        "indicators": {code: {k: qd[code][k] for k in keep} for code in INDICATOR_BY_CODE},
        "group_scores": dict(qd["group_scores"]),
        "group_max": dict(qd["group_max"]),
        "total_score": qd["total_score"],
        "total_max": qd["total_max"],
    }


def _compute_card(entry: dict[str, Any], choice: PeriodChoice) -> dict[str, Any]:
    agency = Agency.objects.get(code=entry["code"])
    scope = Scope(agency=agency, agency_ids=entry["ids"], include_children=len(entry["ids"]) > 1)
    return compact_card(scorecard(scope, choice.period, now=timezone.now(), source="auto"))


def agency_card(entry: dict[str, Any], choice: PeriodChoice) -> dict[str, Any]:
    """The compact 766 scorecard of one published agency (with its units) for one period (cached)."""
    return _cached(_card_key(entry["code"], choice), lambda: _compute_card(entry, choice))


def overview(choice: PeriodChoice) -> dict[str, Any]:
    """Every published agency's received count, 2.1, 3.3 and total score for one period (cached).

    Computing it also stores each agency's card, so the click from the overview to an agency is a cache hit.
    """

    def compute() -> dict[str, Any]:
        scopes = public_scopes()
        agencies = {a.code: a for a in Agency.objects.filter(code__in=list(scopes))}
        now = timezone.now()
        cards: dict[str, dict[str, Any]] = {}
        for code, entry in scopes.items():
            if code not in agencies:
                continue
            scope = Scope(
                agency=agencies[code], agency_ids=entry["ids"], include_children=len(entry["ids"]) > 1
            )
            cards[code] = compact_card(scorecard(scope, choice.period, now=now, source="auto"))
        cache.set_many({_card_key(code, choice): card for code, card in cards.items()}, cache_seconds())
        rows = [
            {
                "code": code,
                "name": scopes[code]["name"],
                "level": scopes[code]["level"],
                "received_total": card["received_total"],
                "on_time": card["indicators"][ON_TIME],
                "online": card["indicators"][ONLINE],
                "total_score": card["total_score"],
                "total_max": card["total_max"],
            }
            for code, card in cards.items()
        ]
        return {"rows": rows, "computed_at": now}

    return _cached(_overview_key(choice), compute)


# --- presentation -----------------------------------------------------------------------------------------


def _indicator_name(code: str) -> str:
    indicator = INDICATOR_BY_CODE[code]
    return indicator.name_en if (get_language() or "vi").startswith("en") else indicator.name_vi


def scorecard_groups(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's indicators grouped as in Decision 766 (groups 1–5), each with its subtotal."""
    groups = []
    for number, label in GROUPS.items():
        rows = [
            {
                "code": indicator.code,
                "name": _indicator_name(indicator.code),
                "is_days": indicator.code == "2.2",
                **card["indicators"][indicator.code],
            }
            for indicator in INDICATORS
            if indicator.group == number
        ]
        groups.append(
            {
                "number": number,
                "label": label,
                "rows": rows,
                "score": card["group_scores"][str(number)],
                "max": card["group_max"][str(number)],
            }
        )
    return groups


def _sections(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Provincial agencies, then communes; best total score first in each, ranked 1, 2, …"""
    sections = []
    for title, communes in (
        (_("Sở, ban, ngành và cơ quan cấp tỉnh"), False),
        (_("Ủy ban nhân dân cấp xã"), True),
    ):
        chosen = [r for r in rows if (r["level"] in COMMUNE_LEVELS) == communes]
        chosen.sort(key=lambda r: (-r["total_score"], r["name"]))
        if chosen:
            sections.append({"title": title, "rows": [{**r, "rank": n} for n, r in enumerate(chosen, 1)]})
    return sections


def _grouped_choices(choices: list[PeriodChoice]) -> list[tuple[str, list[PeriodChoice]]]:
    return [(str(label), [c for c in choices if c.kind == kind]) for kind, label in KIND_LABELS.items()]


def _base_context(request: HttpRequest) -> dict[str, Any]:
    choices = period_choices(timezone.localdate())
    choice, ignored = chosen_period(request, choices)
    return {
        "public_section": "statistics",
        "choices": choices,
        "choice_groups": _grouped_choices(choices),
        "choice": choice,
        "period": choice.period,
        "period_ignored": ignored,
        "cache_minutes": max(1, cache_seconds() // 60),
    }


# --- views ------------------------------------------------------------------------------------------------


@ratelimit(key="ip", rate=lambda group, request: settings.PUBLIC_PAGE_RATE_IP, block=True)
@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    """``/thong-ke/?period=2026-11``: one line per published agency for the chosen period."""
    context = _base_context(request)
    data = overview(context["choice"])
    context.update(
        sections=_sections(data["rows"]),
        computed_at=timezone.localtime(data["computed_at"]),
    )
    return render(request, "metrics/public/statistics.html", context)


@ratelimit(key="ip", rate=lambda group, request: settings.PUBLIC_PAGE_RATE_IP, block=True)
@require_safe
def statistics_agency(request: HttpRequest, code: str) -> HttpResponse:
    """``/thong-ke/<agency code>/?period=…``: the agency's 766 scorecard and its previous periods."""
    context = _base_context(request)
    entry = public_scopes().get(code)
    if entry is None:
        return render(request, "metrics/public/not_found.html", {**context, "code": code}, status=404)
    choice: PeriodChoice = context["choice"]
    card = agency_card(entry, choice)
    as_of = datetime.fromisoformat(card["as_of"])
    history = []
    for past in history_of(choice, context["choices"]):
        past_card = card if past == choice else agency_card(entry, past)
        history.append(
            {
                "choice": past,
                "card": past_card,
                "on_time": past_card["indicators"][ON_TIME],
                "online": past_card["indicators"][ONLINE],
                "current": past == choice,
            }
        )
    context.update(
        agency=entry,
        card=card,
        as_of=timezone.localtime(as_of),
        period_open=as_of < choice.period.end_at,
        groups=scorecard_groups(card),
        on_time=card["indicators"][ON_TIME],
        online=card["indicators"][ONLINE],
        history=history,
        group_numbers=list(GROUPS),
    )
    return render(request, "metrics/public/agency.html", context)


__all__ = [
    "agency_card",
    "compact_card",
    "overview",
    "period_choices",
    "public_scopes",
    "statistics",
    "statistics_agency",
]
