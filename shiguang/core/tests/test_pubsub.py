"""Live push fan-out through Redis: one subscription per process and topic, shared by every subscriber."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from shiguang.core import pubsub

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {REDIS_URL}")


def test_subscribers_of_one_topic_share_one_redis_subscription(settings: Any, monkeypatch: Any) -> None:
    settings.REDIS_URL = REDIS_URL
    monkeypatch.setattr(pubsub, "_redis_client", None)  # publish through the test's Redis
    topic = f"test:{os.getpid()}"

    async def scenario() -> tuple[list[Any], list[Any], int, bool]:
        first = pubsub.subscribe(topic, timeout=0.05)
        second = pubsub.subscribe(topic, timeout=0.05)
        assert await anext(first) is None and await anext(second) is None  # both registered, silence so far
        hubs = pubsub._hubs[asyncio.get_running_loop()]
        assert set(hubs) == {topic} and len(hubs[topic].queues) == 2
        for _ in range(100):  # wait until the hub's subscription is live
            if await asyncio.to_thread(lambda: pubsub._sync_redis().pubsub_numsub(f"shiguang:{topic}")[0][1]):
                break
            await asyncio.sleep(0.02)
        numsub = await asyncio.to_thread(
            lambda: pubsub._sync_redis().pubsub_numsub(f"shiguang:{topic}")[0][1]
        )
        await asyncio.to_thread(pubsub.publish, topic, {"id": 7})
        got_first = [m async for m in _until_message(first)]
        got_second = [m async for m in _until_message(second)]
        await first.aclose()
        await second.aclose()
        return got_first, got_second, int(numsub), topic in pubsub._hubs.get(asyncio.get_running_loop(), {})

    got_first, got_second, numsub, hub_left = asyncio.run(scenario())
    assert got_first[-1] == {"id": 7} and got_second[-1] == {"id": 7}
    assert numsub == 1  # one Redis subscription for two subscribers
    assert not hub_left  # the last subscriber to leave closes it


async def _until_message(stream: Any) -> Any:
    for _ in range(100):
        message = await anext(stream)
        yield message
        if message is not None:
            return
