from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _elder_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [
        Tile("aid.post", _("我要求助"), "aid:post", tone="primary", order=10),
        Tile("aid.mine", _("我的求助"), "aid:mine", order=11),
    ]


def _family_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [
        Tile("aid.post", _("帮家人求助"), "aid:post", tone="primary", order=10),
        Tile("aid.mine", _("家人的求助"), "aid:mine", order=11),
    ]


def _volunteer_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [
        Tile("aid.square", _("互助广场"), "aid:square", tone="primary", order=10),
        Tile("aid.tasks", _("我的任务"), "aid:tasks", order=11),
        Tile("aid.offers", _("我的服务意向"), "aid:offers", order=12),
    ]


def _staff_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    tiles = [Tile("aid.console", _("派单台"), "aid:console", tone="primary", order=10)]
    if user.is_superuser or user.role in ("district_staff", "admin"):
        tiles.append(Tile("aid.rules", _("互助派单规则"), "aid:rules", order=60))
    return tiles


class AidConfig(AppConfig):
    name = "shiguang.aid"
    label = "aid"
    verbose_name = _("互助广场")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from shiguang.aid import dispatch, messages, selectors, services
        from shiguang.aid.models import Block, HelpRequest, Rating
        from shiguang.core import worker
        from shiguang.core.home import register_tile
        from shiguang.people.models import VolunteerProfile

        messages.register_all()
        worker.register("aid.timers", services.run_due_timers)
        register_tile("elder", _elder_tiles)
        register_tile("family", _family_tiles)
        register_tile("volunteer", _volunteer_tiles)
        for role in ("community_worker", "street_staff", "district_staff", "admin"):
            register_tile(role, _staff_tiles)
        # The ranking index is cached per process: drop it when what it holds changes here.
        for model in (VolunteerProfile, Rating):
            post_save.connect(
                dispatch.invalidate_index, sender=model, dispatch_uid=f"aid-index-{model.__name__}"
            )
            post_delete.connect(
                dispatch.invalidate_index, sender=model, dispatch_uid=f"aid-index-del-{model.__name__}"
            )
        # So is the square's snapshot (see selectors): this process sees its own changes at once.
        for feed_model in (HelpRequest, Block, VolunteerProfile):
            name = feed_model.__name__
            post_save.connect(selectors.invalidate_feed, sender=feed_model, dispatch_uid=f"aid-feed-{name}")
            post_delete.connect(
                selectors.invalidate_feed, sender=feed_model, dispatch_uid=f"aid-feed-del-{name}"
            )
