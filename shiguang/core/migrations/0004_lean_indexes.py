"""Audit events keep one index per searched column: the LIKE ('varchar_pattern_ops') copies that db_index and
unique add on PostgreSQL go; the rest are renamed to what the model now declares."""

from django.db import migrations, models

from shiguang.core.migration_ops import drop_index, rename_index, rename_unique, schema_in_place

AUDIT = "core_auditevent"
CHANGES = [
    drop_index("core_auditevent_code_4788c0ec_like", AUDIT, "code", like=True),
    drop_index("core_auditevent_target_id_e52745a2_like", AUDIT, "target_id", like=True),
    drop_index("core_auditevent_hash_f08202aa_like", AUDIT, "hash", like=True),
    rename_index("core_auditevent_code_4788c0ec", "core_audit_code_idx", AUDIT, "code"),
    rename_index("core_auditevent_target_id_e52745a2", "core_audit_target_idx", AUDIT, "target_id"),
    rename_unique(AUDIT, "core_auditevent_hash_key", "core_audit_hash_unique"),
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
            CHANGES,
        )
    ]
