"""Ledger writes drop two indexes: the LIKE copy of the idempotency key's (PostgreSQL) and the posting
account's own, which timebank_posting_acct_time (account, created_at) already leads with."""

import django.db.models.deletion
from django.db import migrations, models

from shiguang.core.migration_ops import schema_in_place

PG_FORWARD = [
    "DROP INDEX IF EXISTS timebank_ledgertransaction_idempotency_key_f3f61781_like",
    "DROP INDEX IF EXISTS timebank_posting_account_id_74cdafdb",
    "ALTER TABLE timebank_ledgertransaction"
    " RENAME CONSTRAINT timebank_ledgertransaction_idempotency_key_key TO timebank_txn_idempotency_key_unique",
]
PG_BACKWARD = [
    "ALTER TABLE timebank_ledgertransaction"
    " RENAME CONSTRAINT timebank_txn_idempotency_key_unique TO timebank_ledgertransaction_idempotency_key_key",
    "CREATE INDEX timebank_posting_account_id_74cdafdb ON timebank_posting (account_id)",
    "CREATE INDEX timebank_ledgertransaction_idempotency_key_f3f61781_like ON timebank_ledgertransaction"
    " (idempotency_key varchar_pattern_ops)",
]
# on SQLite the unique index on the idempotency key is part of the table and stays as it is
SQLITE_FORWARD = ["DROP INDEX timebank_posting_account_id_74cdafdb"]
SQLITE_BACKWARD = ["CREATE INDEX timebank_posting_account_id_74cdafdb ON timebank_posting (account_id)"]


class Migration(migrations.Migration):
    dependencies = [("timebank", "0004_ledger_id_locks")]

    operations = [
        schema_in_place(
            [
                migrations.AlterField(
                    model_name="ledgertransaction",
                    name="idempotency_key",
                    field=models.CharField(blank=True, max_length=200, null=True, verbose_name="幂等键"),
                ),
                migrations.AlterField(
                    model_name="posting",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="postings",
                        to="timebank.account",
                        verbose_name="账户",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="ledgertransaction",
                    constraint=models.UniqueConstraint(
                        fields=("idempotency_key",), name="timebank_txn_idempotency_key_unique"
                    ),
                ),
            ],
            forward={"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD},
            backward={"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD},
        )
    ]
