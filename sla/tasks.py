"""Celery tasks of ``sla``: thin, idempotent, one service call each."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="sla.tasks.check_calendar_horizon", ignore_result=True)
def check_calendar_horizon() -> int:
    """Warn an operator while there is still time: the calendar refuses dates past its horizon."""
    years_left = settings.SLA_LAST_YEAR - date.today().year
    if years_left < 2:
        logger.warning(
            "working calendar horizon ends %s: raise SLA_LAST_YEAR before deadlines reach it",
            settings.SLA_LAST_YEAR,
        )
    return years_left
