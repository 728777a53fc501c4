"""The transactional outbox: every lifecycle event, in the national sync shape, for outside systems.

Legal basis: domain §4.3 — the sync fields the portal spec names (``MaHoSo, MaTTHC, KenhThucHien,
TrangThaiHoSo, NgayNopHoSo, NgayTiepNhan, NgayHenTra, NgayKetThucXuLy, …``) plus the status history with a
timestamp for each state; 766 indicator 1.4 (dossiers synced to Cổng DVCQG) counts acknowledged deliveries.

``outbox_append`` runs inside the event's own transaction (called by ``lifecycle._record``): the event and
its outbox row commit together or not at all, so no event is lost between the database and the broker.
Delivery is separate and at-least-once; subscribers deduplicate by ``event_id``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from workflows.choices import CHANNEL_NATIONAL_CODE, NATIONAL_STATUS, DossierStatus
from workflows.models import Delivery, Dossier, DossierEvent, OutboxEvent, Subscriber

# Domain §4.3 ``DonViTinh``: the unit of ``ThoiGianGiaiQuyet`` — we report working hours (giờ làm việc).
TIME_UNIT = "giờ làm việc"


def _iso(at: datetime | None) -> str | None:
    return timezone.localtime(at).isoformat(timespec="seconds") if at else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def outbox_payload(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    """The dossier as the national portal wants it after ``event`` (domain §4.3), plus the event itself.

    Dates are ISO 8601 with the Vietnam offset. ``NgayHenTra`` is the appointment printed on Mẫu 01
    (the 766 reference, domain §1.7); an apology's new date travels as ``NgayHenTraMoi``.
    """
    version = dossier.procedure_version
    procedure = version.procedure
    status = NATIONAL_STATUS.get(dossier.status)
    fee = dossier.fee_total_vnd
    return {
        "event_id": event.pk,
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaDonVi": dossier.agency.e_id or dossier.agency.code,
        "KenhThucHien": CHANNEL_NATIONAL_CODE.get(dossier.channel, 1),
        "TrangThaiHoSo": status,
        "NgayNopHoSo": _iso(dossier.submitted_at or dossier.received_at),
        "NgayTiepNhan": _iso(dossier.received_at),
        "NgayHenTra": _iso(dossier.appointment_at or dossier.due_at),
        "NgayHenTraMoi": _iso(dossier.new_due_at),
        "NgayKetThucXuLy": _iso(dossier.finished_at),
        "NgayTraKetQua": _iso(dossier.returned_at),
        "ThoiGianGiaiQuyet": _number(dossier.working_hours_used),
        "DonViTinh": TIME_UNIT,
        "MaKetQua": dossier.e_result_code or None,
        "DuongDanTepTinKetQua": dossier.e_result_url or None,
        "DuocThanhToanTrucTuyen": dossier.paid_online or None,
        "DanhSachPhiLePhi": [] if fee is None else [{"Gia": fee}],
        "HoSoCoThanhPhanSoHoa": int(dossier.digitised_attachments),
        "TaiLieuNop": [
            {
                "DuocSoHoa": int(dossier.digitised_reused),
                "DuocLayTuKhoDMQG": int(dossier.digitised_from_store),
            }
        ],
        "TaiKhoanDuocXacThucVoiVNeID": int(dossier.vneid_verified),
        "SuKien": {
            "Ma": event.event,
            "STT": event.seq,
            "ThoiDiem": _iso(event.at),
            "TuTrangThai": NATIONAL_STATUS.get(event.from_status),
            "SangTrangThai": NATIONAL_STATUS.get(event.to_status),
            "TuTrangThaiNoiBo": event.from_status,
            "SangTrangThaiNoiBo": event.to_status,
        },
    }


def outbox_append(*, dossier: Dossier, event: DossierEvent) -> OutboxEvent:
    """Write the event to the outbox and fan it out to the active subscribers — in the caller's transaction.

    A dossier still in the desk's draft never leaves the building: its first real event comes next.
    """
    row = OutboxEvent.objects.create(
        dossier=dossier, event=event, seq=event.seq, kind=event.event, payload=outbox_payload(dossier, event)
    )
    if dossier.status == DossierStatus.DRAFT:
        return row
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(outbox_event=row, subscriber_id=sid, dossier=dossier, next_attempt_at=now)
        for sid in Subscriber.objects.filter(active=True).values_list("pk", flat=True)
    )
    return row
