"""Live push fan-out: Redis pub/sub when REDIS_URL is set, in-process otherwise.

A push is a convenience: readers also poll the database, so nothing depends on a delivered push.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_local: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
_loops: dict[int, asyncio.AbstractEventLoop] = {}
_redis_client: Any = None


def _sync_redis() -> Any:
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    return _redis_client


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Best effort; never raises into the caller."""
    if settings.REDIS_URL:
        try:
            _sync_redis().publish(f"shiguang:{topic}", json.dumps(payload, ensure_ascii=False))
        except Exception:
            log.warning("redis publish failed for %s", topic, exc_info=True)
        return
    for queue in list(_local.get(topic, ())):
        loop = _loops.get(id(queue))
        if loop is None or loop.is_closed():
            continue
        try:
            loop.call_soon_threadsafe(queue.put_nowait, payload)
        except RuntimeError:
            continue


async def subscribe(topic: str, timeout: float) -> AsyncIterator[dict[str, Any] | None]:
    """Yield payloads for `topic`; yields None every `timeout` seconds of silence (so callers can poll)."""
    if settings.REDIS_URL:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(settings.REDIS_URL)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(f"shiguang:{topic}")
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
                yield json.loads(msg["data"]) if msg else None
        finally:
            await pubsub.aclose()
            await client.aclose()
    else:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        _local[topic].add(queue)
        _loops[id(queue)] = asyncio.get_running_loop()
        try:
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    yield None
        finally:
            _local[topic].discard(queue)
            _loops.pop(id(queue), None)
