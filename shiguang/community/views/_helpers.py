from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.community.services._common import is_worker
from shiguang.core.errors import Forbidden, NotFound


def staff(request: HttpRequest) -> Any:
    user: Any = request.user
    if not is_worker(user):
        raise Forbidden(_("此页面供社区、街道和区工作人员使用。"))
    return user


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def elder_for_request(request: HttpRequest, source: dict[str, Any] | None = None) -> tuple[Any, list[Any]]:
    """The elder a page acts for: the signed-in elder, or (family) the linked elder chosen by `elder`."""
    from shiguang.people import selectors as people

    user: Any = request.user
    if user.role == Role.ELDER:
        elder = people.elder_for_user(user)
        if elder is None:
            raise NotFound(_("找不到您的长者档案，请联系社区工作人员。"))
        return elder, [elder]
    if user.role == Role.FAMILY:
        elders = list(people.family_elders(user))
        if not elders:
            raise Forbidden(_("您还没有关联长者。"))
        wanted = (source or request.GET).get("elder")
        chosen = next((e for e in elders if str(e.id) == str(wanted)), elders[0])
        return chosen, elders
    raise Forbidden(_("社区活动报名面向长者和家属；志愿者请使用“培训与证书”。"))


def parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
