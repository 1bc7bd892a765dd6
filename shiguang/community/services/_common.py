"""Permission checks and small helpers shared by the community services."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from shiguang.accounts.choices import WORKER_ROLES, Role
from shiguang.core import clock
from shiguang.core.errors import Forbidden
from shiguang.core.scoping import in_scope, is_worker

APPROVER_ROLES = {Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}


def require_worker(actor: Any, message: Any = None) -> None:
    if not is_worker(actor):
        raise Forbidden(message or _("只有社区工作人员可以执行此操作。"))


def facility_in_scope(facility: Any, actor: Any) -> bool:
    """Staff manage what happens at facilities in their place (street centres: street/district staff)."""
    if actor.is_superuser or actor.role == Role.ADMIN:
        return True
    if actor.role == Role.DISTRICT_STAFF:
        return bool(actor.district_id) and facility.street.district_id == actor.district_id
    if actor.role == Role.STREET_STAFF:
        return bool(actor.street_id) and facility.street_id == actor.street_id
    if actor.role == Role.COMMUNITY_WORKER:
        return bool(actor.community_id) and facility.community_id == actor.community_id
    return False


def require_facility_staff(actor: Any, facility: Any) -> None:
    if not (is_worker(actor) and facility_in_scope(facility, actor)):
        raise Forbidden(_("只有该服务点所在辖区的工作人员可以执行此操作。"))


def require_community_staff(actor: Any, community: Any) -> None:
    if not (is_worker(actor) and in_scope(community, actor)):
        raise Forbidden(_("只有本辖区工作人员可以执行此操作。"))


def may_act_for_elder(actor: Any, elder: Any) -> bool:
    """The elder, a linked family member, or staff whose place contains the elder."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.pk == elder.user_id:
        return True
    if actor.role in (Role.FAMILY, *WORKER_ROLES) or actor.is_superuser:
        return in_scope(elder, actor)
    return False


def require_act_for_elder(actor: Any, elder: Any) -> None:
    if not may_act_for_elder(actor, elder):
        raise Forbidden(_("您只能为自己、家人或本辖区的长者办理。"))


def on_behalf(actor: Any, user: Any) -> Any:
    """The person a proxy acted for (None when people act for themselves)."""
    return user if actor is not None and user is not None and actor.pk != user.pk else None


def describe_when(start: dt.datetime, end: dt.datetime | None = None) -> str:
    """'12月3日 周三 09:30–11:00' in Shanghai time, for messages and reminders."""
    from shiguang.community.choices import Weekday

    def day(value: dt.datetime) -> str:
        return _("%(month)s月%(day)s日") % {"month": value.month, "day": value.day}

    s = clock.local(start)
    text = f"{day(s)} {Weekday(s.weekday()).label} {s:%H:%M}"
    if end is not None:
        e = clock.local(end)
        text += f"–{e:%H:%M}" if e.date() == s.date() else f" – {day(e)} {e:%H:%M}"
    return text


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def zh_label(choice: Any) -> str:
    """A TextChoices label in Chinese whatever the request language (for stored search text)."""
    with translation.override("zh-hans"):
        return str(choice.label)


def clean_tags(tags: Any) -> tuple[list[str], list[str]]:
    """Normalise free keywords: strip, drop blanks and duplicates. Returns (tags, errors)."""
    if tags is None:
        return [], []
    if isinstance(tags, str):
        tags = tags.replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
    result: list[str] = []
    for raw in tags:
        tag = str(raw).strip()
        if tag and tag not in result:
            result.append(tag)
    errors = []
    if len(result) > 10:
        errors.append(_("关键词最多10个。"))
    if any(len(t) > 12 for t in result):
        errors.append(_("每个关键词不超过12个字。"))
    return result, errors
