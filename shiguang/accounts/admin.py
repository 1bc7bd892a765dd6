from __future__ import annotations

from django.contrib import admin

from shiguang.accounts.models import ApiToken, Consent, User
from shiguang.core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = (
        "username",
        "display_name",
        "role",
        "community",
        "street",
        "district",
        "is_active",
        "last_login",
    )
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    exclude = ("password", "phone", "phone_index", "user_permissions", "groups")


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("subject", "category", "method", "granted_at", "withdrawn_at", "recorded_by")
    list_filter = ("category", "method")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
