from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SosConfig(AppConfig):
    name = "shiguang.sos"
    label = "sos"
    verbose_name = _("紧急呼叫")
