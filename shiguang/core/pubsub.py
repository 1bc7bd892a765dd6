"""Live push fan-out: Redis pub/sub when REDIS_URL is set, in-process otherwise.

A push is a convenience: readers also poll the database, so nothing depends on a delivered push.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
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


class _Hub:
    """One Redis subscription per (event loop, topic), shared by every subscriber of this process.

    Fifty open consoles in a web process used to mean fifty Redis connections, each receiving, parsing and
    decoding every message; now the process receives it once and hands the same payload (read-only) to each
    subscriber's queue. If Redis is unreachable the hub retries every second and the subscribers simply see
    silence (they poll the database meanwhile).
    """

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        import redis.asyncio as aioredis

        while self.queues:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(f"shiguang:{self.topic}")
                while self.queues:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is None:
                        continue
                    try:
                        payload = json.loads(msg["data"])
                    except ValueError:
                        continue
                    for queue in list(self.queues):
                        queue.put_nowait(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis subscription to %s failed; retrying", self.topic, exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Hub]] = weakref.WeakKeyDictionary()


async def subscribe(topic: str, timeout: float) -> AsyncIterator[dict[str, Any] | None]:
    """Yield payloads for `topic`; yields None every `timeout` seconds of silence (so callers can poll)."""
    if settings.REDIS_URL:
        loop = asyncio.get_running_loop()
        hubs = _hubs.setdefault(loop, {})
        hub = hubs.get(topic)
        if hub is None:
            hub = hubs[topic] = _Hub(topic)
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        hub.queues.add(inbox)
        if hub.task is None or hub.task.done():
            hub.task = loop.create_task(hub.run())
        try:
            while True:
                try:
                    yield await asyncio.wait_for(inbox.get(), timeout)
                except TimeoutError:
                    yield None
        finally:
            hub.queues.discard(inbox)
            if not hub.queues:
                if hub.task is not None:
                    hub.task.cancel()
                if hubs.get(topic) is hub:
                    del hubs[topic]
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
