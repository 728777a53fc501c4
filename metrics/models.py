"""Rollups of the indicator counts and the targets agencies set themselves.

Why rollups: the dashboard and Prometheus ask for the same figures over and over (every agency × every month
of a year); counting a million dossiers each time is what the closed vendor packages do and why their
dashboards crawl. A rollup row holds, for one agency × procedure × month, every count the indicators are
built from (:data:`FLOW_COUNTS` summed over months, :data:`START_COUNTS` taken from a period's first month,
:data:`END_COUNTS` from its last), so any month-aligned period is one indexed ``SUM … GROUP BY`` away.
Rows are refreshed from lifecycle signals (a dirty slice marked in the event's own transaction) and can be
rebuilt from scratch by ``manage.py metrics_rebuild``; both paths run the same counting query.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.models import Agency, Procedure

# Counts of dossiers that entered or left during the month (summed over a period's months).
FLOW_COUNTS = (
    "received_online",
    "received_direct_postal",
    "resolved_total",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_ok_766",
    "received_online_qualifying",
    "payment_due",
    "payment_online",
    "fee_synced",
    "decided_total",
)
# Counts over the dossiers received during the month, for the indicators whose population is "received or
# processed in the period" (report column 3): the carried-over part is a START count with the same name
# ending in ``_c`` instead of ``_r``.
POPULATION_FLAGS = (
    "synced",
    "vneid",
    "paper",
    "paper_e_result",
    "digitised",
    "reused",
    "data_store",
    "complained_or_disliked",
    "no_supplement",
)
START_COUNTS = ("carried_over", *(f"{flag}_c" for flag in POPULATION_FLAGS))
FLOW_COUNTS = (*FLOW_COUNTS, *(f"{flag}_r" for flag in POPULATION_FLAGS))
# Dossiers still in progress at the end of the month.
END_COUNTS = ("in_progress_total", "in_progress_in_time", "in_progress_late", "in_progress_ok_766")
ROLLUP_COUNTS = (*FLOW_COUNTS, *START_COUNTS, *END_COUNTS)
# Working-hour sums of the dossiers decided in the month (time reduction, domain §5).
ROLLUP_HOURS = ("hours_used", "hours_statutory")


class MonthlyRollup(models.Model):
    """The indicator counts of one agency × procedure × calendar month (see the module docstring)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="first day of the month")
    as_of = models.DateTimeField(
        help_text="the in-progress columns are as at this instant (month end if past)"
    )
    for _name in ROLLUP_COUNTS:
        vars()[_name] = models.PositiveIntegerField(default=0)
    for _name in ROLLUP_HOURS:
        vars()[_name] = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    del _name

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "procedure", "month"], name="metrics_rollup_unique"),
        ]
        indexes = [models.Index(fields=["month", "agency"], name="metrics_rollup_month_agency")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.procedure_id} {self.month:%m/%Y}"


class RollupDirty(models.Model):
    """A slice whose rollups must be recounted from ``since`` on; written in the event's own transaction."""

    agency_id_value = models.IntegerField()
    procedure_id_value = models.IntegerField()
    since = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="metrics_dirty_created")]

    def __str__(self) -> str:
        return f"{self.agency_id_value}/{self.procedure_id_value} since {self.since:%d/%m/%Y}"


class RollupState(models.Model):
    """One row: when the rollups were last rebuilt from scratch. Until a rebuild has run, rollups may miss
    slices that no event has touched since, so readers count live instead."""

    rebuilt_at = models.DateTimeField()
    months_from = models.DateField(null=True)

    def __str__(self) -> str:
        return f"rollups rebuilt {self.rebuilt_at:%d/%m/%Y %H:%M}"


def _pct_field(label: str, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


class AgencyTarget(models.Model):
    """What an agency commits to for a year (domain §5); blank = the national default applies."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan, đơn vị"), on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("năm"), validators=[MinValueValidator(2015)])
    on_time_pct = _pct_field(_("tỷ lệ hồ sơ đúng hạn (%)"), _("Ví dụ 100 (kế hoạch cải cách hành chính)."))
    full_online_pct = _pct_field(_("tỷ lệ TTHC trực tuyến toàn trình (%)"), _("Ví dụ 80 (766 chỉ số 3.1)."))
    online_dossier_pct = _pct_field(_("tỷ lệ hồ sơ nộp trực tuyến (%)"), _("Ví dụ 50 (766 chỉ số 3.3)."))
    time_reduction_pct = _pct_field(
        _("cắt giảm thời gian giải quyết (%)"), _("So với thời hạn theo quy định; NQ 66/NQ-CP: 30% năm 2025.")
    )
    satisfaction_pct = _pct_field(_("mức độ hài lòng (%)"), _("Ví dụ 90 (766 chỉ số 5.4)."))

    class Meta:
        verbose_name = _("chỉ tiêu của cơ quan")
        verbose_name_plural = pgettext_lazy("plural", "chỉ tiêu của cơ quan")
        ordering = ["agency", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="metrics_target_unique_year"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0, f"{name}__lte": 100}),
                    name=f"metrics_target_{name}_0_100",
                )
                for name in (
                    "on_time_pct",
                    "full_online_pct",
                    "online_dossier_pct",
                    "time_reduction_pct",
                    "satisfaction_pct",
                )
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code} {self.year}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        for name in (
            "on_time_pct",
            "full_online_pct",
            "online_dossier_pct",
            "time_reduction_pct",
            "satisfaction_pct",
        ):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100:
                errors[name] = _("Chỉ tiêu là tỷ lệ phần trăm từ 0 đến 100 (đã nhập %(value)s).") % {
                    "value": value
                }
        if errors:
            raise ValidationError(errors)


class AgencyScore(models.Model):
    """The current month's headline figures per label agency, refreshed by beat for Prometheus to read in
    one cheap query at scrape time (a scrape must not recount a scorecard)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    on_time_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    total_score = models.DecimalField(max_digits=6, decimal_places=2)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.agency_id} {self.period_start:%m/%Y}: {self.total_score}"
