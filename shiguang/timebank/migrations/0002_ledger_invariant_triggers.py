"""Ledger invariants in the database itself (immutability, balanced transactions, balances = postings).

The SQL and what it guarantees are documented in `_ledger_sql.py`.
"""

from django.db import migrations

from shiguang.timebank.migrations._ledger_sql import install, uninstall


def forwards(apps, schema_editor):
    install(schema_editor)


def backwards(apps, schema_editor):
    uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0001_ledger")]
    operations = [migrations.RunPython(forwards, backwards)]
