"""Ledger invariants enforced by the database itself, on PostgreSQL and SQLite.

Shared by the migration, the test helpers that must lift them to flush a SQLite test database
(`shiguang.timebank.testing`), and docs/timebank.md. What holds after every COMMIT, whoever writes:

1. Postings and transaction rows are immutable: UPDATE and DELETE are refused. Accounts are never deleted.
2. A transaction row is sealed when it is inserted: its postings must already exist (at least two, as many
   as `posting_count`) and sum to zero; no posting can be added to a sealed transaction afterwards.
   A posting without its transaction row cannot be committed: the foreign key is checked at COMMIT
   (Django creates it DEFERRABLE INITIALLY DEFERRED on both databases). On SQLite, where a client can
   switch foreign-key enforcement off (the sqlite3 shell does by default), postings are refused outright
   on such a connection. On PostgreSQL the seal and the postings' triggers lock the transaction ids they
   touch, so a posting cannot slip into a transaction another session is sealing (migration 0004; it
   replaced a re-check of every posting's transaction at COMMIT, PG_UP's constraint trigger).
3. An account's `balance` and `earned` are the sums of its postings (all postings, and the `earn` ones):
   each posting is applied to its account by a trigger in the same statement, and any other change to
   those columns is refused (PostgreSQL: only from inside the posting trigger; SQLite: only as the
   application of the account's newest posting, tracked in `last_posting_id`). New accounts start at zero.

TRUNCATE (PostgreSQL) is not a row operation and stays possible for the table owner, who could drop these
triggers anyway; `manage.py verify_ledger` recomputes everything from the postings and names the first
violation.
"""

from shiguang.core.migration_ops import run

IMMUTABLE_MESSAGE = "timebank ledger rows are immutable; post a reversing transaction instead"
# The global lock order of accounts (services, batch, the posting trigger): people 0, community pools 1, the priority pool 2,
# system accounts 3; by id within.
LOCK_RANK = (
    "CASE kind WHEN 'community_pool' THEN 1 WHEN 'priority_pool' THEN 2"
    " WHEN 'issuance' THEN 3 WHEN 'redemption' THEN 3 ELSE 0 END"
)

SQLITE_UP = [
    # 1. immutability
    f"""CREATE TRIGGER IF NOT EXISTS timebank_posting_no_update BEFORE UPDATE ON timebank_posting
        BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS timebank_posting_no_delete BEFORE DELETE ON timebank_posting
        BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS timebank_txn_no_update BEFORE UPDATE ON timebank_ledgertransaction
        BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS timebank_txn_no_delete BEFORE DELETE ON timebank_ledgertransaction
        BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_account_no_delete BEFORE DELETE ON timebank_account
        BEGIN SELECT RAISE(ABORT, 'timebank accounts are never deleted'); END;""",
    # 2. postings go in before their transaction row; the row seals them
    """CREATE TRIGGER IF NOT EXISTS timebank_posting_needs_fk BEFORE INSERT ON timebank_posting
        WHEN (SELECT foreign_keys FROM pragma_foreign_keys) = 0
        BEGIN SELECT RAISE(ABORT, 'timebank postings need foreign-key enforcement (PRAGMA foreign_keys=ON)'); END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_posting_not_sealed BEFORE INSERT ON timebank_posting
        WHEN EXISTS (SELECT 1 FROM timebank_ledgertransaction WHERE id = NEW.transaction_id)
        BEGIN SELECT RAISE(ABORT, 'timebank transaction is sealed: postings cannot be added to it'); END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_posting_known_account BEFORE INSERT ON timebank_posting
        WHEN NOT EXISTS (SELECT 1 FROM timebank_account WHERE id = NEW.account_id)
        BEGIN SELECT RAISE(ABORT, 'timebank posting to an unknown account'); END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_txn_balanced BEFORE INSERT ON timebank_ledgertransaction
        WHEN NEW.id IS NULL
          OR (SELECT COUNT(*) FROM timebank_posting WHERE transaction_id = NEW.id) < 2
          OR (SELECT COUNT(*) FROM timebank_posting WHERE transaction_id = NEW.id) <> NEW.posting_count
          OR (SELECT TOTAL(amount) FROM timebank_posting WHERE transaction_id = NEW.id) <> 0
        BEGIN SELECT RAISE(ABORT, 'timebank transaction does not balance: its postings must exist, number posting_count (>= 2) and sum to zero'); END;""",
    # 3. balances follow postings, and only postings
    """CREATE TRIGGER IF NOT EXISTS timebank_posting_apply AFTER INSERT ON timebank_posting
        BEGIN
          UPDATE timebank_account
             SET balance = balance + NEW.amount,
                 earned = earned + (CASE WHEN NEW.kind = 'earn' THEN NEW.amount ELSE 0 END),
                 last_posting_id = NEW.id
           WHERE id = NEW.account_id;
        END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_account_starts_empty BEFORE INSERT ON timebank_account
        WHEN NEW.balance <> 0 OR NEW.earned <> 0 OR NEW.last_posting_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'timebank accounts start at zero'); END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_account_balance_guard BEFORE UPDATE ON timebank_account
        WHEN (NEW.balance <> OLD.balance OR NEW.earned <> OLD.earned
              OR NEW.last_posting_id IS NOT OLD.last_posting_id)
         AND NOT (NEW.last_posting_id > COALESCE(OLD.last_posting_id, 0)
              AND EXISTS (SELECT 1 FROM timebank_posting p
                           WHERE p.id = NEW.last_posting_id AND p.account_id = NEW.id
                             AND NEW.balance = OLD.balance + p.amount
                             AND NEW.earned = OLD.earned + (CASE WHEN p.kind = 'earn' THEN p.amount ELSE 0 END)
                             AND NOT EXISTS (SELECT 1 FROM timebank_posting q
                                              WHERE q.account_id = NEW.id AND q.id > p.id)))
        BEGIN SELECT RAISE(ABORT, 'timebank balances change only by posting'); END;""",
    """CREATE TRIGGER IF NOT EXISTS timebank_account_identity BEFORE UPDATE ON timebank_account
        WHEN NEW.kind IS NOT OLD.kind OR NEW.user_id IS NOT OLD.user_id OR NEW.policy_id IS NOT OLD.policy_id
          OR NEW.shard IS NOT OLD.shard OR NEW.id IS NOT OLD.id
        BEGIN SELECT RAISE(ABORT, 'timebank account identity cannot change'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS timebank_posting_no_update;",
    "DROP TRIGGER IF EXISTS timebank_posting_no_delete;",
    "DROP TRIGGER IF EXISTS timebank_txn_no_update;",
    "DROP TRIGGER IF EXISTS timebank_txn_no_delete;",
    "DROP TRIGGER IF EXISTS timebank_account_no_delete;",
    "DROP TRIGGER IF EXISTS timebank_posting_needs_fk;",
    "DROP TRIGGER IF EXISTS timebank_posting_not_sealed;",
    "DROP TRIGGER IF EXISTS timebank_posting_known_account;",
    "DROP TRIGGER IF EXISTS timebank_txn_balanced;",
    "DROP TRIGGER IF EXISTS timebank_posting_apply;",
    "DROP TRIGGER IF EXISTS timebank_account_starts_empty;",
    "DROP TRIGGER IF EXISTS timebank_account_balance_guard;",
    "DROP TRIGGER IF EXISTS timebank_account_identity;",
]
# The triggers that refuse DELETE, which a SQLite flush (tests, demo reset) must lift and put back.
SQLITE_DELETE_GUARDS = {
    "timebank_posting_no_delete": SQLITE_UP[1],
    "timebank_txn_no_delete": SQLITE_UP[3],
    "timebank_account_no_delete": SQLITE_UP[4],
}

PG_UP = [
    # 1. immutability
    f"""CREATE OR REPLACE FUNCTION timebank_refuse_change() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION '{IMMUTABLE_MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER timebank_posting_immutable BEFORE UPDATE OR DELETE ON timebank_posting
        FOR EACH ROW EXECUTE FUNCTION timebank_refuse_change();""",
    """CREATE TRIGGER timebank_txn_immutable BEFORE UPDATE OR DELETE ON timebank_ledgertransaction
        FOR EACH ROW EXECUTE FUNCTION timebank_refuse_change();""",
    """CREATE TRIGGER timebank_account_no_delete BEFORE DELETE ON timebank_account
        FOR EACH ROW EXECUTE FUNCTION timebank_refuse_change();""",
    # 2 + 3. a posting goes into an unsealed transaction and is applied to its account at once
    """CREATE OR REPLACE FUNCTION timebank_posting_apply() RETURNS trigger AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM timebank_ledgertransaction WHERE id = NEW.transaction_id) THEN
            RAISE EXCEPTION 'timebank transaction % is sealed: postings cannot be added to it', NEW.transaction_id
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          UPDATE timebank_account
             SET balance = balance + NEW.amount,
                 earned = earned + (CASE WHEN NEW.kind = 'earn' THEN NEW.amount ELSE 0 END),
                 last_posting_id = NEW.id
           WHERE id = NEW.account_id;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'timebank posting to an unknown account %', NEW.account_id
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER timebank_posting_apply BEFORE INSERT ON timebank_posting
        FOR EACH ROW EXECUTE FUNCTION timebank_posting_apply();""",
    """CREATE OR REPLACE FUNCTION timebank_account_guard() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF NEW.balance <> 0 OR NEW.earned <> 0 OR NEW.last_posting_id IS NOT NULL THEN
              RAISE EXCEPTION 'timebank accounts start at zero' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
          END IF;
          IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.user_id IS DISTINCT FROM OLD.user_id
             OR NEW.policy_id IS DISTINCT FROM OLD.policy_id OR NEW.shard IS DISTINCT FROM OLD.shard
             OR NEW.id IS DISTINCT FROM OLD.id THEN
            RAISE EXCEPTION 'timebank account identity cannot change' USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF (NEW.balance, NEW.earned) IS DISTINCT FROM (OLD.balance, OLD.earned)
             OR NEW.last_posting_id IS DISTINCT FROM OLD.last_posting_id THEN
            -- depth 1 is a statement from a client; the posting trigger's own UPDATE runs at depth 2
            IF pg_trigger_depth() < 2 THEN
              RAISE EXCEPTION 'timebank balances change only by posting'
                USING ERRCODE = 'integrity_constraint_violation';
            END IF;
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER timebank_account_guard BEFORE INSERT OR UPDATE ON timebank_account
        FOR EACH ROW EXECUTE FUNCTION timebank_account_guard();""",
    # 2. the transaction row seals balanced postings ...
    """CREATE OR REPLACE FUNCTION timebank_txn_balanced() RETURNS trigger AS $$
        DECLARE n integer; total numeric;
        BEGIN
          SELECT COUNT(*), COALESCE(SUM(amount), 0) INTO n, total
            FROM timebank_posting WHERE transaction_id = NEW.id;
          IF n < 2 OR n <> NEW.posting_count OR total <> 0 THEN
            RAISE EXCEPTION 'timebank transaction % does not balance (% postings, declared %, sum %)',
              NEW.id, n, NEW.posting_count, total USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER timebank_txn_balanced BEFORE INSERT ON timebank_ledgertransaction
        FOR EACH ROW EXECUTE FUNCTION timebank_txn_balanced();""",
    # ... and COMMIT re-checks every transaction that received a posting.
    """CREATE OR REPLACE FUNCTION timebank_posting_committed() RETURNS trigger AS $$
        DECLARE n integer; total numeric; declared integer;
        BEGIN
          SELECT posting_count INTO declared FROM timebank_ledgertransaction WHERE id = NEW.transaction_id;
          IF declared IS NULL THEN
            RAISE EXCEPTION 'timebank posting % has no transaction row', NEW.id
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          SELECT COUNT(*), COALESCE(SUM(amount), 0) INTO n, total
            FROM timebank_posting WHERE transaction_id = NEW.transaction_id;
          IF n <> declared OR total <> 0 THEN
            RAISE EXCEPTION 'timebank transaction % does not balance at commit (% postings, declared %, sum %)',
              NEW.transaction_id, n, declared, total USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE CONSTRAINT TRIGGER timebank_posting_committed AFTER INSERT ON timebank_posting
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION timebank_posting_committed();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS timebank_posting_committed ON timebank_posting;",
    "DROP TRIGGER IF EXISTS timebank_txn_balanced ON timebank_ledgertransaction;",
    "DROP TRIGGER IF EXISTS timebank_account_guard ON timebank_account;",
    "DROP TRIGGER IF EXISTS timebank_posting_apply ON timebank_posting;",
    "DROP TRIGGER IF EXISTS timebank_account_no_delete ON timebank_account;",
    "DROP TRIGGER IF EXISTS timebank_txn_immutable ON timebank_ledgertransaction;",
    "DROP TRIGGER IF EXISTS timebank_posting_immutable ON timebank_posting;",
    "DROP FUNCTION IF EXISTS timebank_posting_committed();",
    "DROP FUNCTION IF EXISTS timebank_txn_balanced();",
    "DROP FUNCTION IF EXISTS timebank_account_guard();",
    "DROP FUNCTION IF EXISTS timebank_posting_apply();",
    "DROP FUNCTION IF EXISTS timebank_refuse_change();",
]

# Migration 0003 (PostgreSQL): the same rules 2 and 3 with statement-level triggers over transition tables, so
# a many-row INSERT (the group commit writes a batch's postings and transaction rows in one statement each)
# applies each account's total once and checks every new transaction with one query, instead of running a
# PL/pgSQL function per row. The deferred per-posting re-check at COMMIT (constraint triggers are row-level
# only) and everything else stay as above.
PG_STATEMENT_LEVEL_UP = [
    "DROP TRIGGER IF EXISTS timebank_posting_apply ON timebank_posting;",
    "DROP FUNCTION IF EXISTS timebank_posting_apply();",
    f"""CREATE OR REPLACE FUNCTION timebank_postings_apply() RETURNS trigger AS $$
        DECLARE sealed bigint; accounts integer; applied integer;
        BEGIN
          SELECT n.transaction_id INTO sealed
            FROM new_postings n JOIN timebank_ledgertransaction t ON t.id = n.transaction_id LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'timebank transaction % is sealed: postings cannot be added to it', sealed
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          -- rows the writer has not locked yet (system shards) are taken in the global order
          PERFORM 1 FROM timebank_account WHERE id IN (SELECT account_id FROM new_postings)
            ORDER BY {LOCK_RANK}, id FOR UPDATE;
          UPDATE timebank_account a
             SET balance = a.balance + t.total, earned = a.earned + t.earned, last_posting_id = t.last
            FROM (SELECT account_id, SUM(amount) AS total,
                         SUM(CASE WHEN kind = 'earn' THEN amount ELSE 0 END) AS earned, MAX(id) AS last
                    FROM new_postings GROUP BY account_id) t
           WHERE a.id = t.account_id;
          GET DIAGNOSTICS applied = ROW_COUNT;
          SELECT COUNT(DISTINCT account_id) INTO accounts FROM new_postings;
          IF applied <> accounts THEN
            RAISE EXCEPTION 'timebank posting to an unknown account' USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql;""",  # noqa: S608 (LOCK_RANK is a constant)
    """CREATE TRIGGER timebank_postings_apply AFTER INSERT ON timebank_posting
        REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION timebank_postings_apply();""",
    "DROP TRIGGER IF EXISTS timebank_txn_balanced ON timebank_ledgertransaction;",
    "DROP FUNCTION IF EXISTS timebank_txn_balanced();",
    """CREATE OR REPLACE FUNCTION timebank_txns_balanced() RETURNS trigger AS $$
        DECLARE bad record;
        BEGIN
          SELECT t.id, t.posting_count, COALESCE(p.n, 0) AS n, COALESCE(p.total, 0) AS total INTO bad
            FROM new_txns t
            LEFT JOIN LATERAL (SELECT COUNT(*) AS n, SUM(amount) AS total
                                 FROM timebank_posting WHERE transaction_id = t.id) p ON true
           WHERE COALESCE(p.n, 0) < 2 OR p.n <> t.posting_count OR COALESCE(p.total, 0) <> 0
           LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'timebank transaction % does not balance (% postings, declared %, sum %)',
              bad.id, bad.n, bad.posting_count, bad.total USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER timebank_txns_balanced AFTER INSERT ON timebank_ledgertransaction
        REFERENCING NEW TABLE AS new_txns FOR EACH STATEMENT EXECUTE FUNCTION timebank_txns_balanced();""",
]
PG_STATEMENT_LEVEL_DOWN = [
    "DROP TRIGGER IF EXISTS timebank_postings_apply ON timebank_posting;",
    "DROP FUNCTION IF EXISTS timebank_postings_apply();",
    "DROP TRIGGER IF EXISTS timebank_txns_balanced ON timebank_ledgertransaction;",
    "DROP FUNCTION IF EXISTS timebank_txns_balanced();",
    *(sql for sql in PG_UP if "timebank_posting_apply" in sql or "timebank_txn_balanced" in sql),
]


# Migration 0004 (PostgreSQL): the re-check at COMMIT (a PL/pgSQL call per posting, the costliest part of a
# group commit's COMMIT) gives way to a lock that closes the same gap for good. The gap: a client adding
# postings to a transaction id another session has just sealed but not committed sees no such row yet. Now
# both statement triggers first take a transaction-scoped advisory lock on every transaction id they touch
# (in id order, so two sessions never wait on each other in a cycle), and only then look: whoever comes
# second waits for the first to end and then sees its rows (each query in a PL/pgSQL function takes a fresh
# snapshot under READ COMMITTED), so a sealed transaction refuses the postings and a seal counts them.
# Advisory locks with two keys live apart from one-key ones; ids past 2^31 share a lock, which costs at most
# a wait.
LEDGER_LOCK_CLASS = 7_462_001  # the first key of the time bank's transaction-id locks


def _locking(function: str, table: str, column: str) -> str:
    """`function` (a statement trigger from PG_STATEMENT_LEVEL_UP) with the id locks taken before its checks."""
    body = next(sql for sql in PG_STATEMENT_LEVEL_UP if f"FUNCTION {function}()" in sql)
    lock = (
        f"PERFORM pg_advisory_xact_lock({LEDGER_LOCK_CLASS}, k)\n"  # noqa: S608 (constants)
        f"            FROM (SELECT DISTINCT ({column} % 2147483647)::integer AS k FROM {table} ORDER BY 1) ids;\n"
        "          "
    )
    head, sep, rest = body.partition("BEGIN\n          ")
    assert sep, function
    return head + sep + lock + rest


PG_ID_LOCKS_UP = [
    "DROP TRIGGER IF EXISTS timebank_posting_committed ON timebank_posting;",
    "DROP FUNCTION IF EXISTS timebank_posting_committed();",
    _locking("timebank_postings_apply", "new_postings", "transaction_id"),
    _locking("timebank_txns_balanced", "new_txns", "id"),
]
PG_ID_LOCKS_DOWN = [
    *(sql for sql in PG_STATEMENT_LEVEL_UP if sql.startswith("CREATE OR REPLACE FUNCTION")),
    *(sql for sql in PG_UP if "timebank_posting_committed" in sql),
]


def install(schema_editor) -> None:  # type: ignore[no-untyped-def]
    run(schema_editor, {"postgresql": PG_UP, "sqlite": SQLITE_UP})


def uninstall(schema_editor) -> None:  # type: ignore[no-untyped-def]
    run(schema_editor, {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})


def install_statement_level(schema_editor) -> None:  # type: ignore[no-untyped-def]
    run(schema_editor, {"postgresql": PG_STATEMENT_LEVEL_UP})


def uninstall_statement_level(schema_editor) -> None:  # type: ignore[no-untyped-def]
    run(schema_editor, {"postgresql": PG_STATEMENT_LEVEL_DOWN})


# Migration 0004 runs these directly (RunPython's signature).
def install_id_locks(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    run(schema_editor, {"postgresql": PG_ID_LOCKS_UP})


def uninstall_id_locks(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    run(schema_editor, {"postgresql": PG_ID_LOCKS_DOWN})
