from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "shiguang.places"
    label = "places"
    verbose_name = _("区域与服务网络")
