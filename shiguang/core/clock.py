"""One clock for the whole platform, so tests can move time. All datetimes are aware."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: list[dt.datetime] = []


def now() -> dt.datetime:
    if _frozen:
        return _frozen[-1]
    return timezone.now()


def today() -> dt.date:
    return now().astimezone(SHANGHAI).date()


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Pin `now()` to `at` inside the block (tests only)."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    _frozen.append(at)
    try:
        yield
    finally:
        _frozen.pop()


def advance(delta: dt.timedelta) -> None:
    """Move a frozen clock forward (tests only)."""
    if not _frozen:
        raise RuntimeError("advance() works only inside frozen()")
    _frozen[-1] = _frozen[-1] + delta
