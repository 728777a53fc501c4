"""Choices of the dossier lifecycle (domain §1.1–§1.2, §2.4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Reception channel; the national code ``KenhThucHien`` is 1 direct, 2 online, 3 postal (domain §1.1)."""

    DIRECT = "direct", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Bưu chính công ích")


CHANNEL_NATIONAL_CODE = {Channel.DIRECT: 1, Channel.ONLINE: 2, Channel.POSTAL: 3}


class DossierStatus(models.TextChoices):
    """Internal states (domain §1.2); ``NATIONAL_STATUS`` maps each to the national code 1–10.

    ``draft`` exists only inside the transaction that creates a dossier at the desk, before its first
    transition (receive or refuse_receipt), so it is never seen outside.
    """

    DRAFT = "draft", _("Đang nhập")
    SUBMITTED = "submitted", _("Mới đăng ký")
    NOT_RECEIVED = "not_received", _("Không được tiếp nhận")
    RECEIVED = "received", _("Được tiếp nhận")
    IN_PROCESS = "in_process", _("Đang xử lý")
    SUPPLEMENT = "supplement", _("Yêu cầu bổ sung giấy tờ")
    PAYMENT = "payment", _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = "withdrawn", _("Công dân yêu cầu rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    DECIDED = "decided", _("Đã xử lý xong")
    RETURNED = "returned", _("Đã trả kết quả")


# Domain §1.2, national synchronisation code ``TrangThaiHoSo``.
NATIONAL_STATUS: dict[str, int | None] = {
    DossierStatus.DRAFT: None,
    DossierStatus.SUBMITTED: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.NOT_RECEIVED: 3,
    DossierStatus.IN_PROCESS: 4,
    DossierStatus.SUPPLEMENT: 5,
    DossierStatus.PAYMENT: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.DECIDED: 9,
    DossierStatus.RETURNED: 10,
}

# States in which the dossier is being worked on (clock running or paused).
OPEN_STATUSES = (
    DossierStatus.RECEIVED,
    DossierStatus.IN_PROCESS,
    DossierStatus.SUPPLEMENT,
    DossierStatus.PAYMENT,
)
PAUSED_STATUSES = (DossierStatus.SUPPLEMENT, DossierStatus.PAYMENT)
# States that count as "finished" for the periodic report (§2.4, §6.3 (7)): result issued or withdrawn.
FINISHED_STATUSES = (DossierStatus.DECIDED, DossierStatus.RETURNED, DossierStatus.WITHDRAWN)


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("Cá nhân")
    ORGANISATION = "organisation", _("Tổ chức")


class LegalRegime(models.TextChoices):
    """Domain §0: the one-stop regime changed on 1/7/2025 (Decree 61/2018 → Decree 118/2025)."""

    ND61_2018 = "ND61_2018", _("Nghị định 61/2018/NĐ-CP")
    ND118_2025 = "ND118_2025", _("Nghị định 118/2025/NĐ-CP")


class RefusalKind(models.TextChoices):
    """Why a dossier was not received (domain §1.3)."""

    SUPPLEMENT = "supplement", _("Cần bổ sung, hoàn thiện trước khi tiếp nhận (Mẫu 02)")
    COMPETENCE = "competence", _("Không thuộc thẩm quyền (Mẫu 03)")


class Decision(models.TextChoices):
    """Outcome types (domain §1.5): a refusal with reasons is still a result."""

    APPROVED = "approved", _("Có kết quả giải quyết")
    REFUSED = "refused", _("Văn bản từ chối, nêu rõ lý do")


class ResultDelivery(models.TextChoices):
    """How the result is handed over (domain §1.9)."""

    DIRECT = "direct", _("Trực tiếp tại Bộ phận Một cửa")
    POSTAL = "postal", _("Qua dịch vụ bưu chính công ích")
    ONLINE = "online", _("Trực tuyến")


class SlaMark(models.TextChoices):
    """Finished: early / on time / late (domain §2.4); in progress: in time / due soon / overdue / paused."""

    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Quá hạn")
    IN_TIME = "in_time", _("Trong hạn")
    DUE_SOON = "due_soon", _("Sắp đến hạn")
    OVERDUE = "overdue", _("Quá hạn")
    PAUSED = "paused", _("Tạm dừng")


class Event(models.TextChoices):
    """Lifecycle events; the names are the ``event`` column of ``dossiers_import`` (README)."""

    SUBMIT = "submit", _("Nộp hồ sơ trực tuyến")
    RECEIVE = "receive", _("Tiếp nhận hồ sơ")
    REFUSE_RECEIPT = "refuse_receipt", _("Không tiếp nhận hồ sơ")
    REQUEST_SUPPLEMENT = "request_supplement", _("Yêu cầu bổ sung hồ sơ")
    SUPPLEMENT_DONE = "supplement_done", _("Đã bổ sung hồ sơ")
    REQUEST_PAYMENT = "request_payment", _("Yêu cầu thực hiện nghĩa vụ tài chính")
    PAYMENT_DONE = "payment_done", _("Đã thực hiện nghĩa vụ tài chính")
    STEP_DONE = "step_done", _("Hoàn thành bước xử lý")
    RETURN_STEP = "return_step", _("Trả lại bước trước")
    STOP = "stop", _("Dừng giải quyết hồ sơ")
    WITHDRAW = "withdraw", _("Rút hồ sơ")
    APOLOGIZE = "apologize", _("Xin lỗi và hẹn lại ngày trả kết quả")
    DECIDE = "decide", _("Có kết quả giải quyết")
    RETURN_RESULT = "return_result", _("Trả kết quả")
    # Facts the indicators need (domain §3.2, §4.2–§4.3); they never change the status.
    E_RESULT = "e_result", _("Cấp kết quả điện tử")
    DIGITISED = "digitised", _("Số hóa, tái sử dụng thành phần hồ sơ")
    VNEID = "vneid", _("Tài khoản xác thực VNeID")
    FEE = "fee", _("Phí, lệ phí và thanh toán")
    SYNC = "sync", _("Đồng bộ lên Cổng DVCQG")
    RATE = "rate", _("Đánh giá của người dân")
    COMPLAINT = "complaint", _("Phản ánh, kiến nghị")
    COMPLAINT_DONE = "complaint_done", _("Đã xử lý phản ánh, kiến nghị")


FACT_EVENTS = frozenset(
    {
        Event.E_RESULT,
        Event.DIGITISED,
        Event.VNEID,
        Event.FEE,
        Event.SYNC,
        Event.RATE,
        Event.COMPLAINT,
        Event.COMPLAINT_DONE,
    }
)


class DigitisedFlag(models.TextChoices):
    """What was digitised or reused in a dossier (766 group 4; portal field names in brackets)."""

    ATTACHMENTS = "attachments", _("Thành phần hồ sơ có tệp số hóa (HoSoCoThanhPhanSoHoa)")
    REUSED = "reused", _("Có thành phần tái sử dụng dữ liệu số hóa (DuocSoHoa)")
    DATA_STORE = "data_store", _("Có thành phần lấy từ Kho dữ liệu của công dân (DuocLayTuKhoDMQG)")
    RESULT_IN_STORE = "result_in_store", _("Kết quả điện tử đã đồng bộ vào Kho dữ liệu")


class OnlinePayment(models.IntegerChoices):
    """``DuocThanhToanTrucTuyen`` (domain §4.3): 0 not paid online, 1/2 paid online."""

    NO = 0, _("Không thanh toán trực tuyến")
    PORTAL = 1, _("Thanh toán trực tuyến qua Cổng DVCQG")
    OTHER = 2, _("Thanh toán trực tuyến qua kênh khác")


class Rating(models.TextChoices):
    """The citizen's overall judgement of the handling (766 5.4 counts the dislikes)."""

    LIKE = "like", _("Hài lòng")
    DISLIKE = "dislike", _("Không hài lòng")


class ComplaintKind(models.TextChoices):
    """PAKN classification (766 5.1): about regulations/procedures or about officials."""

    REGULATION = "regulation", _("Về quy định hành chính, TTHC")
    STAFF = "staff", _("Về hành vi của cán bộ")
    OTHER = "other", _("Chưa phân loại")


class NoticeThreshold(models.TextChoices):
    """Crossings the sweep notifies once each (issue 3)."""

    HALF = "half", _("Đã dùng 50% thời gian của bước")
    THREE_QUARTERS = "three_quarters", _("Đã dùng 75% thời gian của bước")
    DUE_SOON = "due_soon", _("Sắp đến hạn (còn dưới 24 giờ làm việc)")
    OVERDUE = "overdue", _("Quá hạn")


class StepOutcome(models.TextChoices):
    """How a handover ended (a row of the Phiếu kiểm soát)."""

    DONE = "done", _("Hoàn thành")
    RETURNED = "returned", _("Trả lại bước trước")
    BY_DECISION = "by_decision", _("Hoàn thành khi ghi nhận kết quả")
    STOPPED = "stopped", _("Dừng xử lý")
    WITHDRAWN = "withdrawn", _("Rút hồ sơ")


class ApiScope(models.TextChoices):
    """What an integration client may do through the REST API (issue 5); a client holds a list of them."""

    PROCEDURES_READ = "procedures:read", _("Đọc danh mục thủ tục")
    DOSSIERS_READ = "dossiers:read", _("Đọc hồ sơ và sự kiện")
    DOSSIERS_SUBMIT = "dossiers:submit", _("Nộp hồ sơ trực tuyến")
    DOSSIERS_ACT = "dossiers:act", _("Thực hiện thao tác xử lý hồ sơ")
    INDICATORS_READ = "indicators:read", _("Đọc chỉ số")


class DeliveryStatus(models.TextChoices):
    """One outbox event on its way to one subscriber."""

    PENDING = "pending", _("Chờ gửi")
    DELIVERED = "delivered", _("Đã gửi, được xác nhận")
    DEAD = "dead", _("Thất bại (hết số lần thử)")


class AccessPurpose(models.TextChoices):
    """Why a staff member saw a dossier's personal data (Decree 13/2023, domain §8: audit logging)."""

    DESK_PAGE = "desk_page", _("Xem trang hồ sơ")
    SLIP = "slip", _("In phiếu")
    TASK = "task", _("Xử lý công việc")
    ADMIN = "admin", _("Trang quản trị")
    API = "api", _("Giao diện lập trình (API)")
    EXPORT = "export", _("Xuất danh sách")
    LIST = "list", _("Xem danh sách hồ sơ")


class RatingCriterion(models.TextChoices):
    """The criteria a citizen scores 0–2 when rating one dossier (domain §4.4, TT 01/2018 evaluation).

    Only the criteria a citizen can judge from their own dossier are asked: the others of §4.4 (each unit's
    share of the time, the share of procedures received at the desk, complaint handling and online-service
    rates) are agency-level figures the indicators compute, not something one applicant can score.
    """

    TOTAL_TIME = "total_time", _("Thời gian giải quyết so với quy định")
    CONTACTS = "contacts", _("Số lần phải liên hệ để hoàn thiện hồ sơ")
    BODIES = "bodies", _("Số cơ quan, đơn vị phải liên hệ")
    PUBLICITY = "publicity", _("Công khai thủ tục hành chính")
    ATTITUDE = "attitude", _("Thái độ, trách nhiệm của cán bộ")


# What 2, 1 and 0 points mean for each criterion (domain §4.4), shown as the options of the rating form.
RATING_CRITERION_POINTS: dict[str, tuple[tuple[int, str], ...]] = {
    RatingCriterion.TOTAL_TIME: (
        (2, _("Sớm hơn thời hạn quy định")),
        (1, _("Đúng thời hạn quy định")),
        (0, _("Chậm hơn thời hạn quy định")),
    ),
    RatingCriterion.CONTACTS: (
        (2, _("Không phải liên hệ thêm lần nào")),
        (1, _("Phải liên hệ thêm một lần")),
        (0, _("Phải liên hệ thêm nhiều lần")),
    ),
    RatingCriterion.BODIES: (
        (2, _("Không phải liên hệ cơ quan nào")),
        (1, _("Chỉ liên hệ Bộ phận Một cửa")),
        (0, _("Phải liên hệ nhiều cơ quan, đơn vị")),
    ),
    RatingCriterion.PUBLICITY: (
        (2, _("Niêm yết tại nơi tiếp nhận và công khai trên mạng")),
        (1, _("Chỉ một trong hai hình thức")),
        (0, _("Không công khai")),
    ),
    RatingCriterion.ATTITUDE: (
        (2, _("Nhiệt tình, chu đáo")),
        (1, _("Bình thường")),
        (0, _("Gây phiền hà, sách nhiễu")),
    ),
}
RATING_CRITERION_MAX_POINTS = 2
