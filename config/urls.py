from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config import views

admin.site.site_header = _("motcua — Hệ thống giải quyết thủ tục hành chính một cửa")
admin.site.site_title = _("motcua")
admin.site.index_title = _("Quản trị danh mục và lịch làm việc")

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
]
