from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shiguang.core.scoping import scoped
from shiguang.notify.models import Notification


def inbox(user: Any) -> QuerySet[Notification]:
    return scoped(Notification.objects.filter(channel="in_app"), user).order_by("-id")


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, channel="in_app", read_at__isnull=True).count()


def newer_than(user: Any, last_id: int) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user, channel="in_app", id__gt=last_id).order_by("id")[:50]
    )
