from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from shiguang.core.models import AuditEvent
from shiguang.core.scoping import scoped


class ScopedAdmin(admin.ModelAdmin):
    """Admin whose list, search and object lookups all go through the actor's scope."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scoped(super().get_queryset(request), request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and (user.is_superuser or user.is_staff_role))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Audit events are visible to admins only and can never be changed or deleted here."""

    list_display = ("created_at", "code", "actor", "on_behalf_of", "target_type", "target_id")
    list_filter = ("code",)
    search_fields = ("code", "target_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
