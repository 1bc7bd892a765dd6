"""PostgreSQL: advisory locks on transaction ids instead of the per-posting re-check at COMMIT (see
`_ledger_sql.py`); SQLite unchanged."""

from django.db import migrations

from shiguang.timebank.migrations._ledger_sql import install_id_locks, uninstall_id_locks


class Migration(migrations.Migration):
    dependencies = [("timebank", "0003_ledger_statement_triggers")]
    operations = [migrations.RunPython(install_id_locks, uninstall_id_locks)]
