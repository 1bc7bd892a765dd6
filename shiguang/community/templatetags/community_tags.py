from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from shiguang.community.services._common import describe_when

register = template.Library()

STATUS_LABELS = {
    "valid": _("有效"),
    "expiring": _("即将到期"),
    "expired": _("已过期"),
    "revoked": _("已撤销"),
    "not_yet": _("未生效"),
}


@register.filter
def when(obj: Any) -> str:
    """'12月3日 周三 09:30–11:00' for anything with start_at/end_at (activities, training sessions)."""
    return describe_when(obj.start_at, getattr(obj, "end_at", None))


@register.filter
def cert_status(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def percent(value: float | None) -> str:
    return f"{(value or 0) * 100:.0f}%"
