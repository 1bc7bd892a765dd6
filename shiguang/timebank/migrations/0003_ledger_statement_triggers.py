"""PostgreSQL: the posting and sealing triggers at statement level (see `_ledger_sql.py`); SQLite unchanged."""

from django.db import migrations

from shiguang.timebank.migrations._ledger_sql import install_statement_level, uninstall_statement_level


def forwards(apps, schema_editor):
    install_statement_level(schema_editor)


def backwards(apps, schema_editor):
    uninstall_statement_level(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0002_ledger_invariant_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
