"""Audit events keep one index per searched column: the LIKE ('varchar_pattern_ops') copies that db_index and
unique add on PostgreSQL go; the rest are renamed to what the model now declares."""

from django.db import migrations, models

from shiguang.core.migration_ops import schema_in_place

PG_FORWARD = [
    "DROP INDEX IF EXISTS core_auditevent_code_4788c0ec_like",
    "DROP INDEX IF EXISTS core_auditevent_target_id_e52745a2_like",
    "DROP INDEX IF EXISTS core_auditevent_hash_f08202aa_like",
    "ALTER INDEX core_auditevent_code_4788c0ec RENAME TO core_audit_code_idx",
    "ALTER INDEX core_auditevent_target_id_e52745a2 RENAME TO core_audit_target_idx",
    "ALTER TABLE core_auditevent RENAME CONSTRAINT core_auditevent_hash_key TO core_audit_hash_unique",
]
PG_BACKWARD = [
    "ALTER TABLE core_auditevent RENAME CONSTRAINT core_audit_hash_unique TO core_auditevent_hash_key",
    "ALTER INDEX core_audit_target_idx RENAME TO core_auditevent_target_id_e52745a2",
    "ALTER INDEX core_audit_code_idx RENAME TO core_auditevent_code_4788c0ec",
    "CREATE INDEX core_auditevent_hash_f08202aa_like ON core_auditevent (hash varchar_pattern_ops)",
    "CREATE INDEX core_auditevent_target_id_e52745a2_like ON core_auditevent (target_id varchar_pattern_ops)",
    "CREATE INDEX core_auditevent_code_4788c0ec_like ON core_auditevent (code varchar_pattern_ops)",
]
# SQLite renames no index; the unique index on hash is part of the table and stays as it is.
SQLITE_FORWARD = [
    "DROP INDEX core_auditevent_code_4788c0ec",
    "CREATE INDEX core_audit_code_idx ON core_auditevent (code)",
    "DROP INDEX core_auditevent_target_id_e52745a2",
    "CREATE INDEX core_audit_target_idx ON core_auditevent (target_id)",
]
SQLITE_BACKWARD = [
    "DROP INDEX core_audit_target_idx",
    "CREATE INDEX core_auditevent_target_id_e52745a2 ON core_auditevent (target_id)",
    "DROP INDEX core_audit_code_idx",
    "CREATE INDEX core_auditevent_code_4788c0ec ON core_auditevent (code)",
]


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_chains")]

    operations = [
        schema_in_place(
            [
                migrations.AlterField(
                    model_name="auditevent",
                    name="code",
                    field=models.CharField(max_length=80, verbose_name="事件"),
                ),
                migrations.AlterField(
                    model_name="auditevent", name="hash", field=models.CharField(max_length=64)
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="target_id",
                    field=models.CharField(blank=True, max_length=64, verbose_name="对象编号"),
                ),
                migrations.AddIndex(
                    model_name="auditevent", index=models.Index(fields=["code"], name="core_audit_code_idx")
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["target_id"], name="core_audit_target_idx"),
                ),
                migrations.AddConstraint(
                    model_name="auditevent",
                    constraint=models.UniqueConstraint(fields=("hash",), name="core_audit_hash_unique"),
                ),
            ],
            forward={"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD},
            backward={"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD},
        )
    ]
