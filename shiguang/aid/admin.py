"""Back office for the mutual-aid square. District staff edit the dispatch rules here (saved through the
services,
so every change is audited); everything else is read-only and scoped."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from shiguang.accounts.choices import Role
from shiguang.aid import services
from shiguang.aid.models import (
    AidPolicy,
    AidTimer,
    Block,
    CategoryRequirement,
    Dispute,
    HelpOffer,
    HelpRequest,
    Invitation,
    Rating,
)
from shiguang.core.admin import ReadOnlyAdmin, ScopedAdmin
from shiguang.core.errors import DomainError


def _district_staff(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and (user.is_superuser or user.role in (Role.DISTRICT_STAFF, Role.ADMIN)))


class RulesAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return _district_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _district_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _district_staff(request)


@admin.register(AidPolicy)
class AidPolicyAdmin(RulesAdmin):
    list_display = (
        "district",
        "require_insurance",
        "checkin_radius_m",
        "max_distance_km",
        "invite_batch",
        "invite_minutes",
        "max_rounds",
        "max_active_tasks",
    )
    readonly_fields = ("updated_by",)

    def save_model(self, request: HttpRequest, obj: AidPolicy, form: Any, change: bool) -> None:
        changes = {name: getattr(obj, name) for name in services.POLICY_LIMITS} | {
            "require_insurance": obj.require_insurance
        }
        try:
            saved = services.policy_update(actor=request.user, district=obj.district, changes=changes)
        except DomainError as exc:
            messages.error(request, f"{exc.message} {exc.fields}")
            return
        obj.pk = saved.pk


@admin.register(CategoryRequirement)
class CategoryRequirementAdmin(RulesAdmin):
    list_display = ("district", "category", "certifications", "note", "updated_by")
    list_filter = ("category",)
    readonly_fields = ("updated_by",)

    def save_model(self, request: HttpRequest, obj: CategoryRequirement, form: Any, change: bool) -> None:
        try:
            saved = services.requirement_set(
                actor=request.user,
                district=obj.district,
                category=obj.category,
                certifications=list(obj.certifications or []),
                note=obj.note,
            )
        except DomainError as exc:
            messages.error(request, f"{exc.message} {exc.fields}")
            return
        if saved is not None:
            obj.pk = saved.pk


@admin.register(HelpRequest)
class HelpRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "category", "elder", "community", "urgency", "status", "assignee", "created_at")
    list_filter = ("status", "category", "urgency")
    search_fields = ("elder__name",)
    list_select_related = ("elder", "community", "assignee")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("request", "volunteer", "round", "rank", "score", "status", "due_at")
    list_filter = ("status",)


@admin.register(HelpOffer)
class HelpOfferAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "available_from", "available_to", "status")
    list_filter = ("status",)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("request", "direction", "score", "rater", "ratee")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("request", "raised_side", "status", "outcome", "created_at", "resolved_by")
    list_filter = ("status", "outcome")


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ("blocker", "blocked", "reason", "recorded_by", "created_at")


@admin.register(AidTimer)
class AidTimerAdmin(admin.ModelAdmin):
    """Due-time rows (reminders, expiries, dispatch rounds): visible to superusers for support."""

    list_display = ("kind", "request", "offer", "due_at", "done_at", "attempts", "last_error")
    list_filter = ("kind",)

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
