"""The background worker loop: due-row handlers plus django-tasks' database queue.

Time-based work is a row with a due time (convention 5 in DESIGN.md). Each app registers a handler
`handler(worker_id: str) -> int` that claims due rows (SKIP LOCKED on PostgreSQL, IMMEDIATE
transactions on SQLite), acts, records, and returns how many it handled. Killing the process loses
nothing: an unfinished claim expires and the next worker takes the row.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger("shiguang.worker")

Handler = Callable[[str], int]
_HANDLERS: dict[str, Handler] = {}


def register(name: str, handler: Handler) -> None:
    _HANDLERS[name] = handler


def handlers() -> dict[str, Handler]:
    return dict(_HANDLERS)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Backoff:
    """Per-handler pause after consecutive failures (e.g. the database is down): the first retry is immediate,
    then 1, 2, 4 … 30 s; one full traceback per failure streak, then one line per retry."""

    MAX_SECONDS = 30.0

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}
        self.until: dict[str, float] = {}

    def ready(self, name: str) -> bool:
        return time.monotonic() >= self.until.get(name, 0.0)

    def failed(self, name: str) -> None:
        count = self.failures.get(name, 0) + 1
        self.failures[name] = count
        pause = 0.0 if count == 1 else min(self.MAX_SECONDS, 2.0 ** (count - 2))
        self.until[name] = time.monotonic() + pause
        if count == 1:
            log.exception("worker handler %s failed", name)
        else:
            log.warning("worker handler %s failed %d times in a row; next try in %.0f s", name, count, pause)

    def succeeded(self, name: str) -> None:
        if self.failures.pop(name, 0) > 1:
            log.info("worker handler %s works again", name)
        self.until.pop(name, None)


def run_once(wid: str | None = None, backoff: Backoff | None = None) -> int:
    """Run every handler once (those not pausing after failures); returns the number of rows handled."""
    wid = wid or worker_id()
    backoff = backoff or Backoff()
    done = 0
    for name, handler in _HANDLERS.items():
        if not backoff.ready(name):
            continue
        try:
            done += handler(wid)
        except Exception:
            backoff.failed(name)
            close_old_connections()
        else:
            backoff.succeeded(name)
    return done


def run_tasks_batch(max_tasks: int = 20) -> None:
    """Drain up to `max_tasks` queued django-tasks from the database backend."""
    from django.conf import settings

    if "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id(),
        excluded_queue_names=[],
    ).run()


def loop(*, interval: float = 0.2, stop: Callable[[], bool] = lambda: False) -> None:
    wid = worker_id()
    log.info("worker %s started with handlers: %s", wid, ", ".join(_HANDLERS))
    backoff = Backoff()
    while not stop():
        close_old_connections()
        handled = run_once(wid, backoff)
        if backoff.ready("tasks"):
            try:
                run_tasks_batch()
            except Exception:
                backoff.failed("tasks")
            else:
                backoff.succeeded("tasks")
        if not handled:
            time.sleep(interval)
