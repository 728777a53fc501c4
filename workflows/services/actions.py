"""The one table of dossier actions: name → service, officer's text, label, Mẫu, and the pages offering it.

The desk page (``workflows.views.desk``), the viewflow task pages (``workflows.views.tasks``) and the REST API
(``workflows.api.views``) all read this table, so an action has one service, one rule for its text and one
label wherever it is offered. Which of them a user may take *now* is decided by
:func:`workflows.policy.actions_allowed` (django-fsm's available transitions for the user plus the conditions
below); the service still checks every rule itself, so an action posted anyway is refused with its reason.

Mẫu numbers are those of TT 03/2025 under Decree 118/2025 (the slips the desk prints).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workflows.models import Dossier
from workflows.services import lifecycle as svc

# Page kinds: the desk's dossier page, the processing step's task page, the deliver task page, the REST API.
DESK = "desk"
TASK = "task"
DELIVER = "deliver"
API = "api"
PAGES = (DESK, TASK, DELIVER, API)


def _has_current_step(dossier: Dossier, now: datetime) -> bool:
    return dossier.current_step_id is not None


def _at_deciding_step(dossier: Dossier, now: datetime) -> bool:
    try:
        svc.deciding_step_check(dossier)
    except svc.LifecycleError:
        return False
    return True


def _before_due(dossier: Dossier, now: datetime) -> bool:
    """Mẫu 04 is issued before the due moment; after it the service refuses (``dossier_apologize``)."""
    return dossier.due_at is not None and now <= dossier.due_at


@dataclass(frozen=True)
class Action:
    """One lifecycle event as the pages and the API offer it."""

    name: str
    service: Callable[..., Dossier]
    label: Promise
    text: str | None = None  # the service's keyword for the officer's text: "reason" or "note"
    text_required: bool = False  # the rule requires the text (the service refuses an empty one)
    slip: str = ""  # the Mẫu the action produces, if any
    pages: frozenset[str] = frozenset()
    extra: tuple[str, ...] = ()  # further service keywords a page form carries (outcome, new_due_at, via)
    condition: Callable[[Dossier, datetime], bool] | None = None  # beyond django-fsm's own conditions

    def offered_now(self, dossier: Dossier, now: datetime) -> bool:
        return self.condition is None or self.condition(dossier, now)

    def run(
        self, dossier: Dossier, *, user, text: str = "", expected_revision: int | None = None, **extra: Any
    ) -> Dossier:
        """Call the service with the page's input: the text under the service's keyword, the known extras."""
        kwargs = {key: value for key, value in extra.items() if key in self.extra and value is not None}
        if self.text is not None:
            kwargs[self.text] = text or ""
        return self.service(dossier=dossier, user=user, expected_revision=expected_revision, **kwargs)


def _pages(*names: str) -> frozenset[str]:
    return frozenset(names)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("receive", svc.dossier_receive, _("Tiếp nhận hồ sơ"), slip="01", pages=_pages(API)),
        Action(
            "refuse_receipt",
            svc.dossier_refuse_receipt,
            _("Không tiếp nhận hồ sơ"),
            text="reason",
            text_required=True,
            slip="02, 03",
            pages=_pages(API),
            extra=("kind",),
        ),
        Action(
            "step_done",
            svc.dossier_step_done,
            _("Hoàn thành bước, chuyển bước tiếp theo"),
            text="note",
            pages=_pages(TASK, API),
            condition=_has_current_step,
        ),
        Action(
            "return_step",
            svc.dossier_return_step,
            _("Trả lại bước trước"),
            text="reason",
            text_required=True,
            pages=_pages(TASK, API),
        ),
        Action(
            "request_supplement",
            svc.dossier_request_supplement,
            _("Yêu cầu bổ sung hồ sơ (Mẫu 02)"),
            text="reason",
            text_required=True,
            slip="02",
            pages=_pages(TASK, API),
        ),
        Action(
            "supplement_done",
            svc.dossier_supplement_done,
            _("Ghi nhận đã bổ sung hồ sơ"),
            text="note",
            pages=_pages(DESK, TASK, API),
        ),
        Action(
            "request_payment",
            svc.dossier_request_payment,
            _("Chờ thực hiện nghĩa vụ tài chính"),
            text="reason",
            pages=_pages(TASK, API),
        ),
        Action(
            "payment_done",
            svc.dossier_payment_done,
            _("Ghi nhận đã thực hiện nghĩa vụ tài chính"),
            text="note",
            pages=_pages(DESK, TASK, API),
        ),
        Action(
            "apologize",
            svc.dossier_apologize,
            _("Xin lỗi và hẹn lại ngày trả (Mẫu 04)"),
            text="reason",
            text_required=True,
            slip="04",
            pages=_pages(TASK, API),
            extra=("new_due_at",),
            condition=_before_due,
        ),
        Action(
            "decide",
            svc.dossier_decide,
            _("Ghi nhận kết quả giải quyết"),
            text="reason",
            pages=_pages(TASK, API),
            extra=("outcome",),
            condition=_at_deciding_step,
        ),
        Action(
            "stop",
            svc.dossier_stop,
            _("Dừng giải quyết hồ sơ (Mẫu 05)"),
            text="reason",
            text_required=True,
            slip="05",
            pages=_pages(DESK, API),
        ),
        Action(
            "withdraw",
            svc.dossier_withdraw,
            _("Rút hồ sơ (theo yêu cầu của người nộp)"),
            text="reason",
            pages=_pages(DESK, API),
        ),
        Action(
            "return_result",
            svc.dossier_return_result,
            _("Trả kết quả, đóng hồ sơ"),
            pages=_pages(DELIVER, API),
            extra=("via",),
        ),
    ]
}


def actions_for_page(page: str) -> list[Action]:
    """The actions a page kind can offer, in the table's order."""
    if page not in PAGES:
        raise ValueError(f"unknown page kind {page!r}")
    return [a for a in ACTIONS.values() if page in a.pages]


def action_offered_now(action: Action, dossier: Dossier, now: datetime | None = None) -> bool:
    return action.offered_now(dossier, now or timezone.now())
