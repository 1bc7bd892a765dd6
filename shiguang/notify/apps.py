from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "shiguang.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self) -> None:
        from shiguang.core import worker
        from shiguang.notify import services

        worker.register("notify.dispatch", services.dispatch_due)
