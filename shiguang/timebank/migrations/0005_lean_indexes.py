"""Ledger writes drop two indexes: the LIKE copy of the idempotency key's (PostgreSQL) and the posting
account's own, which timebank_posting_acct_time (account, created_at) already leads with."""

import django.db.models.deletion
from django.db import migrations, models

from shiguang.core.migration_ops import drop_index, rename_unique, schema_in_place

TXN = "timebank_ledgertransaction"
CHANGES = [
    drop_index("timebank_ledgertransaction_idempotency_key_f3f61781_like", TXN, "idempotency_key", like=True),
    drop_index("timebank_posting_account_id_74cdafdb", "timebank_posting", "account_id"),
    rename_unique(
        TXN, "timebank_ledgertransaction_idempotency_key_key", "timebank_txn_idempotency_key_unique"
    ),
]


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
            CHANGES,
        )
    ]
