"""Facts about a dossier that the indicators need but the lifecycle does not move (issue 4 part 1).

Legal basis: the portal sync fields of domain §4.3 (``MaKetQua``, ``DuongDanTepTinKetQua``,
``DuocThanhToanTrucTuyen``, ``DanhSachPhiLePhi``, ``HoSoCoThanhPhanSoHoa``, ``TaiLieuNop.DuocSoHoa``,
``TaiLieuNop.DuocLayTuKhoDMQG``, ``TaiKhoanDuocXacThucVoiVNeID``), the 766 indicators built on them (§4.2:
1.4 sync, 3.3/4.1/4.2 e-result, 3.5–3.6 payment, 4.3–4.5 reuse and VNeID, group 5 ratings and PAKN) and the
citizen's evaluation (§4.4).

Each fact is an event like any other: it takes the dossier's row lock, must come in time order, is written
to the append-only audit log in the same transaction and announced to listeners after commit — so the
rollups and ``dossiers_import`` treat a fact exactly like a transition. A fact never changes the status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from sla.calendar import Unit
from sla.services import calendar_for
from workflows.choices import (
    RATING_CRITERION_MAX_POINTS,
    ComplaintKind,
    DigitisedFlag,
    DossierStatus,
    Event,
    OnlinePayment,
    Rating,
    RatingCriterion,
)
from workflows.models import Complaint, Dossier
from workflows.services.lifecycle import (
    LifecycleError,
    LifecyclePermissionError,
    _announce,
    _aware,
    _in_order,
    _locked,
    _record,
    _save,
)

S = DossierStatus
RECEIVED_STATES = frozenset(
    {S.RECEIVED, S.IN_PROCESS, S.SUPPLEMENT, S.PAYMENT, S.STOPPED, S.WITHDRAWN, S.DECIDED, S.RETURNED}
)
RESULT_STATES = frozenset({S.DECIDED, S.RETURNED})


def _fact(
    dossier: Dossier,
    event: Event,
    *,
    at: datetime | None,
    user,
    actor: str,
    states: Iterable[str],
    apply: Callable[[Dossier, datetime], dict[str, Any]],
    note: str = "",
    on_behalf: bool = False,
) -> Dossier:
    at = _aware(at)
    with transaction.atomic():
        locked = _locked(dossier, None)
        _in_order(locked, at, event)
        if locked.status not in states:
            raise LifecycleError(
                _("Không thể ghi “%(event)s” khi hồ sơ %(code)s đang ở trạng thái “%(status)s”.")
                % {"event": event.label, "code": locked.code, "status": DossierStatus(locked.status).label}
            )
        from workflows.policy import fact_refusal  # who records which fact: the one policy module

        refusal = fact_refusal(user, locked, str(event), on_behalf=on_behalf)
        if refusal is not None:
            raise LifecyclePermissionError(refusal)
        status = locked.status
        payload = apply(locked, at)
        locked.last_event_at = at
        _save(locked)
        _record(locked, event, at=at, user=user, actor=actor, from_status=status, note=note, payload=payload)
        _announce(locked, event, at=at, from_status=status)
        return locked


def dossier_e_result(
    *, dossier: Dossier, code: str, url: str, at: datetime | None = None, user=None, actor: str = ""
) -> Dossier:
    """The electronic result was issued (``MaKetQua`` + ``DuongDanTepTinKetQua``) for a received dossier."""
    if not code.strip() or not url.strip():
        raise LifecycleError(_("Kết quả điện tử cần cả mã kết quả và đường dẫn tệp kết quả."))

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.e_result_code, locked.e_result_url, locked.e_result_at = code.strip(), url.strip(), at
        return {"code": locked.e_result_code, "url": locked.e_result_url}

    return _fact(dossier, Event.E_RESULT, at=at, user=user, actor=actor, states=RECEIVED_STATES, apply=apply)


def dossier_digitised(
    *, dossier: Dossier, flags: Iterable[str], at: datetime | None = None, user=None, actor: str = ""
) -> Dossier:
    """Record what was digitised or reused (766 4.2–4.4); flags only ever switch on."""
    wanted = {str(f).strip() for f in flags if str(f).strip()}
    unknown = wanted - set(DigitisedFlag.values)
    if not wanted or unknown:
        raise LifecycleError(
            _("Cờ số hóa không hợp lệ: %(bad)s; dùng một hoặc nhiều trong: %(allowed)s.")
            % {"bad": ", ".join(sorted(unknown)) or "-", "allowed": ", ".join(DigitisedFlag.values)}
        )
    field_of = {
        DigitisedFlag.ATTACHMENTS: "digitised_attachments",
        DigitisedFlag.REUSED: "digitised_reused",
        DigitisedFlag.DATA_STORE: "digitised_from_store",
        DigitisedFlag.RESULT_IN_STORE: "result_in_store",
    }

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        for flag in wanted:
            setattr(locked, field_of[DigitisedFlag(flag)], True)
        return {"flags": sorted(wanted)}

    states = {S.SUBMITTED, *RECEIVED_STATES}
    return _fact(dossier, Event.DIGITISED, at=at, user=user, actor=actor, states=states, apply=apply)


def dossier_vneid(*, dossier: Dossier, at: datetime | None = None, user=None, actor: str = "") -> Dossier:
    """The applicant's account is authenticated with VNeID (``TaiKhoanDuocXacThucVoiVNeID``, 766 4.5)."""

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.vneid_verified = True
        return {}

    states = {S.SUBMITTED, *RECEIVED_STATES}
    return _fact(dossier, Event.VNEID, at=at, user=user, actor=actor, states=states, apply=apply)


def dossier_fee(
    *,
    dossier: Dossier,
    amount_vnd: int,
    paid_online: int = OnlinePayment.NO,
    at: datetime | None = None,
    user=None,
    actor: str = "",
) -> Dossier:
    """The dossier's fee list total (0 = all-zero list) and whether it was paid online (766 3.5–3.6)."""
    if amount_vnd < 0:
        raise LifecycleError(_("Phí, lệ phí không được âm."))
    paid = OnlinePayment(paid_online)
    if paid != OnlinePayment.NO and amount_vnd == 0:
        raise LifecycleError(_("Không thể thanh toán trực tuyến một danh sách phí bằng 0."))

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.fee_total_vnd, locked.paid_online = amount_vnd, paid
        return {"amount_vnd": amount_vnd, "paid_online": int(paid)}

    states = {S.SUBMITTED, *RECEIVED_STATES}
    return _fact(dossier, Event.FEE, at=at, user=user, actor=actor, states=states, apply=apply)


def dossier_sync(*, dossier: Dossier, at: datetime | None = None, user=None, actor: str = "") -> Dossier:
    """The dossier was synchronised to the national portal (766 1.4; the first sync time is kept).

    Recorded by the system (``user=None``: the importer; the outbox sets it on the portal's acknowledgement)
    or an administrator — never by the staff whose handling indicator 1.4 judges (``policy.FACT_RECORDERS``).
    """

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        locked.synced_at = locked.synced_at or at
        return {}

    return _fact(dossier, Event.SYNC, at=at, user=user, actor=actor, states=RECEIVED_STATES, apply=apply)


def _criteria_valid(criteria: dict[str, int]) -> dict[str, int]:
    """Keys must be ``RatingCriterion`` values and points whole numbers 0–2 (domain §4.4)."""
    unknown = sorted(set(criteria) - set(RatingCriterion.values))
    if unknown:
        raise LifecycleError(
            _("Tiêu chí đánh giá không hợp lệ: %(bad)s; dùng: %(allowed)s.")
            % {"bad": ", ".join(unknown), "allowed": ", ".join(RatingCriterion.values)}
        )
    clean: dict[str, int] = {}
    for key, points in criteria.items():
        if (
            isinstance(points, bool)
            or not isinstance(points, int)
            or not 0 <= points <= RATING_CRITERION_MAX_POINTS
        ):
            raise LifecycleError(
                _("Điểm của tiêu chí “%(criterion)s” phải là 0, 1 hoặc 2.")
                % {"criterion": RatingCriterion(key).label}
            )
        clean[key] = points
    return clean


def _rate(
    dossier: Dossier,
    *,
    rating: str,
    criteria: dict[str, int] | None,
    at: datetime | None,
    user,
    actor: str,
    once: bool,
    on_behalf: bool = False,
) -> Dossier:
    if rating not in Rating.values:
        raise LifecycleError(
            _("Đánh giá phải là một trong: %(allowed)s.") % {"allowed": ", ".join(Rating.values)}
        )
    clean = _criteria_valid(criteria) if criteria is not None else None

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        if once and locked.rating:
            # Checked under the row lock: two clicks of the citizen cannot both count.
            raise LifecycleError(
                _("Hồ sơ %(code)s đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần.")
                % {"code": locked.code}
            )
        locked.rating, locked.rated_at = rating, at
        locked.rating_on_behalf = on_behalf
        payload: dict[str, Any] = {"rating": rating}
        if on_behalf:
            payload["on_behalf"] = True
        if clean is not None:
            locked.rating_criteria = clean
            payload["criteria"] = clean
        return payload

    states = {S.RETURNED} if once else {*RESULT_STATES, S.WITHDRAWN, S.STOPPED}
    return _fact(
        dossier, Event.RATE, at=at, user=user, actor=actor, states=states, apply=apply, on_behalf=on_behalf
    )


def dossier_rate(
    *,
    dossier: Dossier,
    rating: str,
    criteria: dict[str, int] | None = None,
    at: datetime | None = None,
    user=None,
    actor: str = "",
    on_behalf: bool = False,
) -> Dossier:
    """The citizen's like / dislike after the result (domain §4.4; 766 5.4 counts the dislikes).

    ``criteria`` (``RatingCriterion`` → 0–2 points) replaces the stored scores when given. The rating is the
    applicant's: staff record it only as the desk, on the applicant's explicit request (a paper form),
    with ``on_behalf=True`` — stored as ``rating_on_behalf`` so the figure shows which ratings were
    entered for the citizen; ``user=None`` is the importer replaying a legacy log. A later entry corrects an
    earlier one; the citizen's own rating on the public page goes through :func:`dossier_rate_by_citizen`,
    which allows one rating only.
    """
    on_behalf = on_behalf and user is not None
    return _rate(
        dossier,
        rating=rating,
        criteria=criteria,
        at=at,
        user=user,
        actor=actor,
        once=False,
        on_behalf=on_behalf,
    )


CITIZEN_ACTOR = "Người dân (tra cứu trực tuyến)"


def dossier_rate_by_citizen(
    *, dossier: Dossier, rating: str, criteria: dict[str, int] | None = None, at: datetime | None = None
) -> Dossier:
    """The applicant rates the handling on the public lookup page, once, after the result was returned.

    The caller must have checked the second factor (``selectors.dossier_for_lookup``): there is no staff
    user, so no role is checked. Only ``returned`` is accepted — the issue asks for the rating after the
    result is handed over, when the whole handling can be judged; a second rating is refused so one
    dossier weighs once in 766 5.4.
    """
    return _rate(dossier, rating=rating, criteria=criteria, at=at, user=None, actor=CITIZEN_ACTOR, once=True)


def complaint_due(*, agency_code: str, received_at: datetime) -> datetime:
    """Handling deadline of a PAKN: ``COMPLAINT_HANDLING_WORKING_DAYS`` (15, 766 5.2 [U]) working days."""
    days = settings.COMPLAINT_HANDLING_WORKING_DAYS
    return calendar_for(agency_code).add_working_time(received_at, days, Unit.WORKING_DAYS)


def _complaint_apply(
    kind: str, content: str, repeated: Callable[[Dossier], bool]
) -> Callable[[Dossier, datetime], dict[str, Any]]:
    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        if locked.complaints.filter(resolved_at__isnull=True).exists():
            raise LifecycleError(
                _("Hồ sơ %(code)s đang có một phản ánh, kiến nghị chưa xử lý xong.") % {"code": locked.code}
            )
        is_repeated = repeated(locked)
        complaint = Complaint.objects.create(
            dossier=locked,
            agency=locked.agency,
            kind=kind,
            content=content,
            received_at=at,
            due_at=complaint_due(agency_code=locked.agency.code, received_at=at),
            repeated=is_repeated,
        )
        locked.complained_at = locked.complained_at or at
        return {"kind": kind, "due_at": complaint.due_at.isoformat(), "repeated": is_repeated}

    return apply


def _kind_valid(kind: str) -> None:
    if kind not in ComplaintKind.values:
        raise LifecycleError(
            _("Phân loại PAKN phải là một trong: %(allowed)s.") % {"allowed": ", ".join(ComplaintKind.values)}
        )


def dossier_complaint(
    *,
    dossier: Dossier,
    kind: str = ComplaintKind.OTHER,
    content: str = "",
    repeated: bool = False,
    at: datetime | None = None,
    user=None,
    actor: str = "",
) -> Dossier:
    """A complaint or recommendation about this dossier; it gets its own deadline (766 5.2)."""
    _kind_valid(kind)
    apply = _complaint_apply(kind, content, lambda locked: repeated)
    states = {S.SUBMITTED, *RECEIVED_STATES}
    return _fact(
        dossier, Event.COMPLAINT, at=at, user=user, actor=actor, states=states, apply=apply, note=content
    )


def _repeated_about_result(locked: Dossier) -> bool:
    """766 5.3: a PAKN is "repeated about the result" when one was already filed after the result."""
    return (
        locked.finished_at is not None
        and locked.complaints.filter(received_at__gte=locked.finished_at).exists()
    )


def dossier_complaint_by_citizen(
    *, dossier: Dossier, kind: str, content: str, at: datetime | None = None
) -> Dossier:
    """The applicant files a PAKN from the public lookup page (766 group 5), with its own handling deadline.

    Allowed from reception on, not only after the result: a citizen kept waiting must be able to complain
    about the delay, and 766 5.4 counts complaints whatever the stage. One open PAKN at a time (the agency
    answers it before the next); a new one after an earlier PAKN about the result counts as repeated (5.3).
    As for the rating, the caller has checked the second factor; there is no staff user.
    """
    _kind_valid(kind)
    content = content.strip()
    if not content:
        raise LifecycleError(_("Nhập nội dung phản ánh, kiến nghị."))
    apply = _complaint_apply(kind, content, _repeated_about_result)
    return _fact(
        dossier,
        Event.COMPLAINT,
        at=at,
        user=None,
        actor=CITIZEN_ACTOR,
        states=RECEIVED_STATES,
        apply=apply,
        note=content,
    )


def dossier_complaint_done(
    *, dossier: Dossier, feedback: str = "", at: datetime | None = None, user=None, actor: str = ""
) -> Dossier:
    """The open PAKN was handled; ``feedback`` (like / dislike) is the complainant's view of the answer."""
    if feedback and feedback not in Rating.values:
        raise LifecycleError(
            _("Ý kiến về kết quả xử lý PAKN phải là một trong: %(allowed)s.")
            % {"allowed": ", ".join(Rating.values)}
        )

    def apply(locked: Dossier, at: datetime) -> dict[str, Any]:
        complaint = locked.complaints.filter(resolved_at__isnull=True).order_by("-received_at").first()
        if complaint is None:
            raise LifecycleError(
                _("Hồ sơ %(code)s không có phản ánh, kiến nghị nào đang chờ xử lý.") % {"code": locked.code}
            )
        complaint.resolved_at = at
        complaint.likes += int(feedback == Rating.LIKE)
        complaint.dislikes += int(feedback == Rating.DISLIKE)
        complaint.save(update_fields=["resolved_at", "likes", "dislikes"])
        return {"on_time": at <= complaint.due_at, "feedback": feedback}

    states = {S.SUBMITTED, *RECEIVED_STATES}
    return _fact(dossier, Event.COMPLAINT_DONE, at=at, user=user, actor=actor, states=states, apply=apply)
