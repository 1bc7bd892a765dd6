"""Notifications drop two indexes every insert kept up: the LIKE copy of the dedupe key's (PostgreSQL) and the
recipient's own, which notify_inbox_idx (recipient, channel, read_at) already leads with."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from shiguang.core.migration_ops import schema_in_place

PG_FORWARD = [
    "DROP INDEX IF EXISTS notify_notification_dedupe_key_009421cd_like",
    "DROP INDEX IF EXISTS notify_notification_recipient_id_07222ca5",
    "ALTER TABLE notify_notification RENAME CONSTRAINT notify_notification_dedupe_key_key TO notify_dedupe_key_unique",
]
PG_BACKWARD = [
    "ALTER TABLE notify_notification RENAME CONSTRAINT notify_dedupe_key_unique TO notify_notification_dedupe_key_key",
    "CREATE INDEX notify_notification_recipient_id_07222ca5 ON notify_notification (recipient_id)",
    "CREATE INDEX notify_notification_dedupe_key_009421cd_like ON notify_notification"
    " (dedupe_key varchar_pattern_ops)",
]
# on SQLite the unique index on dedupe_key is part of the table and stays as it is
SQLITE_FORWARD = ["DROP INDEX notify_notification_recipient_id_07222ca5"]
SQLITE_BACKWARD = [
    "CREATE INDEX notify_notification_recipient_id_07222ca5 ON notify_notification (recipient_id)"
]


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        schema_in_place(
            [
                migrations.AlterField(
                    model_name="notification",
                    name="dedupe_key",
                    field=models.CharField(blank=True, max_length=120, null=True),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="接收人",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="notification",
                    constraint=models.UniqueConstraint(
                        fields=("dedupe_key",), name="notify_dedupe_key_unique"
                    ),
                ),
            ],
            forward={"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD},
            backward={"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD},
        )
    ]
