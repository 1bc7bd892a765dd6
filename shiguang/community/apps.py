from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _elder_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [Tile(key="community.activities", label=_("社区活动"), url_name="community:activities", order=30)]


def _volunteer_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [
        Tile(key="community.training", label=_("培训与证书"), url_name="community:training", order=40),
    ]


def _staff_tiles(user: Any) -> list[Any]:
    from shiguang.accounts.choices import Role
    from shiguang.core.home import Tile

    tiles = [
        Tile(key="community.manage", label=_("社区活动"), url_name="community:manage", order=30),
        Tile(key="community.training", label=_("志愿者培训"), url_name="community:training", order=31),
        Tile(key="community.outreach", label=_("入户宣传"), url_name="community:outreach", order=32),
        Tile(key="community.cases", label=_("案例"), url_name="community:cases", order=33),
    ]
    if user.role in (Role.DISTRICT_STAFF, Role.ADMIN) or user.is_superuser:
        tiles.append(Tile(key="community.rules", label=_("区级规则"), url_name="community:rules", order=34))
    return tiles


class CommunityConfig(AppConfig):
    name = "shiguang.community"
    label = "community"
    verbose_name = _("社区生活")

    def ready(self) -> None:
        from shiguang.accounts.choices import Role
        from shiguang.community import messages, services
        from shiguang.core import worker
        from shiguang.core.home import register_tile

        messages.register_all()
        worker.register("community.activity_reminders", services.send_due_reminders)
        worker.register("community.certification_expiry", services.send_expiry_reminders)
        worker.register("community.series", services.extend_series)
        register_tile(Role.ELDER, _elder_tiles)
        register_tile(Role.VOLUNTEER, _volunteer_tiles)
        for role in (Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN):
            register_tile(role, _staff_tiles)
