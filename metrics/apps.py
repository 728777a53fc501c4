from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Chỉ số và báo cáo")

    def ready(self) -> None:
        """Listen to the news of ``workflows`` and Celery (Prometheus instruments, issue 4)."""
        from metrics import receivers, rollups

        receivers.connect()
        rollups.connect()
