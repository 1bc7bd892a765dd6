"""The database itself keeps the ledger's invariants: writes that bypass the services (raw SQL) cannot
change history, unbalance a transaction, or make a balance differ from its postings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from shiguang.core import clock
from shiguang.timebank import selectors, services
from shiguang.timebank.migrations import _ledger_sql as _sql
from shiguang.timebank.models import Account, LedgerTransaction, Posting
from shiguang.timebank.tests.conftest import assert_ledger_ok
from shiguang.timebank.verify import verify_ledger

pytestmark = pytest.mark.django_db(transaction=True)


def raw(sql: str, params: list[Any] | None = None) -> None:
    """One committed statement (autocommit), as a client bypassing the application would run it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def refused(sql: str, params: list[Any] | None = None) -> None:
    with pytest.raises(IntegrityError):
        raw(sql, params)


@pytest.fixture
def ledger(post, volunteer_a, elder_b) -> dict[str, Any]:
    service = post(volunteer_a.user, 120)
    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=30)
    assert_ledger_ok()
    return {
        "service": service,
        "volunteer": selectors.account_of(volunteer_a.user),
        "elder": selectors.account_of(elder_b.user),
        "policy": service.policy_id,
    }


def _state() -> tuple[Any, ...]:
    return (
        tuple(Posting.objects.order_by("id").values_list("id", "transaction_id", "account_id", "amount")),
        tuple(LedgerTransaction.objects.order_by("id").values_list("id", "posting_count")),
        tuple(Account.objects.order_by("id").values_list("id", "balance", "earned")),
    )


def test_history_cannot_be_rewritten(ledger):
    before = _state()
    posting = ledger["service"].postings.order_by("id").first()
    refused("UPDATE timebank_posting SET amount = amount * 10 WHERE id = %s", [posting.pk])
    refused("UPDATE timebank_posting SET account_id = %s WHERE id = %s", [ledger["elder"].pk, posting.pk])
    refused("DELETE FROM timebank_posting WHERE id = %s", [posting.pk])
    refused("DELETE FROM timebank_posting")
    refused("UPDATE timebank_ledgertransaction SET amount = 1 WHERE id = %s", [ledger["service"].pk])
    refused("DELETE FROM timebank_ledgertransaction WHERE id = %s", [ledger["service"].pk])
    refused("DELETE FROM timebank_account WHERE id = %s", [ledger["elder"].pk])
    assert _state() == before
    assert_ledger_ok()


def test_balances_change_only_by_posting(ledger):
    before = _state()
    refused("UPDATE timebank_account SET balance = balance + 600 WHERE id = %s", [ledger["elder"].pk])
    refused("UPDATE timebank_account SET earned = 999999 WHERE id = %s", [ledger["volunteer"].pk])
    refused("UPDATE timebank_account SET balance = 0, earned = 0")
    refused(
        "UPDATE timebank_account SET last_posting_id = last_posting_id + 1, balance = balance + 1"
        " WHERE id = %s",
        [ledger["elder"].pk],
    )
    refused("UPDATE timebank_account SET kind = 'issuance' WHERE id = %s", [ledger["elder"].pk])
    refused(
        "INSERT INTO timebank_account (kind, user_id, shard, balance, earned, min_balance, created_at)"
        " VALUES ('priority_pool', NULL, 0, 5000, 0, 0, %s)",
        [clock.now()],
    )
    assert _state() == before
    # changing a non-ledger column is fine
    raw("UPDATE timebank_account SET min_balance = -60 WHERE id = %s", [ledger["elder"].pk])
    assert_ledger_ok()


def _insert_posting(
    txn_id: int, account_id: int, amount: int, policy_id: int, kind: str = "transfer_in"
) -> str:
    return (
        "INSERT INTO timebank_posting (transaction_id, account_id, amount, kind, policy_id, created_at) "
        f"VALUES ({int(txn_id)}, {int(account_id)}, {int(amount)}, '{kind}', {int(policy_id)}, %s)"
    )


_HEADER = (  # a transfer's row: id, policy, created_at, amount, posting_count
    "INSERT INTO timebank_ledgertransaction (id, kind, policy_id, created_at, minutes, amount, note, "
    "source, category, posting_count) VALUES (%s, 'transfer', %s, %s, 0, %s, '', '', '', %s)"
)


def test_unbalanced_transactions_cannot_be_committed(ledger):
    before = _state()
    now = clock.now()
    v, e, policy = ledger["volunteer"].pk, ledger["elder"].pk, ledger["policy"]
    txn = LedgerTransaction.objects.order_by("-id").first().pk + 100
    # postings that do not sum to zero: the transaction row refuses to seal them
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_insert_posting(txn, e, 60, policy), [now])
        cursor.execute(_insert_posting(txn, v, -30, policy, "transfer_out"), [now])
        cursor.execute(_HEADER, [txn, policy, now, 60, 2])
    # a declared count that does not match, or a single posting
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_insert_posting(txn, e, 30, policy), [now])
        cursor.execute(_insert_posting(txn, v, -30, policy, "transfer_out"), [now])
        cursor.execute(_HEADER, [txn, policy, now, 60, 3])
    # postings with no transaction row at all: refused at COMMIT
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_insert_posting(txn, e, 600, policy), [now])
    # a header with no postings
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_HEADER, [txn, policy, now, 60, 2])
    # adding a posting (even a balanced pair) to a sealed transaction
    sealed = ledger["service"].pk
    refused(_insert_posting(sealed, e, 60, policy), [now])
    assert _state() == before
    assert_ledger_ok()


def test_a_balanced_raw_write_is_accepted_and_balances_follow(ledger):
    """The triggers do not stop correct double entry; they keep balances right for it."""
    now = clock.now()
    v, e, policy = ledger["volunteer"].pk, ledger["elder"].pk, ledger["policy"]
    txn = LedgerTransaction.objects.order_by("-id").first().pk + 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_insert_posting(txn, v, -15, policy, "transfer_out"), [now])
        cursor.execute(_insert_posting(txn, e, 15, policy), [now])
        cursor.execute(_HEADER, [txn, policy, now, 15, 2])
    assert Account.objects.get(pk=v).balance == 120 - 30 - 15
    assert Account.objects.get(pk=e).balance == 30 + 15
    assert_ledger_ok()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: foreign-key enforcement is per connection")
def test_sqlite_refuses_postings_without_foreign_key_enforcement(ledger):
    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute(_insert_posting(999_999, ledger["elder"].pk, 600, ledger["policy"]), [now])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")
    assert_ledger_ok()


def test_verify_ledger_names_the_first_violation(ledger, capsys):
    call_command("verify_ledger")
    assert "Ledger OK" in capsys.readouterr().out
    from shiguang.timebank.migrations import _ledger_sql as sql

    # lift the guards (as someone with DDL rights could) and tamper, inside a transaction we roll back
    elder = ledger["elder"].pk
    with pytest.raises(_Rollback), transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE timebank_account DISABLE TRIGGER USER")
            else:
                cursor.execute("DROP TRIGGER timebank_account_balance_guard")
            cursor.execute("UPDATE timebank_account SET balance = balance + 600 WHERE id = %s", [elder])
        report = verify_ledger()
        assert not report.ok and report.violations == 1
        assert f"account #{elder}" in report.first and "balance_mismatch" in report.first
        with pytest.raises(CommandError, match=f"account #{elder}"):
            call_command("verify_ledger")
        raise _Rollback
    assert sql.SQLITE_UP  # the migration's SQL is what the rollback restored
    assert_ledger_ok()
    refused("UPDATE timebank_account SET balance = balance + 600 WHERE id = %s", [elder])


class _Rollback(Exception):
    pass


def test_flush_empties_the_ledger_and_keeps_the_guards(ledger):
    """`manage.py flush` (end of transactional tests, demo reset) works with ledger rows on SQLite; the audit
    trail's own guards are lifted by its callers (core.testing.db, demo builders), as here."""
    from shiguang.core.migrations import _audit_triggers as audit_triggers

    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        for statement in audit_triggers.SQLITE_DOWN if sqlite else []:
            cursor.execute(statement)
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        for statement in audit_triggers.SQLITE_UP if sqlite else []:
            cursor.execute(statement)
    assert Posting.objects.count() == 0 and Account.objects.count() == 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'timebank_%'"
            )
            assert cursor.fetchone()[0] == len(_sql.SQLITE_UP)


def _in_thread(work: Any) -> tuple[Any, dict[str, Any]]:
    """Run `work` in its own thread (so on its own database connection); returns the thread and its result."""
    import threading

    from django.db import connections

    result: dict[str, Any] = {}

    def run() -> None:
        try:
            work()
            result["ok"] = True
        except Exception as error:  # the assertion reads it
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: sessions write concurrently")
@pytest.mark.parametrize("first", ["sealer", "intruder"])
def test_postings_cannot_slip_into_a_transaction_another_session_is_sealing(ledger, first):
    """One session seals transaction T (its postings, then its row); another adds postings to T at the same
    time, before the first commits (so it cannot see T yet). Whichever comes first, the second waits for it,
    and T ends with its own postings only."""
    import threading

    now = clock.now()
    v, e, policy = ledger["volunteer"].pk, ledger["elder"].pk, ledger["policy"]
    txn = LedgerTransaction.objects.order_by("-id").first().pk + 100
    started, finish = threading.Event(), threading.Event()

    def seal() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_insert_posting(txn, v, -15, policy, "transfer_out"), [now])
            cursor.execute(_insert_posting(txn, e, 15, policy), [now])
            cursor.execute(_HEADER, [txn, policy, now, 15, 2])
            started.set()
            finish.wait(10)

    def intrude() -> None:  # a balanced pair, so only the count and the seal can catch it
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_insert_posting(txn, e, 20, policy), [now])
            cursor.execute(_insert_posting(txn, v, -20, policy, "transfer_out"), [now])
            started.set()
            finish.wait(10)

    one, other = (seal, intrude) if first == "sealer" else (intrude, seal)
    first_thread, first_result = _in_thread(one)
    assert started.wait(10), first_result
    second_thread, second_result = _in_thread(other)
    second_thread.join(0.5)
    assert second_thread.is_alive()  # waiting for the first session's lock on T
    finish.set()
    first_thread.join(10)
    second_thread.join(10)
    intruder = first_result if first == "intruder" else second_result
    sealer = second_result if first == "intruder" else first_result
    assert isinstance(intruder.get("error"), IntegrityError)  # sealed (or no transaction row at COMMIT)
    assert sealer.get("ok"), sealer
    amounts = Posting.objects.filter(transaction_id=txn).order_by("id").values_list("amount", flat=True)
    assert list(amounts) == [-15, 15]
    assert_ledger_ok()
