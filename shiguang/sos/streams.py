"""Server-Sent Events for alarms: the responder console and the elder's "help is coming" page.

Pushes arrive through core.pubsub (Redis across processes); each stream also polls the database every
POLL_SECONDS, so a lost push only delays an update and never hides an alarm. Each event carries the alarm's
version; the client keeps the newest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from shiguang.core import clock, pubsub
from shiguang.core.errors import NotFound
from shiguang.sos import push, selectors
from shiguang.sos.lanes import run_db

HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 2.0
OVERLAP = dt.timedelta(seconds=3)  # re-read a little of the past on each poll: clocks and commits race


def _event(payload: dict[str, Any]) -> str:
    data = json.dumps(payload, ensure_ascii=False)
    return f"id: {payload['id']}.{payload['version']}\nevent: alarm\ndata: {data}\n\n"


def _viewer(request: HttpRequest) -> Any:
    """The signed-in user, loaded on the lane: an open stream must not pin a database connection to its
    request thread for as long as the console stays open."""
    user = request.user
    return user if user.is_authenticated and user.is_active else None


def _snapshots(alarms: list[Any]) -> list[dict[str, Any]]:
    return [push.snapshot(a) for a in alarms]


def _response(events: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _follow(
    initial: list[dict[str, Any]],
    poll: Callable[[dt.datetime], list[dict[str, Any]]],
    accept: Callable[[dict[str, Any]], bool],
) -> AsyncIterator[str]:
    sent: dict[int, int] = {}
    since = clock.now()

    def fresh(payload: dict[str, Any]) -> bool:
        if payload.get("version", 0) <= sent.get(payload["id"], 0):
            return False
        sent[payload["id"]] = payload["version"]
        return True

    yield "retry: 3000\n\n"
    for payload in initial:
        if fresh(payload):
            yield _event(payload)
    silent = 0.0
    async for message in pubsub.subscribe(push.TOPIC, timeout=POLL_SECONDS):
        if message is not None:
            silent = 0.0
            if isinstance(message, dict) and "id" in message and accept(message):
                public = push.public(message)
                if fresh(public):
                    yield _event(public)
            continue
        # Quiet for POLL_SECONDS: read what changed from the database (the truth), then heartbeat.
        started = clock.now()
        for payload in await run_db(poll, since - OVERLAP):
            if fresh(payload):
                yield _event(payload)
        since = started
        silent += POLL_SECONDS
        if silent >= HEARTBEAT_SECONDS:
            silent = 0.0
            yield ": heartbeat\n\n"
        await asyncio.sleep(0)


async def console_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Live alarms for a responder: staff follow their place, volunteers and family their own topic."""
    user = await run_db(_viewer, request)
    if user is None:
        return HttpResponse(status=401)
    sees = push.viewer_filter(user)
    initial = await run_db(lambda: _snapshots(selectors.live_alarms(user)))

    def poll(since: dt.datetime) -> list[dict[str, Any]]:
        return _snapshots(selectors.changed_since(user, since))

    return _response(_follow(initial, poll, lambda p: bool(sees(p.get(push.SCOPE) or {}))))


async def alarm_stream(request: HttpRequest, alarm_id: int) -> HttpResponse | StreamingHttpResponse:
    """One alarm (the elder's status page, or a card left open)."""
    user = await run_db(_viewer, request)
    if user is None:
        return HttpResponse(status=401)
    try:
        alarm = await run_db(selectors.alarm_get, user, alarm_id)
    except NotFound:
        return HttpResponse(status=404)
    initial = await run_db(lambda: [push.snapshot(alarm)])

    def poll(since: dt.datetime) -> list[dict[str, Any]]:
        return _snapshots(selectors.changed_since(user, since, alarm_id=alarm_id))

    return _response(_follow(initial, poll, lambda p: p.get("id") == alarm_id))
