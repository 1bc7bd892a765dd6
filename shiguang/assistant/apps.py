from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _resolves(url_name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(url_name)
    except NoReverseMatch:  # the app's pages are not mounted in this URLconf
        return False
    return True


def _elder_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    if not _resolves("assistant:chat"):
        return []
    return [Tile(key="assistant", label=_("AI助手"), url_name="assistant:chat", tone="primary", order=20)]


def _user_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    if not _resolves("assistant:chat"):
        return []
    return [Tile(key="assistant", label=_("AI助手"), url_name="assistant:chat", order=60)]


def _staff_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    if not _resolves("assistant:kb_list"):
        return []
    return [Tile(key="assistant-kb", label=_("AI助手知识库"), url_name="assistant:kb_list", order=70)]


class AssistantConfig(AppConfig):
    name = "shiguang.assistant"
    label = "assistant"
    verbose_name = _("AI助手")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from shiguang.accounts.choices import Role
        from shiguang.accounts.models import Consent
        from shiguang.assistant import (
            checks,  # noqa: F401 - registers the settings checks
            services,
        )
        from shiguang.core import worker
        from shiguang.core.home import register_tile

        register_tile(Role.ELDER, _elder_tiles)
        for role in (Role.VOLUNTEER, Role.FAMILY):
            register_tile(role, _user_tiles)
        for role in (
            Role.COMMUNITY_WORKER,
            Role.STREET_STAFF,
            Role.DISTRICT_STAFF,
            Role.LEGAL_ADVISOR,
            Role.ADMIN,
        ):
            register_tile(role, _staff_tiles)
        worker.register("assistant.sos_countdowns", services.fire_due_countdowns)
        worker.register("assistant.housekeeping", services.expire_due)
        post_save.connect(
            services.on_consent_saved, sender=Consent, dispatch_uid="assistant.consent_withdrawn"
        )
