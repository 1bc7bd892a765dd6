"""Refuse UPDATE and DELETE of audit events in the database itself, on SQLite and PostgreSQL.

TRUNCATE (PostgreSQL) stays possible for the table owner, who could drop these triggers anyway; the
hash chain (`manage.py verify_audit`) is what detects rewritten history.
"""

from django.db import migrations

from shiguang.core.migrations._audit_triggers import PG_DOWN, PG_UP, SQLITE_DOWN, SQLITE_UP


def forwards(apps, schema_editor):
    statements = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
