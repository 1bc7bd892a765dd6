"""Back office: the ledger is read-only here (writes go through the pages and services, which check, lock and
audit); querysets are scoped to the staff member's place."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from shiguang.core.admin import ReadOnlyAdmin
from shiguang.timebank.models import Account, LedgerTransaction, Posting, TimebankPolicy


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    fields = ("account", "kind", "amount", "policy", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "created_at", "amount", "provider", "receiver", "category", "policy")
    list_filter = ("kind", "category", "policy")
    search_fields = ("idempotency_key", "source")
    list_select_related = ("provider", "receiver", "policy")
    inlines = [PostingInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "__str__", "community", "balance", "earned", "min_balance")
    list_filter = ("kind",)
    search_fields = ("user__display_name",)
    list_select_related = ("user", "community", "policy")


@admin.register(TimebankPolicy)
class TimebankPolicyAdmin(ReadOnlyAdmin):
    """Policies are reference data (no Scoping): every staff member may read them; new versions are made on
    the policy page by district staff."""

    list_display = ("version", "effective_from", "cap_minutes", "redeem_mode", "note", "created_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return TimebankPolicy.objects.all()
