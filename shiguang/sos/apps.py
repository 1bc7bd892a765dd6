from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _elder_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [
        Tile("sos", _("紧急呼叫 SOS"), "sos:elder", tone="danger", order=1),
        Tile("sos_service", _("我需要服务"), "sos:service", tone="success", order=2),
        Tile("sos_checkin", _("报平安"), "sos:checkin", tone="primary", order=3),
    ]


def _staff_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [
        Tile("sos_console", _("紧急呼叫台"), "sos:console", tone="danger", order=1),
        Tile("sos_raise", _("代长者呼救"), "sos:raise", order=60),
        Tile("sos_kpi", _("呼救响应指标"), "sos:kpi", order=61),
        Tile("sos_rosters", _("值班表"), "sos:rosters", order=62),
        Tile("sos_checkins", _("报平安名单"), "sos:checkin_manage", order=63),
        Tile("sos_devices", _("呼叫设备"), "sos:devices", order=64),
        Tile("sos_reviews", _("事件复盘"), "sos:reviews", order=65),
        Tile("sos_policy", _("升级策略"), "sos:policy", order=66),
    ]


def _responder_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [Tile("sos_console", _("紧急呼叫动态"), "sos:console", tone="danger", order=5)]


def _volunteer_tiles(user: Any) -> list[Any]:
    from shiguang.core.home import Tile

    return [*_responder_tiles(user), Tile("sos_oncall", _("应急待命"), "sos:rosters", order=40)]


def _checkin_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing in is activity: it counts as today's check-in for an elder who opted in."""
    from shiguang.accounts.choices import Role

    if getattr(user, "role", None) != Role.ELDER:
        return
    from shiguang.sos.choices import CheckinSource
    from shiguang.sos.models import CheckinPlan
    from shiguang.sos.services import checkin_record

    plan = CheckinPlan.objects.filter(elder__user=user, active=True).select_related("elder").first()
    if plan is not None:
        try:
            checkin_record(actor=user, elder=plan.elder, source=CheckinSource.ACTIVITY)
        except Exception:  # a check-in must never block signing in
            import logging

            logging.getLogger("shiguang.sos").warning("check-in on login failed", exc_info=True)


class SosConfig(AppConfig):
    name = "shiguang.sos"
    label = "sos"
    verbose_name = _("紧急呼叫")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from shiguang.accounts.choices import Role
        from shiguang.core import worker
        from shiguang.core.home import register_tile
        from shiguang.sos import escalation, messages

        messages.register_all()
        worker.register("sos.escalate", escalation.escalate_due)
        worker.register("sos.checkin", escalation.checkin_due)
        register_tile(Role.ELDER, _elder_tiles)
        for role in (Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN):
            register_tile(role, _staff_tiles)
        register_tile(Role.VOLUNTEER, _volunteer_tiles)
        register_tile(Role.FAMILY, _responder_tiles)
        user_logged_in.connect(_checkin_on_login, dispatch_uid="sos.checkin_on_login")
