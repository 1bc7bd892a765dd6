"""Delivery channels behind one interface. SMS, WeChat and voice adapters implement the same `send`."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from shiguang.core import pubsub
from shiguang.notify.templates_registry import render

log = logging.getLogger(__name__)


@dataclass
class Result:
    ok: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = True


class Channel:
    name = ""

    def send(self, notification: Any) -> Result:
        raise NotImplementedError  # interface


class InAppChannel(Channel):
    """The inbox is the row itself; sending means pushing it live to open pages."""

    name = "in_app"

    def send(self, notification: Any) -> Result:
        title, body = render(notification.template, notification.data)
        pubsub.publish(
            f"user:{notification.recipient_id}",
            {
                "id": notification.id,
                "template": notification.template,
                "title": title,
                "body": body,
                "link": notification.link,
            },
        )
        return Result(ok=True, provider_id=f"inapp-{notification.id}")


class LocalSinkChannel(Channel):
    """Records messages in memory (tests) and in a log line (demo) instead of calling a gateway."""

    name = "local_sink"
    sent: list[dict[str, Any]] = []
    _lock = threading.Lock()
    fail_next: int = 0  # tests: make the next N sends fail

    def send(self, notification: Any) -> Result:
        with self._lock:
            if LocalSinkChannel.fail_next > 0:
                LocalSinkChannel.fail_next -= 1
                return Result(ok=False, error="simulated gateway failure")
            title, body = render(notification.template, notification.data)
            entry = {
                "id": notification.id,
                "recipient": notification.recipient_id,
                "title": title,
                "body": body,
            }
            LocalSinkChannel.sent.append(entry)
        log.info("local sink: %s", json.dumps(entry, ensure_ascii=False))
        return Result(ok=True, provider_id=f"sink-{notification.id}")


@cache
def get_channel(name: str) -> Channel:
    path = settings.NOTIFY_CHANNELS.get(name)
    if not path:
        raise KeyError(f"unknown notification channel {name!r}")
    channel: Channel = import_string(path)()
    return channel
