"""Prove the ledger from its postings: every transaction sums to zero (with as many postings as it declares,
at least two), no posting lacks its transaction, every posting carries its transaction's policy version, every
reversal is the exact opposite of what it reverses, and every account's stored balance and lifetime earnings
equal the sums of its postings (and respect its floor). Used by `manage.py verify_ledger` and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

CHECKS: list[tuple[str, str, str]] = [
    (
        "transaction_unbalanced",
        """SELECT t.id, t.posting_count, COUNT(p.id), COALESCE(SUM(p.amount), 0)
             FROM timebank_ledgertransaction t LEFT JOIN timebank_posting p ON p.transaction_id = t.id
            GROUP BY t.id, t.posting_count
           HAVING COUNT(p.id) < 2 OR COUNT(p.id) <> t.posting_count OR COALESCE(SUM(p.amount), 0) <> 0
            ORDER BY t.id""",
        "transaction #{0} does not balance: {2} postings (declared {1}), sum {3} minutes",
    ),
    (
        "posting_without_transaction",
        """SELECT p.id, p.transaction_id FROM timebank_posting p
             LEFT JOIN timebank_ledgertransaction t ON t.id = p.transaction_id
            WHERE t.id IS NULL ORDER BY p.id""",
        "posting #{0} belongs to no transaction (#{1} is missing)",
    ),
    (
        "posting_policy_mismatch",
        """SELECT p.id, p.transaction_id, p.policy_id, t.policy_id FROM timebank_posting p
             JOIN timebank_ledgertransaction t ON t.id = p.transaction_id
            WHERE p.policy_id <> t.policy_id ORDER BY p.id""",
        "posting #{0} of transaction #{1} records policy {2}, its transaction policy {3}",
    ),
    (
        "reversal_mismatch",
        """SELECT r.id, r.reverses_id, p.account_id, SUM(p.amount) FROM timebank_ledgertransaction r
             JOIN timebank_posting p ON p.transaction_id = r.id OR p.transaction_id = r.reverses_id
            WHERE r.reverses_id IS NOT NULL
            GROUP BY r.id, r.reverses_id, p.account_id HAVING SUM(p.amount) <> 0 ORDER BY r.id""",
        "reversal #{0} does not exactly undo #{1} on account #{2} (net {3} minutes)",
    ),
    (
        "balance_mismatch",
        """SELECT a.id, a.balance, COALESCE(SUM(p.amount), 0), a.earned,
                  COALESCE(SUM(CASE WHEN p.kind = 'earn' THEN p.amount ELSE 0 END), 0)
             FROM timebank_account a LEFT JOIN timebank_posting p ON p.account_id = a.id
            GROUP BY a.id, a.balance, a.earned
           HAVING a.balance <> COALESCE(SUM(p.amount), 0)
               OR a.earned <> COALESCE(SUM(CASE WHEN p.kind = 'earn' THEN p.amount ELSE 0 END), 0)
            ORDER BY a.id""",
        "account #{0}: stored balance {1} but postings sum to {2}; "
        "stored earned {3} but earn postings sum to {4}",
    ),
    (
        "below_floor",
        """SELECT a.id, a.balance, a.min_balance FROM timebank_account a
            WHERE a.min_balance IS NOT NULL AND a.balance < a.min_balance ORDER BY a.id""",
        "account #{0}: balance {1} is below its floor {2}",
    ),
]


@dataclass
class LedgerReport:
    transactions: int = 0
    postings: int = 0
    accounts: int = 0
    violations: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.violations == 0

    @property
    def first(self) -> str:
        return self.messages[0] if self.messages else ""


def verify_ledger(*, limit: int = 20) -> LedgerReport:
    report = LedgerReport()
    with connection.cursor() as cursor:
        for table, attr in (
            ("timebank_ledgertransaction", "transactions"),
            ("timebank_posting", "postings"),
            ("timebank_account", "accounts"),
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (fixed table names)
            setattr(report, attr, cursor.fetchone()[0])
        for code, sql, message in CHECKS:
            cursor.execute(sql)
            rows = cursor.fetchall()
            report.violations += len(rows)
            for row in rows[: max(0, limit - len(report.messages))]:
                report.messages.append(f"{code}: " + message.format(*row))
    return report
