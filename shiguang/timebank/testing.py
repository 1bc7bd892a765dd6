"""Test helpers for anything that writes to the time bank.

On SQLite the ledger's triggers refuse DELETE. The end-of-test flush of transactional tests still works:
this app's `flush` command lifts the DELETE guards for the flush (see management/commands/flush.py).
`ledger_flush` empties the ledger tables explicitly after a test (kept for tests that request it); on
PostgreSQL, where the flush uses TRUNCATE, it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def empty_ledger_sqlite() -> None:
    from django.db import connection, transaction

    from shiguang.timebank.migrations import _ledger_sql as sql

    if connection.vendor != "sqlite":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for name in sql.SQLITE_DELETE_GUARDS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute("DELETE FROM timebank_posting")
        cursor.execute("DELETE FROM timebank_ledgertransaction")
        cursor.execute("DELETE FROM timebank_account")
        for create in sql.SQLITE_DELETE_GUARDS.values():
            cursor.execute(create)


@pytest.fixture
def ledger_flush(transactional_db: Any) -> Iterator[None]:
    yield
    empty_ledger_sqlite()
