"""Back office: knowledge articles (edited through the service, so every change is audited) and a read-only
view of emergency countdowns. Conversations are deliberately not in the admin: they are the user's alone."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shiguang.assistant import selectors, services
from shiguang.assistant.models import EmergencyCountdown, KnowledgeArticle
from shiguang.core.admin import ReadOnlyAdmin


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "published", "updated_at", "updated_by")
    list_filter = ("category", "published")
    search_fields = ("title", "tags", "body")
    fields = ("title", "category", "tags", "body", "published", "key", "updated_by", "updated_at")
    readonly_fields = ("key", "updated_by", "updated_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return selectors.can_edit_articles(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return selectors.can_edit_articles(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return selectors.can_edit_articles(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return selectors.can_edit_articles(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # unpublish instead: the audit trail keeps pointing at a real article

    def save_model(self, request: HttpRequest, obj: KnowledgeArticle, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data.get(name) for name in services.ARTICLE_FIELDS}
        if change:
            saved = services.article_update(actor=request.user, article_id=obj.pk, changes=data)
        else:
            saved = services.article_create(actor=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(EmergencyCountdown)
class EmergencyCountdownAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "elder", "status", "due_at", "fired_at", "cancelled_at", "alarm_id")
    list_filter = ("status",)
    exclude = ("note",)
