from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Synthetic Futian demo data (`manage.py demo_data`). Has no models."""

    name = "shiguang.demo"
    label = "demo"
    verbose_name = _("演示数据")
