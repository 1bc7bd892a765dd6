from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Synthetic Futian demo data (`manage.py demo_data`). Has no models."""

    name = "shiguang.demo"
    label = "demo"
    verbose_name = "演示数据"
