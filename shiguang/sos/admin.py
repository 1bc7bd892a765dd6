from __future__ import annotations

from django.contrib import admin

from shiguang.core.admin import ReadOnlyAdmin
from shiguang.sos.models import Alarm, DutyShift, EscalationPolicy, EscalationStep, IncidentReview


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    """Alarms change only through the services (audited); the admin is for looking."""

    list_display = (
        "id",
        "elder",
        "community",
        "source",
        "drill",
        "status",
        "raised_at",
        "acknowledged_at",
        "outcome",
    )
    list_filter = ("status", "source", "drill", "outcome")
    date_hierarchy = "raised_at"


@admin.register(EscalationStep)
class EscalationStepAdmin(ReadOnlyAdmin):
    list_display = ("alarm", "kind", "tier", "due_at", "done_at", "cancelled", "claimed_by")
    list_filter = ("kind", "cancelled")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ReadOnlyAdmin):
    list_display = ("community", "version", "created_at", "created_by", "note")


@admin.register(DutyShift)
class DutyShiftAdmin(ReadOnlyAdmin):
    list_display = ("person", "role", "community", "street", "starts_at", "ends_at", "cancelled_at")
    list_filter = ("role",)


@admin.register(IncidentReview)
class IncidentReviewAdmin(ReadOnlyAdmin):
    list_display = ("alarm", "opened_at", "ack_seconds", "status", "closed_by")
    list_filter = ("status",)
