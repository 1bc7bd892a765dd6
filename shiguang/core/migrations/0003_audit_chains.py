"""Several audit hash chains: each event records which chain it extends (existing events are chain 1).

SQLite adds the column by rebuilding the table, which drops its triggers, so the append-only triggers are put
back afterwards (PostgreSQL adds the column in place and keeps them).
"""

from django.db import migrations, models

from shiguang.core.migrations._audit_triggers import SQLITE_UP


def restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only_triggers")]

    # Both directions rebuild the SQLite table, so the triggers are restored after either.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(restore_triggers, migrations.RunPython.noop),
    ]
