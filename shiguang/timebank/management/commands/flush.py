"""`manage.py flush`, aware of the time bank's append-only triggers on SQLite.

On SQLite the ledger's triggers refuse DELETE, so Django's flush (which empties tables with DELETE there)
would fail as soon as the ledger holds a posting. A flush is the explicit "empty the whole database"
operation — tests end with one, `demo_data --reset` uses one — so for its duration, inside one transaction
(SQLite DDL is transactional: any failure puts the triggers back), the DELETE guards are lifted. PostgreSQL
flushes with TRUNCATE, which row triggers do not see, so nothing changes there. Every other guard (UPDATE,
balanced transactions, balances) stays in force.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from shiguang.timebank.migrations import _ledger_sql as sql


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = [row[0] for row in cursor.fetchall() if row[0] in sql.SQLITE_DELETE_GUARDS]
            for name in present:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            super().handle(**options)
            for name in present:
                cursor.execute(sql.SQLITE_DELETE_GUARDS[name])
