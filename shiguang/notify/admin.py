from __future__ import annotations

from django.contrib import admin

from shiguang.core.admin import ReadOnlyAdmin
from shiguang.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("template", "recipient", "channel", "status", "attempts", "created_at", "sent_at")
    list_filter = ("channel", "status")
