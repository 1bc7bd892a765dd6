from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "shiguang.people"
    label = "people"
    verbose_name = _("长者与志愿者")
