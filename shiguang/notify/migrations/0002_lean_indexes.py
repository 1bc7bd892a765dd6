"""Notifications drop two indexes every insert kept up: the LIKE copy of the dedupe key's (PostgreSQL) and the
recipient's own, which notify_inbox_idx (recipient, channel, read_at) already leads with."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from shiguang.core.migration_ops import drop_index, rename_unique, schema_in_place

CHANGES = [
    drop_index(
        "notify_notification_dedupe_key_009421cd_like", "notify_notification", "dedupe_key", like=True
    ),
    drop_index("notify_notification_recipient_id_07222ca5", "notify_notification", "recipient_id"),
    rename_unique("notify_notification", "notify_notification_dedupe_key_key", "notify_dedupe_key_unique"),
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
            CHANGES,
        )
    ]
