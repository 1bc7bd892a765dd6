"""The hot append-only tables carry only the indexes something reads through (migrations core 0004,
notify 0002, timebank 0005): every insert of the ledger writer, the audit log and the outbox keeps them up."""

import pytest
from django.db import connection

from shiguang.core import bulk

pytestmark = pytest.mark.django_db

HOT = ("core_auditevent", "notify_notification", "timebank_ledgertransaction", "timebank_posting")


def _indexes() -> dict[str, str]:
    if connection.vendor == "postgresql":
        where, params = bulk.among("tablename", HOT)
        sql = f"SELECT indexname, indexdef FROM pg_indexes WHERE {where}"
    else:
        where, params = bulk.among("tbl_name", HOT)
        sql = f"SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def test_no_like_copies_of_indexes():
    assert not [name for name, sql in _indexes().items() if "pattern_ops" in sql]


def test_no_index_that_a_composite_one_already_leads_with():
    names = _indexes()
    assert "timebank_posting_acct_time" in names and "notify_inbox_idx" in names
    assert "timebank_posting_account_id_74cdafdb" not in names
    assert "notify_notification_recipient_id_07222ca5" not in names


def test_the_model_names_the_indexes_the_database_has():
    names = _indexes()
    assert {"core_audit_code_idx", "core_audit_target_idx"} <= names.keys()
    if connection.vendor == "postgresql":  # SQLite keeps its unique indexes inside the table definition
        assert {
            "core_audit_hash_unique",
            "notify_dedupe_key_unique",
            "timebank_txn_idempotency_key_unique",
        } <= names.keys()
