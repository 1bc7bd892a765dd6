"""Run a function in several real processes against the test database (for PostgreSQL concurrency tests)."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any


def _child(db_name: str, target: str, args: tuple[Any, ...], queue: Any) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import connections
    from django.utils.module_loading import import_string

    connections["default"].settings_dict["NAME"] = db_name
    try:
        queue.put(("ok", import_string(target)(*args)))
    except BaseException as exc:  # report, don't hang the parent
        queue.put(("error", repr(exc)))
    finally:
        connections.close_all()


def run_parallel(target: str, args_list: list[tuple[Any, ...]], timeout: float = 120) -> list[Any]:
    """Start one process per args tuple running `target` ("module.function"); return their results.

    Call from a test using `transactional_db`: children see only committed data.
    """
    from django.db import connection

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(connection.settings_dict["NAME"], target, a, queue))
        for a in args_list
    ]
    connection.close()  # children open their own connections
    for p in procs:
        p.start()
    results = [queue.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    errors = [r for status, r in results if status == "error"]
    if errors:
        raise AssertionError(f"child process failed: {errors}")
    return [r for _, r in results]
