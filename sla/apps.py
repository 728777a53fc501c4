from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Thời hạn và lịch làm việc")

    def ready(self) -> None:
        from sla import checks  # noqa: F401  (registers the settings check)
