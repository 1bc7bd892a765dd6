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


def run_once(wid: str | None = None) -> int:
    """Run every handler once; returns the number of rows handled."""
    wid = wid or worker_id()
    done = 0
    for name, handler in _HANDLERS.items():
        try:
            done += handler(wid)
        except Exception:
            log.exception("worker handler %s failed", name)
            close_old_connections()
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
    while not stop():
        close_old_connections()
        handled = run_once(wid)
        try:
            run_tasks_batch()
        except Exception:
            log.exception("task batch failed")
        if not handled:
            time.sleep(interval)
