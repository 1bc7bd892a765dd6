"""A bounded lane of database threads for the alarm paths that must survive a burst.

Under ASGI, Django runs every sync view on a thread of its own, and each thread keeps its own database
connection: 200 pendants firing at once would open 200 connections and PostgreSQL refuses the 101st. The
device endpoints and the SSE polls therefore run their database work on this small pool (SOS_DB_THREADS
threads per web process, default 8); requests wait in the event loop, which costs nothing.

SOS_DB_THREADS = 0 runs the work on the request's own thread instead (Django's default). So does a call made
inside an open transaction (a test's, say): that work must see, and be part of, the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections
from ninja.security import HttpBearer

T = TypeVar("T")


@cache
def _executor(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sos-db")


def _fresh(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` on this lane thread's own, persistent connection.

    The lane is the pool: each of its threads keeps one connection open for as long as it lives (the project's
    CONN_MAX_AGE = 0 is for request threads, which come and go; here it would open and close a PostgreSQL
    backend on every call, which cost more CPU than the trigger itself). A connection that saw an error is
    checked and replaced if it is broken (a restarted server, a killed backend).
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()
    return fn(*args, **kwargs)


def _caller_in_transaction() -> bool:
    return bool(connection.in_atomic_block)


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    threads = int(getattr(settings, "SOS_DB_THREADS", 8))
    # Work that belongs to an open transaction must stay on its connection (a test's transaction, or a
    # caller's atomic block): run it on the request's own thread then.
    if threads <= 0 or await sync_to_async(_caller_in_transaction)():
        return await sync_to_async(fn)(*args, **kwargs)
    runner = sync_to_async(_fresh, thread_sensitive=False, executor=_executor(threads))
    return await runner(fn, *args, **kwargs)


def _resolve_user(request: Any) -> Any:
    """Session (with the CSRF check for unsafe methods) or bearer token, read on a lane thread."""
    from shiguang.core.errors import Forbidden

    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        from shiguang.accounts.services import token_user

        user = token_user(header[7:].strip())
        if user is not None:
            request.user = user
        return user
    user = request.user  # lazy: loads the session and the user here, on this thread
    if not (user.is_authenticated and user.is_active):
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        from ninja.utils import check_csrf

        if check_csrf(request) is not None:
            raise Forbidden("CSRF check failed", code="csrf_failed")
    return user


class LaneAuth(HttpBearer):
    """ninja auth for the responder actions: the same session-or-bearer rules as the rest of the API, but the
    database work runs on the bounded lane (an alarm burst must not open a connection per request)."""

    async def __call__(self, request: Any) -> Any:  # type: ignore[override]
        return await run_db(_resolve_user, request)

    def authenticate(self, request: Any, token: str) -> Any:  # the bearer case is handled in __call__
        return None


def close_lanes(timeout: float = 5.0) -> None:
    """Close every lane thread's database connection and retire the pool (tests, before dropping the
    database; a process shutting down). The next run_db() starts a fresh pool."""
    import contextlib
    import threading

    from django.db import connections

    threads = int(getattr(settings, "SOS_DB_THREADS", 8))
    if threads <= 0 or _executor.cache_info().currsize == 0:
        return
    pool = _executor(threads)
    barrier = threading.Barrier(threads, timeout=timeout)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # one task per thread: all of them are busy at once
        connections.close_all()

    for future in [pool.submit(close) for _ in range(threads)]:
        future.result(timeout=timeout + 1)
    _executor.cache_clear()
    pool.shutdown(wait=False)
