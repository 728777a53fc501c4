from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Danh mục thủ tục hành chính")
