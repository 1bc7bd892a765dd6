from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shiguang.core import pubsub
from shiguang.notify import selectors, services
from shiguang.notify.templates_registry import render as render_message

HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 2.0


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(request.user), 20).get_page(request.GET.get("page"))
    items = [(n, *render_message(n.template, n.data)) for n in page]
    return render(request, "notify/inbox.html", {"page": page, "items": items})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=request.user)
    return redirect("notify:inbox")


def _event(name: str, payload: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Server-Sent Events: new in-app notifications for the signed-in user.

    Pushes arrive through pub/sub; the stream also polls the outbox, so a missed push only delays a message.
    """
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    last_id = int(request.headers.get("Last-Event-ID") or request.GET.get("after") or 0)
    if not last_id:
        latest = await sync_to_async(lambda: selectors.inbox(user).values_list("id", flat=True).first())()
        last_id = latest or 0

    async def events() -> AsyncIterator[str]:
        nonlocal last_id
        yield "retry: 3000\n\n"
        silent = 0.0
        async for message in pubsub.subscribe(f"user:{user.pk}", timeout=POLL_SECONDS):
            rows = await sync_to_async(selectors.newer_than)(user, last_id)
            for n in rows:
                title, body = render_message(n.template, n.data)
                last_id = n.id
                yield f"id: {n.id}\n" + _event(
                    "notification", {"id": n.id, "title": title, "body": body, "link": n.link}
                )
            silent = 0.0 if rows or message else silent + POLL_SECONDS
            if silent >= HEARTBEAT_SECONDS:
                silent = 0.0
                yield ": heartbeat\n\n"
            await asyncio.sleep(0)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
