from __future__ import annotations

import datetime as dt

import pytest

from shiguang.core import clock
from shiguang.notify import services
from shiguang.notify.channels import LocalSinkChannel
from shiguang.notify.models import Notification


@pytest.fixture(autouse=True)
def clean_sink():
    LocalSinkChannel.sent.clear()
    LocalSinkChannel.fail_next = 0
    yield
    LocalSinkChannel.fail_next = 0


def test_enqueue_then_worker_delivers_after_commit(elder_a):
    note = services.enqueue(
        recipient=elder_a.user, template="system.welcome", data={"name": "陈婆婆"}, channel="local_sink"
    )
    assert note.status == "pending" and not LocalSinkChannel.sent
    assert services.dispatch_due("test") == 1
    note.refresh_from_db()
    assert note.status == "sent" and note.attempts == 1
    assert LocalSinkChannel.sent[0]["body"] == "陈婆婆，您好！有需要随时找我们。"


def test_dedupe_key_queues_once(elder_a):
    a = services.enqueue(recipient=elder_a.user, template="system.welcome", dedupe_key="k1")
    b = services.enqueue(recipient=elder_a.user, template="system.welcome", dedupe_key="k1")
    assert a.pk == b.pk and Notification.objects.count() == 1


def test_failures_retry_with_backoff_then_fall_back_to_second_channel(elder_a):
    start = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        note = services.enqueue(
            recipient=elder_a.user,
            template="system.welcome",
            channel="local_sink",
            fallback_channel="in_app",
            dedupe_key="sos-1",
        )
        LocalSinkChannel.fail_next = 99
        services.dispatch_due("w")
        note.refresh_from_db()
        assert note.status == "pending" and note.attempts == 1
        assert note.next_attempt_at == start + dt.timedelta(seconds=1)
        assert services.dispatch_due("w") == 0  # not due yet
        for _ in range(4):
            clock.advance(dt.timedelta(minutes=10))
            services.dispatch_due("w")
        note.refresh_from_db()
        assert note.status == "failed" and note.attempts == 5
        assert note.deliveries.filter(ok=False).count() == 5
        fallback = Notification.objects.get(dedupe_key="sos-1:fallback")
        assert fallback.channel == "in_app"
        services.dispatch_due("w")
        fallback.refresh_from_db()
        assert fallback.status == "sent"


def test_inbox_unread_and_mark_read(elder_a, login):
    services.enqueue(
        recipient=elder_a.user, template="system.message", data={"title": "活动提醒", "body": "明天太极"}
    )
    client = login(elder_a.user)
    body = client.get("/api/v1/notifications").json()
    assert body["unread"] == 1 and body["items"][0]["title"] == "活动提醒"
    assert "活动提醒" in client.get("/notifications/").content.decode()
    assert client.post("/api/v1/notifications/read", "{}", content_type="application/json").json() == {
        "marked": 1
    }
    assert client.get("/api/v1/notifications").json()["unread"] == 0


def test_other_users_notifications_are_invisible(elder_a, elder_b, login):
    services.enqueue(recipient=elder_b.user, template="system.message", data={"title": "私信", "body": "x"})
    assert login(elder_a.user).get("/api/v1/notifications").json()["items"] == []
