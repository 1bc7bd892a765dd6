from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from shiguang.core.api import RowId, page_limit, page_offset, responses, user_of
from shiguang.notify import selectors, services
from shiguang.notify.models import Notification
from shiguang.notify.templates_registry import render

router = Router()


class NotificationOut(Schema):
    id: int
    template: str
    title: str
    body: str
    link: str
    created_at: str
    read: bool


class InboxOut(Schema):
    unread: int
    items: list[NotificationOut]


class MarkReadIn(Schema):
    ids: list[RowId] | None = Field(None, max_length=1000)


class MarkedOut(Schema):
    marked: int


def notification_row(n: Notification) -> dict[str, Any]:
    title, body = render(n.template, n.data)
    return {
        "id": n.id,
        "template": n.template,
        "title": title,
        "body": body,
        "link": n.link,
        "created_at": n.created_at.isoformat(),
        "read": n.read_at is not None,
    }


@router.get("", response=responses(InboxOut), summary="My in-app notifications")
def inbox(
    request: HttpRequest, offset: int = page_offset(), limit: int = page_limit(30, 100)
) -> dict[str, Any]:
    items = selectors.inbox(user_of(request))[offset : offset + limit]
    return {"unread": selectors.unread_count(user_of(request)), "items": [notification_row(n) for n in items]}


@router.post("/read", response=responses(MarkedOut), summary="Mark notifications read (all when ids is null)")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, Any]:
    return {"marked": services.mark_read(user=user_of(request), notification_ids=payload.ids)}
