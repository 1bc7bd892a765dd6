from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shiguang.places.models import Community, District, Facility, Street


class NetworkAdmin(admin.ModelAdmin):
    """Places are reference data: every staff member can look, only district staff and admins edit."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and (user.is_superuser or user.is_staff_role))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def _can_edit(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser or user.role in ("district_staff", "admin"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._can_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._can_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(District, NetworkAdmin)


@admin.register(Street)
class StreetAdmin(NetworkAdmin):
    list_display = ("name", "district")


@admin.register(Community)
class CommunityAdmin(NetworkAdmin):
    list_display = ("name", "street", "elder_population", "is_ageing")
    list_filter = ("street", "is_ageing")
    search_fields = ("name",)


@admin.register(Facility)
class FacilityAdmin(NetworkAdmin):
    list_display = ("name", "level", "rating", "street", "community", "status", "capacity")
    list_filter = ("level", "status", "rating", "street")
    search_fields = ("name",)
