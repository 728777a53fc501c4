"""Deadline clocks and calendar overrides.

Legal basis: domain.md §2 — the statutory term of each TTHC is counted in working time from the
receipt of a complete dossier (§2.1), paused while the applicant supplements papers or pays
(§2.3 step 4, pause semantics by default as the 766 formula subtracts supplement time), and
extended at most by the rules of sector law. ``sla`` knows nothing of dossiers: a deadline
refers to what it times by an opaque ``subject`` string and to an agency by its code only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sla.choices import ClockSemantics, CutoffMode, DeadlineState, OverrideKind, PauseReason, TermUnit


class CalendarOverride(models.Model):
    """A day that differs from the national calendar: a local closure or an extra working day.

    ``agency_code`` empty means national (e.g. a swap announced after ``holidays`` was released);
    otherwise it applies to that agency and every agency below it in the tree.
    """

    day = models.DateField(_("ngày áp dụng"), db_index=True)
    kind = models.CharField(_("loại"), max_length=16, choices=OverrideKind.choices)
    name = models.CharField(_("lý do"), max_length=200)
    agency_code = models.CharField(
        _("mã cơ quan"), max_length=64, blank=True, db_index=True, help_text=_("Để trống: áp dụng toàn quốc")
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ngày điều chỉnh lịch làm việc")
        verbose_name_plural = pgettext_lazy("plural", "ngày điều chỉnh lịch làm việc")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "agency_code"], name="sla_override_unique_day_scope"),
        ]

    def __str__(self) -> str:
        scope = self.agency_code or _("toàn quốc")
        return f"{self.day:%d/%m/%Y} {self.get_kind_display()} ({scope}): {self.name}"


class OfficeHours(models.Model):
    """An agency's own office sessions (domain §2.2: office hours are a provincial parameter)."""

    agency_code = models.CharField(_("mã cơ quan"), max_length=64, unique=True)
    sessions = models.CharField(
        _("các buổi làm việc"),
        max_length=200,
        help_text=_("Ví dụ: 07:30-11:30,13:30-17:00"),
    )

    class Meta:
        verbose_name = _("giờ làm việc của cơ quan")
        verbose_name_plural = pgettext_lazy("plural", "giờ làm việc của cơ quan")

    def __str__(self) -> str:
        return f"{self.agency_code}: {self.sessions}"

    def clean(self) -> None:
        from sla.calendar import parse_sessions

        try:
            parse_sessions(s.strip() for s in self.sessions.split(","))
        except ValueError as exc:
            raise ValidationError({"sessions": str(exc)}) from exc


class Deadline(models.Model):
    """A legal clock: start, term, pauses, extensions and the due moment they produce.

    ``due_at`` is derived, but stored (indexed) because sweeps and reports filter on it; it is
    recomputed from the facts (start, term, pauses, extensions) by ``sla.services`` on every
    change, never edited by hand.
    """

    subject = models.CharField(_("đối tượng"), max_length=100, db_index=True)
    agency_code = models.CharField(_("mã cơ quan"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("thời điểm bắt đầu"))
    term_amount = models.DecimalField(_("độ dài thời hạn"), max_digits=9, decimal_places=3)
    term_unit = models.CharField(_("đơn vị thời hạn"), max_length=16, choices=TermUnit.choices)
    cutoff = models.CharField(_("quy tắc tiếp nhận muộn"), max_length=16, choices=CutoffMode.choices)
    semantics = models.CharField(
        _("cách tính khi tạm dừng"),
        max_length=16,
        choices=ClockSemantics.choices,
        default=ClockSemantics.PAUSE,
    )
    state = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=DeadlineState.choices,
        default=DeadlineState.RUNNING,
        db_index=True,
    )
    due_at = models.DateTimeField(_("hạn xử lý"), db_index=True)
    paused_seconds = models.BigIntegerField(_("thời gian tạm dừng (giây làm việc)"), default=0)
    stopped_at = models.DateTimeField(_("thời điểm dừng"), null=True, blank=True)
    explanation = models.JSONField(_("diễn giải"), default=list, blank=True)
    explained = models.BooleanField(
        default=True, help_text="False for internal clocks (e.g. a step's) that need no rule trail"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thời hạn")
        verbose_name_plural = pgettext_lazy("plural", "thời hạn")
        indexes = [models.Index(fields=["state", "due_at"], name="sla_deadline_state_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.due_at:%d/%m/%Y %H:%M}"


class DeadlinePause(models.Model):
    """One pause with its legal reason; ``ended_at`` is null while the clock is still paused."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(_("lý do"), max_length=32, choices=PauseReason.choices)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("bắt đầu tạm dừng"))
    ended_at = models.DateTimeField(_("tiếp tục lúc"), null=True, blank=True)
    working_seconds = models.BigIntegerField(_("thời gian làm việc bị trừ (giây)"), default=0)

    class Meta:
        verbose_name = _("lần tạm dừng")
        verbose_name_plural = _("các lần tạm dừng")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline"], condition=models.Q(ended_at__isnull=True), name="sla_one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.started_at:%d/%m/%Y %H:%M}"


class DeadlineExtension(models.Model):
    """An extension allowed by law (e.g. chứng thực: up to 2 more working days), added after pauses."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="extensions")
    amount = models.DecimalField(_("thời gian gia hạn"), max_digits=9, decimal_places=3)
    unit = models.CharField(_("đơn vị"), max_length=16, choices=TermUnit.choices)
    reason = models.CharField(_("lý do, căn cứ"), max_length=500)
    granted_at = models.DateTimeField(_("thời điểm gia hạn"))

    class Meta:
        verbose_name = _("lần gia hạn")
        verbose_name_plural = _("các lần gia hạn")
        ordering = ["granted_at", "pk"]

    def __str__(self) -> str:
        return f"+{self.amount} {self.get_unit_display()}: {self.reason}"
