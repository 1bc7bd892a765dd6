"""Make pytest-django's end-of-test flush work with SQLite's append-only audit triggers.

Transactional tests (the `transactional_db` fixture, `django_db(transaction=True)`, browser tests) end with a
flush, which the triggers refuse on SQLite (PostgreSQL flushes with TRUNCATE, which row triggers don't see).
This autouse fixture empties the database itself with the triggers lifted, then puts them back, so the flush
that follows finds no audit rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _is_transactional(request: Any) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return "transactional_db" in request.fixturenames or "live_db" in request.fixturenames


@pytest.fixture(autouse=True)
def _audit_safe_flush(request: Any) -> Iterator[None]:
    transactional = _is_transactional(request)
    if transactional and "transactional_db" in request.fixturenames:
        # Set it up inside this fixture so its flush runs after our teardown.
        request.getfixturevalue("transactional_db")
    yield
    if not transactional:
        return
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    from shiguang.core.migrations import _audit_triggers as triggers

    with connection.cursor() as cursor:
        for sql in triggers.SQLITE_DOWN:
            cursor.execute(sql)
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        for sql in triggers.SQLITE_UP:
            cursor.execute(sql)
