from __future__ import annotations

import datetime as dt
from typing import Any

from shiguang.core import clock

# Monday 30 November 2026, 10:00 in Shenzhen.
MON_NOV_30 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=clock.SHANGHAI)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.SHANGHAI)


def say(user: Any, text: Any, **kwargs: Any) -> Any:
    from shiguang.assistant import services

    return services.message_handle(actor=user, text=text, **kwargs)


def client_for(user: Any) -> Any:
    """A separate signed-in test client (the `login` fixture re-uses one client)."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="shiguang.accounts.backends.PhoneOrUsernameBackend")
    return client
