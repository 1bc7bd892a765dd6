from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebankConfig(AppConfig):
    name = "shiguang.timebank"
    label = "timebank"
    verbose_name = _("时间银行")

    def ready(self) -> None:
        from shiguang.accounts.choices import Role
        from shiguang.core.home import register_tile
        from shiguang.notify.templates_registry import register

        register(
            "timebank.earned",
            title=_("服务时长已入账"),
            body=_("您为{receiver}提供的{category}服务已记入 {hours} 小时时间币。"),
        )
        register("timebank.received", title=_("收到时间币"), body=_("{sender}转给您 {hours} 小时时间币。"))
        register(
            "timebank.redeemed", title=_("已用时间币兑换服务"), body=_("本次服务用去您 {hours} 小时时间币。")
        )
        register("timebank.star", title=_("星级提升"), body=_("恭喜！您的志愿服务星级升到了{stars}星。"))
        register(
            "timebank.reversed",
            title=_("时间币记录已更正"),
            body=_("交易 #{id}（{kind}）已冲正，原因：{reason}"),
        )
        register_tile(Role.ELDER, _person_tiles)
        register_tile(Role.VOLUNTEER, _person_tiles)
        register_tile(Role.FAMILY, _person_tiles)
        for role in (Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN):
            register_tile(role, _staff_tiles)


def _person_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile
    from shiguang.timebank import selectors

    hours = selectors.balance_for(user)
    label = _("我的时间 · %(hours)s 小时") % {"hours": f"{hours:,}"}
    return [
        Tile("timebank.mine", label, "timebank:mine", tone="primary", order=20),
        Tile("timebank.give", _("转赠时间"), "timebank:give", order=60),
    ]


def _staff_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile
    from shiguang.timebank import selectors

    tiles = [
        Tile("timebank.pools", _("时间银行"), "timebank:pools", order=40),
        Tile("timebank.record", _("登记服务时长"), "timebank:record", order=41),
    ]
    if selectors.is_district(user):
        tiles.append(Tile("timebank.policy", _("时间银行政策"), "timebank:policy", order=42))
    return tiles
