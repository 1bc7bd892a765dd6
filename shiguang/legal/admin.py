from __future__ import annotations

from django.contrib import admin

from shiguang.core.admin import ReadOnlyAdmin
from shiguang.legal.models import Clause, Consultation, MediationCase, ReviewRequest


@admin.register(Clause)
class ClauseAdmin(admin.ModelAdmin):
    """Clauses are edited on /legal/clauses/ (each edit is a new version); the admin only lists them."""

    list_display = ("domain", "key", "version", "title", "element", "is_current")
    list_filter = ("domain", "is_current")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ("topic", "requester", "community", "status", "outcome", "created_at")
    list_filter = ("status", "topic")


@admin.register(ReviewRequest)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("title", "community", "status", "decided_by", "created_at")
    list_filter = ("status",)


@admin.register(MediationCase)
class MediationAdmin(ReadOnlyAdmin):
    list_display = ("title", "category", "status", "outcome", "created_at")
    list_filter = ("status", "outcome", "category")
