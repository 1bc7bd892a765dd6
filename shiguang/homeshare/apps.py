from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeshareConfig(AppConfig):
    name = "shiguang.homeshare"
    label = "homeshare"
    verbose_name = _("幸福同行")
