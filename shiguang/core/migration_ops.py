"""Operations for hand-written migrations: statements per database vendor, and index changes made in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import migrations

Statements = dict[str, list[str]]  # database vendor ("postgresql", "sqlite") -> statements


def run(schema_editor: Any, statements: Statements) -> None:
    """The statements for the schema editor's database (none for a vendor not named)."""
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


@dataclass(frozen=True)
class Change:
    """One schema change and its inverse."""

    forward: Statements
    backward: Statements


def drop_index(name: str, table: str, column: str, *, like: bool = False) -> Change:
    """Drop an index on one column; `like`: the varchar_pattern_ops copy Django adds on PostgreSQL only."""
    create = f"CREATE INDEX {name} ON {table} ({column}{' varchar_pattern_ops' if like else ''})"
    vendors = ["postgresql"] if like else ["postgresql", "sqlite"]
    return Change({v: [f"DROP INDEX IF EXISTS {name}"] for v in vendors}, {v: [create] for v in vendors})


def rename_index(old: str, new: str, table: str, column: str) -> Change:
    """PostgreSQL renames the index; SQLite cannot, and builds it again under the new name."""

    def renamed(before: str, after: str) -> Statements:
        return {
            "postgresql": [f"ALTER INDEX {before} RENAME TO {after}"],
            "sqlite": [f"DROP INDEX {before}", f"CREATE INDEX {after} ON {table} ({column})"],
        }

    return Change(renamed(old, new), renamed(new, old))


def rename_unique(table: str, old: str, new: str) -> Change:
    """PostgreSQL only: on SQLite a field's unique index is part of the table definition and stays."""

    def renamed(before: str, after: str) -> Statements:
        return {"postgresql": [f"ALTER TABLE {table} RENAME CONSTRAINT {before} TO {after}"]}

    return Change(renamed(old, new), renamed(new, old))


def schema_in_place(
    state: list[migrations.operations.base.Operation], changes: list[Change]
) -> migrations.SeparateDatabaseAndState:
    """The model state changes as `state` says, and the database by `changes` (undone in reverse order)
    instead of Django's own statements: on SQLite, altering a field copies the whole table, which drops the
    triggers the ledger and the audit log rely on; on PostgreSQL, renaming an index is cheaper than building
    it again."""

    def forward(apps: Any, schema_editor: Any) -> None:
        for change in changes:
            run(schema_editor, change.forward)

    def backward(apps: Any, schema_editor: Any) -> None:
        for change in reversed(changes):
            run(schema_editor, change.backward)

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(forward, backward)], state_operations=state
    )
