from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from shiguang.notify import services


@pytest.mark.django_db(transaction=True)
def test_stream_sends_new_notifications_as_server_sent_events(elder_a, async_client):
    async def scenario() -> str:
        await async_client.aforce_login(elder_a.user)
        response = await async_client.get("/notifications/stream/?after=0")
        assert response["Content-Type"] == "text/event-stream"
        await sync_to_async(services.enqueue)(
            recipient=elder_a.user,
            template="system.message",
            data={"title": "上门提醒", "body": "小王15:00到"},
        )
        received = ""
        chunks = response.streaming_content.__aiter__()
        while "event: notification" not in received:
            received += (await asyncio.wait_for(chunks.__anext__(), timeout=10)).decode()
        await chunks.aclose()
        return received

    text = asyncio.run(scenario())
    assert "上门提醒" in text and "小王15:00到" in text


def test_stream_requires_login(client):
    assert client.get("/notifications/stream/").status_code == 401
