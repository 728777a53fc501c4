"""Reads of the ``sla`` app: the working calendar of an agency.

Every other app gets working time from here: ``calendar_for(agency)`` returns the national
Vietnamese calendar (``holidays``' public holidays, substituted days off and make-up Saturdays)
plus the override rows of that agency and of every agency above it, with the agency's office
hours. Building a calendar costs tens of milliseconds, so calendars are cached per process and
rebuilt only when the override rows in scope change. It is a read, so apps that may not call
``sla.services`` (metrics) use it too.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import time
from typing import Protocol

from django.conf import settings
from django.db.models import Count, Max

from sla.calendar import Override, WorkingCalendar, parse_sessions, vietnam_calendar
from sla.models import CalendarOverride, OfficeHours


class AgencyLike(Protocol):
    code: str

    def calendar_scope_codes(self) -> list[str]: ...


_cache: dict[tuple, WorkingCalendar] = {}
# scope → (monotonic time of the last check, cache key): the override fingerprint is re-read at most every
# SLA_CALENDAR_RECHECK_SECONDS per process; saving or deleting an override or office hours in this process
# clears the cache at once (signals in sla.apps), other processes see the change within that interval.
_checked: dict[tuple, tuple[float, tuple]] = {}
_lock = threading.Lock()


def _scope_codes(agency: AgencyLike | str | None) -> list[str]:
    if agency is None:
        return []
    if isinstance(agency, str):
        return [agency]
    return list(agency.calendar_scope_codes())


def _cutoff_time() -> time:
    hh, mm = settings.SLA_CUTOFF_TIME.split(":")
    return time(int(hh), int(mm))


def calendar_for(agency: AgencyLike | str | None = None) -> WorkingCalendar:
    """The working calendar of ``agency`` (an object with ``calendar_scope_codes()``, a code, or None)."""
    scope = _scope_codes(agency)
    checked = _checked.get(tuple(scope))
    if checked is not None and _time.monotonic() - checked[0] < settings.SLA_CALENDAR_RECHECK_SECONDS:
        cal = _cache.get(checked[1])
        if cal is not None:
            return cal
    overrides_qs = CalendarOverride.objects.filter(agency_code__in=["", *scope])
    fingerprint = overrides_qs.aggregate(n=Count("id"), last=Max("id"), changed=Max("updated_at"))
    hours = {o.agency_code: o.sessions for o in OfficeHours.objects.filter(agency_code__in=scope)}
    sessions_spec = next((hours[c] for c in reversed(scope) if c in hours), None)
    key = (tuple(scope), tuple(sorted(fingerprint.items())), sessions_spec)
    _checked[tuple(scope)] = (_time.monotonic(), key)
    cal = _cache.get(key)
    if cal is not None:
        return cal
    with _lock:
        cal = _cache.get(key)
        if cal is None:
            sessions = parse_sessions(
                (s.strip() for s in sessions_spec.split(",")) if sessions_spec else settings.SLA_OFFICE_HOURS
            )
            cal = vietnam_calendar(
                first_year=settings.SLA_FIRST_YEAR,
                last_year=settings.SLA_LAST_YEAR,
                overrides=[Override(day=o.day, kind=o.kind, name=o.name) for o in overrides_qs],
                sessions=sessions,
                cutoff_time=_cutoff_time(),
            )
            _cache[key] = cal
    return cal


def calendar_cache_clear(**_signal_kwargs) -> None:
    _cache.clear()
    _checked.clear()
