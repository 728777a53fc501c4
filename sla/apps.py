from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Thời hạn và lịch làm việc")

    def ready(self) -> None:
        from sla import checks  # noqa: F401  (registers the settings check)
        from sla.models import CalendarOverride, OfficeHours
        from sla.services import calendar_cache_clear

        # A calendar edit in this process is seen at once; other processes re-check within the interval.
        for model in (CalendarOverride, OfficeHours):
            post_save.connect(
                calendar_cache_clear, sender=model, dispatch_uid=f"sla-cal-{model.__name__}-save"
            )
            post_delete.connect(
                calendar_cache_clear, sender=model, dispatch_uid=f"sla-cal-{model.__name__}-del"
            )
