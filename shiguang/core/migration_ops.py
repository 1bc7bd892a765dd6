"""Operations for hand-written migrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import migrations

Statements = dict[str, list[str]]  # database vendor ("postgresql", "sqlite") -> statements


def _runner(statements: Statements) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


def schema_in_place(
    state: list[migrations.operations.base.Operation], forward: Statements, backward: Statements
) -> migrations.SeparateDatabaseAndState:
    """The model state changes as `state` says, and the database by the given statements instead of Django's.

    For index changes Django would make by rebuilding: on SQLite, altering a field copies the whole table,
    which drops the triggers the ledger and the audit log rely on; on PostgreSQL, renaming an index is
    cheaper than building it again."""
    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(_runner(forward), _runner(backward))],
        state_operations=state,
    )
