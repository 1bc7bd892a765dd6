"""A bounded lane of database threads for the alarm paths that must survive a burst.

Under ASGI, Django runs every sync view on a thread of its own, and each thread keeps its own database
connection: 200 pendants firing at once would open 200 connections and PostgreSQL refuses the 101st. The
device endpoints and the SSE polls therefore run their database work on this small pool (SOS_DB_THREADS
threads per web process, default 8); requests wait in the event loop, which costs nothing.

SOS_DB_THREADS = 0 runs the work on the request's own thread instead (Django's default). So does a call made
inside an open transaction (a test's, say): that work must see, and be part of, the caller's transaction.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, Generic, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import connection, connections
from ninja.security import HttpBearer

T = TypeVar("T")
In = TypeVar("In")
Out = TypeVar("Out")


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


def _served_by_asgi_server() -> bool:
    """A request from an ASGI server (uvicorn): Django's ASGIHandler gives each one a ThreadSensitiveContext,
    whose thread starts fresh per request and can hold no open transaction (ATOMIC_REQUESTS does not wrap
    async views). The test clients have no such context: their caller may well be inside a transaction."""
    return SyncToAsync.thread_sensitive_context.get(None) is not None


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    threads = int(getattr(settings, "SOS_DB_THREADS", 8))
    # Work that belongs to an open transaction must stay on its connection (a test's transaction, or a
    # caller's atomic block): run it on the request's own thread then. Under an ASGI server there is none,
    # and asking would cost a thread hop per call.
    if threads <= 0 or (not _served_by_asgi_server() and await sync_to_async(_caller_in_transaction)()):
        return await sync_to_async(fn)(*args, **kwargs)
    runner = sync_to_async(_fresh, thread_sensitive=False, executor=_executor(threads))
    return await runner(fn, *args, **kwargs)


class Batcher(Generic[In, Out]):
    """Batches for a burst (group commit): calls that arrive while a batch is on the lane wait, and go
    together in the next one (at most `max_batch`), handled on the lane by
    `fn(items) -> [result or exception per item]`.

    Nothing waits on a timer: a lone call is written at once, as a batch of one. In a burst the batches grow
    by themselves, and each costs one transaction instead of one per call. The writer is a task of the
    process's event loop, not of any one request, so a client that hangs up cannot stall the others (its item
    is still written: the pendant was pressed).
    """

    def __init__(self, fn: Callable[[list[In]], list[Out | Exception]], max_batch: int = 50) -> None:
        self.fn = fn
        self.max_batch = max_batch
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[In, Out]] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, item: In) -> Out:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[Out] = loop.create_future()
        queue.pending.append((item, future))
        if queue.writer is None or queue.writer.done():
            queue.writer = loop.create_task(self._write(queue))
        return await future

    async def _write(self, queue: _Queue[In, Out]) -> None:
        while queue.pending:
            batch = queue.pending[: self.max_batch]
            del queue.pending[: self.max_batch]
            try:
                results = await run_db(self.fn, [item for item, _ in batch])
            except Exception as exc:  # the whole batch failed (the database is down): every caller hears it
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # the caller went away
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


class _Queue(Generic[In, Out]):
    def __init__(self) -> None:
        self.pending: list[tuple[In, asyncio.Future[Out]]] = []
        self.writer: asyncio.Task[None] | None = None


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
