from django.db import models
from django.utils.translation import gettext_lazy as _


class TermUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    WORKING_HOURS = "working_hours", _("giờ làm việc")
    CALENDAR_DAYS = "calendar_days", _("ngày")


class CutoffMode(models.TextChoices):
    NONE = "none", _("Không áp dụng")
    AFTER_CLOSE = "after_close", _("Sau giờ làm việc: tính từ giờ mở cửa kế tiếp")
    AFTER_15H = "after_15h", _("Sau 15 giờ: tính từ ngày làm việc tiếp theo")


class OverrideKind(models.TextChoices):
    CLOSURE = "closure", _("Ngày nghỉ bổ sung (đóng cửa)")
    WORKING = "working", _("Ngày làm việc bổ sung (làm bù)")


class ClockSemantics(models.TextChoices):
    # domain §2.3 step 4: pause is the default because it matches the 766 formula.
    PAUSE = "pause", _("Tạm dừng (trừ thời gian tạm dừng)")
    RESTART = "restart", _("Tính lại từ đầu khi tiếp tục")


class DeadlineState(models.TextChoices):
    RUNNING = "running", _("Đang tính")
    PAUSED = "paused", _("Tạm dừng")
    STOPPED = "stopped", _("Đã dừng")


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("Yêu cầu bổ sung, hoàn thiện hồ sơ")
    FINANCIAL_OBLIGATION = "financial_obligation", _("Chờ thực hiện nghĩa vụ tài chính")
    VERIFICATION = "verification", _("Xác minh, lấy ý kiến (không tính vào thời hạn)")
    INSPECTION = "inspection", _("Kiểm tra thực tế")
    OTHER_EXCLUDED = "other_excluded", _("Thời gian không tính theo luật chuyên ngành")
