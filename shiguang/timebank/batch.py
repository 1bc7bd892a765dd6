"""Group commit for the time bank's frequent writes: confirmed services, transfers and donations.

`apply(calls)` plans a list of calls against the locked balances in memory, one after the other, and writes
the postings, transaction rows, audit events and notifications of all of them with one statement each, in the
caller's database transaction. A call that fails (insufficient balance, ineligible recipient, an idempotency
key used for a different request ...) gets its error and changes nothing; the others go on.

Callers: `services.post_service` / `transfer` / `donate` run a batch of one in their own transaction, and the
ledger writer (`timebank.writer`) runs a batch of whatever concurrent requests are waiting, so many ledger
transactions share one database transaction and one COMMIT. Either way the rules are this module's.

What the services check before a call gets here needs no database: the types and lengths of the inputs and
who may act (the actor's role and scope). Everything that reads the ledger or the policy happens here.

Locks: the accounts a batch posts to are locked in the services' global order (people, community pools, the
priority pool, the issuance and redemption shards; by id) in at most three statements, so concurrent batches
(several writer threads, callers applying in place) never wait on each other in a cycle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from shiguang.core import audit, bulk, clock
from shiguang.core.errors import DomainError, ValidationFailed
from shiguang.timebank import selectors
from shiguang.timebank import services as svc
from shiguang.timebank.choices import (
    AccountKind,
    HelpCategory,
    PoolChoice,
    PostingKind,
    RedeemMode,
    TransactionKind,
)
from shiguang.timebank.models import Account, LedgerTransaction, Posting, TimebankPolicy

SERVICE, TRANSFER, DONATION = "service", "transfer", "donation"
_USER_FIELDS = ("id", "username", "display_name", "role", "is_active", "is_superuser", "community_id")
OPS = (SERVICE, TRANSFER, DONATION)
_POSTING_COLUMNS = ("transaction_id", "account_id", "amount", "kind", "policy_id", "created_at")
_TXN_COLUMNS = tuple(f.attname for f in LedgerTransaction._meta.concrete_fields)


@dataclass
class Call:
    """One request, in primitives (it may travel to the ledger writer as JSON). `args` by op:
    service: actor, on_behalf_of, key, provider, receiver, minutes, category, source;
    transfer: actor, on_behalf_of, key, sender, recipient, minutes, note;
    donation: actor, on_behalf_of, key, sender, pool, community, minutes, note (user and community ids)."""

    op: str
    args: dict[str, Any]
    lang: str = ""


@dataclass
class Outcome:
    txn: LedgerTransaction | None = None
    error: DomainError | None = None

    def result(self) -> LedgerTransaction:
        if self.error is not None:
            raise self.error
        assert self.txn is not None
        return self.txn


def expected(call: Call) -> dict[str, Any]:
    """What a replay of the call's idempotency key must match (else 409)."""
    a = call.args
    if call.op == SERVICE:
        return {
            "kind": TransactionKind.SERVICE,
            "provider_id": a["provider"],
            "receiver_id": a["receiver"],
            "minutes": a["minutes"],
            "category": a["category"],
        }
    kind = TransactionKind.TRANSFER if call.op == TRANSFER else TransactionKind.DONATION
    return {"kind": kind, "provider_id": a["sender"], "amount": a["minutes"]}


@dataclass
class _Note:
    user: Any
    template: str
    data: dict[str, Any]
    key: str  # may name "{txn}": filled in when the transaction has its id
    txn: LedgerTransaction | None = None
    link: str = ""
    once: bool = False  # its key may be queued already (e.g. a star level): skipped then


@dataclass
class _Batch:
    policy: TimebankPolicy
    now: Any
    users: dict[int, Any]
    existing: dict[str, LedgerTransaction]
    person: dict[int, Account] = field(default_factory=dict)  # user id -> locked account
    community_pool: dict[int, Account] = field(default_factory=dict)  # community id -> locked account
    priority_pool: Account | None = None
    shards: dict[tuple[str, int], Account] = field(default_factory=dict)  # (kind, shard) -> account
    profiles: dict[int, Any] = field(default_factory=dict)
    relatives: set[frozenset[int]] = field(default_factory=set)
    txns: list[LedgerTransaction] = field(default_factory=list)
    lines: list[tuple[LedgerTransaction, list[svc.Line]]] = field(default_factory=list)
    related: list[tuple[LedgerTransaction, LedgerTransaction]] = field(default_factory=list)
    floors: dict[int, int] = field(default_factory=dict)
    staged_keys: dict[str, LedgerTransaction] = field(default_factory=dict)
    audits: list[audit.Entry] = field(default_factory=list)
    notes: list[_Note] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # for the transactions (room for all the calls may make)
    head: Any = None  # the audit chain head this batch appends to (locked)

    # --- planning helpers ---------------------------------------------------------------------------------

    @cached_property
    def mine(self) -> str:
        """The link of the "my hours" page, which most messages carry (resolved once per batch)."""
        return svc._link("timebank:mine")

    def replay(self, call: Call) -> LedgerTransaction | None:
        key = call.args.get("key")
        if not key:
            return None
        first = self.existing.get(key) or self.staged_keys.get(key)
        return svc._same_request(first, **expected(call)) if first is not None else None

    def shard(self, kind: str, person: Account) -> Account:
        assert person.user_id is not None, "only people mint and retire hours"
        return self.shards[(kind, _shard_of(person.user_id))]

    def stage(
        self, *, kind: str, lines: list[svc.Line], spending: bool = False, **fields: Any
    ) -> LedgerTransaction:
        """Check the lines against the balances in memory, then apply them there and keep them for the
        flush. Raises before changing anything."""
        lines, lowered = svc._checked(lines, self.policy, spending=spending, current=lambda account: account)
        for line in lines:
            line.account.balance += line.amount
            if line.kind == PostingKind.EARN:
                line.account.earned += line.amount
        for account, floor in lowered:  # only a payer with an account spends on credit
            account.min_balance = floor
            self.floors[account.id] = floor
        txn = bulk.unsaved(
            LedgerTransaction,
            kind=kind,
            policy=self.policy,
            created_at=self.now,
            posting_count=len(lines),
            **fields,
        )
        self.txns.append(txn)
        self.lines.append((txn, lines))
        if txn.idempotency_key:
            self.staged_keys[txn.idempotency_key] = txn
        return txn

    def notify(self, user: Any, template: str, data: dict[str, Any], *, key: str, **kw: Any) -> None:
        if user is not None and user.is_active:
            self.notes.append(_Note(user, template, data, key, **kw))

    def record(self, code: str, *, actor: Any, target: LedgerTransaction, **kw: Any) -> None:
        self.audits.append(audit.Entry(code, actor=actor, target=target, **kw))

    # --- writing ------------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything in one round trip (after opening any new accounts the plan uses)."""
        if not self.txns:
            return
        stand_ins = list(
            {
                id(line.account): line.account
                for _t, lines in self.lines
                for line in lines
                if line.account.id is None
            }.values()
        )
        if stand_ins:
            _open(stand_ins)
        assert len(self.ids) >= len(self.txns), "the load reserves ids for every transaction"
        for txn, number in zip(self.txns, self.ids, strict=False):
            txn.id = number
        for txn, other in self.related:
            txn.related_id = other.id
        writes = bulk.Round()
        for account_id, floor in sorted(self.floors.items()):
            # the database floor is a backstop: lowered (never raised) to the credit an elder was granted
            writes.execute("UPDATE timebank_account SET min_balance = %s WHERE id = %s", [floor, account_id])
        # postings before the transaction rows that seal them
        writes.insert(
            Posting,
            _POSTING_COLUMNS,
            [
                (txn.id, line.account.id, line.amount, line.kind, self.policy.pk, self.now)
                for txn, lines in self.lines
                for line in lines
            ],
        )
        writes.insert(
            LedgerTransaction, _TXN_COLUMNS, [[getattr(t, c) for c in _TXN_COLUMNS] for t in self.txns]
        )
        for entry in self.audits:
            # data may name a transaction of this batch, whose id is known only now
            entry.data = {
                k: v.id if isinstance(v, LedgerTransaction) else v for k, v in (entry.data or {}).items()
            }
        audit.append(self.audits, self.head, into=writes)
        if self.notes:
            from shiguang.notify.models import Notification
            from shiguang.notify.services import enqueue_many

            notes = [
                bulk.unsaved(
                    Notification,
                    recipient=note.user,
                    template=note.template,
                    data=note.data,
                    link=note.link,
                    dedupe_key="timebank:" + note.key.format(txn=note.txn.id if note.txn else ""),
                    channel="in_app",
                    priority=5,
                    next_attempt_at=self.now,
                )
                for note in self.notes
            ]
            # A key naming a transaction of this batch (or a key never posted before) cannot be queued yet;
            # a star level may have been announced before (and is announced once).
            pairs = list(zip(notes, self.notes, strict=True))
            enqueue_many([n for n, note in pairs if not note.once], fresh=True, into=writes)
            enqueue_many([n for n, note in pairs if note.once], into=writes)
        writes.run()
        for txn in self.txns:
            txn._state.adding = False
            txn._state.db = connection.alias


# --- loading ------------------------------------------------------------------------------------------------


def _identity(account: Account) -> tuple[Any, ...]:
    if account.kind == AccountKind.PERSON:
        return (account.kind, account.user_id)
    if account.kind == AccountKind.COMMUNITY_POOL:
        return (account.kind, account.community_id)
    if account.kind == AccountKind.PRIORITY_POOL:
        return (account.kind,)
    return (account.kind, account.policy_id, account.shard)


def _lock(identities: Iterable[tuple[Any, ...]]) -> list[Account]:
    """Lock the accounts with these identities (`_identity`) in one statement, in the global order."""
    with connection.cursor() as cursor:
        cursor.execute(*_lock_statement(identities))
        return svc._accounts(cursor.fetchall())


def _lock_statement(identities: Iterable[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    people, pools, priority = set(), set(), False
    system: dict[tuple[str, int], set[int]] = defaultdict(set)
    for kind, *rest in identities:
        if kind == AccountKind.PERSON:
            people.add(rest[0])
        elif kind == AccountKind.COMMUNITY_POOL:
            pools.add(rest[0])
        elif kind == AccountKind.PRIORITY_POOL:
            priority = True
        else:
            system[(kind, rest[0])].add(rest[1])
    clauses: list[str] = []
    params: list[Any] = []

    def among(column: str, values: set[int]) -> str:
        sql, values_params = bulk.among(column, values)
        params.extend(values_params)
        return sql

    if people:
        params.append(AccountKind.PERSON.value)
        clauses.append(f"(kind = %s AND {among('user_id', people)})")
    if pools:
        params.append(AccountKind.COMMUNITY_POOL.value)
        clauses.append(f"(kind = %s AND {among('community_id', pools)})")
    if priority:
        params.append(AccountKind.PRIORITY_POOL.value)
        clauses.append("kind = %s")
    for (kind, policy_id), shards in sorted(system.items()):
        params += [str(kind), policy_id]
        clauses.append(f"(kind = %s AND policy_id = %s AND {among('shard', shards)})")
    assert clauses, "nothing to lock"
    return svc._lock_sql(" OR ".join(clauses)), params


def _shard_of(user_id: int) -> int:
    """Each person mints from (and retires to) one shard, known before their account is read."""
    return user_id % svc.SYSTEM_SHARDS


class NeedPriority(Exception):
    """The plan needs the priority pool, which the load did not lock: apply the calls again with it locked
    from the start, in a new (sub)transaction (`apply_atomic` does)."""


class _Replan(Exception):
    """An account this batch opened was opened and used by a concurrent writer first: plan again."""


def _open(stand_ins: list[Account]) -> None:
    """Write the new accounts the successful calls use, lock them and give the stand-ins their ids. A person
    or pool row that is not empty any more was opened and used concurrently: the plan is redone against it."""
    Account.objects.bulk_create(
        [
            Account(
                kind=a.kind,
                user_id=a.user_id,
                community_id=a.community_id,
                policy_id=a.policy_id,
                shard=a.shard,
                min_balance=a.min_balance,
            )
            for a in stand_ins
        ],
        ignore_conflicts=True,
    )
    rows = {_identity(a): a for a in _lock(_identity(a) for a in stand_ins)}
    for account in stand_ins:
        row = rows[_identity(account)]
        if account.kind in (AccountKind.PERSON, AccountKind.COMMUNITY_POOL, AccountKind.PRIORITY_POOL) and (
            row.balance,
            row.earned,
        ) != (0, 0):
            raise _Replan
        account.id = row.id


def _users_statement(ids: Iterable[int]) -> tuple[str, list[Any]]:
    """What the rules and the messages read (not the encrypted columns, which would be decrypted)."""
    where, values = bulk.among("id", ids)
    columns = ", ".join(_user_fields())  # constants; the ids are parameters
    return f"SELECT {columns} FROM accounts_user WHERE {where}", values  # noqa: S608


def _user_fields() -> list[str]:
    from shiguang.accounts.models import User

    # from_db wants the values in the model's field order
    return [f.attname for f in User._meta.concrete_fields if f.attname in _USER_FIELDS]


def _users(rows: list[tuple[Any, ...]]) -> dict[int, Any]:
    from shiguang.accounts.models import User

    return {user.pk: user for user in bulk.loaded(User, _user_fields(), rows)}


def _posted_statement(keys: list[str]) -> tuple[str, list[Any]]:
    """Which keys were posted already (usually none: a cheap probe; the rows are loaded only for those)."""
    where, values = bulk.among("idempotency_key", keys)
    return f"SELECT idempotency_key FROM timebank_ledgertransaction WHERE {where}", values  # noqa: S608


def _posted_under(rows: list[tuple[Any, ...]]) -> dict[str, LedgerTransaction]:
    if not rows:
        return {}
    found = [row[0] for row in rows]
    return {t.idempotency_key: t for t in LedgerTransaction.objects.filter(idempotency_key__in=found)}


# Only what the recipient rule reads: no encrypted column is loaded (or decrypted) for it.
_PROFILE_FIELDS = ("id", "user_id", "community_id", "birth_date", "living_arrangement")


def _profiles_statement(users: Iterable[int]) -> tuple[str, list[Any]]:
    where, values = bulk.among("user_id", users)
    columns = ", ".join(_PROFILE_FIELDS)  # attnames that are also the column names
    return f"SELECT {columns} FROM people_elderprofile WHERE {where}", values  # noqa: S608


def _profiles(rows: list[tuple[Any, ...]]) -> dict[int, Any]:
    from shiguang.people.models import ElderProfile

    fields = bulk.concrete_fields(ElderProfile, _PROFILE_FIELDS)
    # SQLite returns dates as text
    values = ([f.to_python(v) for f, v in zip(fields, row, strict=True)] for row in rows)
    profiles = bulk.loaded(ElderProfile, _PROFILE_FIELDS, values)
    return {p.user_id: p for p in profiles}


def _links_statement(ends: set[int]) -> tuple[str, list[Any]]:
    """Family links between any two of these users (either may be the elder)."""
    elders, values = bulk.among("e.user_id", ends)
    family, _values = bulk.among("l.family_user_id", ends)
    sql = (
        "SELECT e.user_id, l.family_user_id FROM people_familylink l JOIN people_elderprofile e"  # noqa: S608
        f" ON e.id = l.elder_id WHERE {elders} AND {family}"
    )
    return sql, values + values


_POLICY_SQL = (
    "SELECT id, version, created_at FROM timebank_timebankpolicy WHERE effective_from <= %s"
    " ORDER BY effective_from DESC, version DESC LIMIT 1"
)
_policies: dict[tuple[Any, ...], TimebankPolicy] = {}


def _policy_statement() -> tuple[str, list[Any]]:
    moment = connection.ops.adapt_datetimefield_value(clock.now())  # SQLite compares naive UTC text
    return _POLICY_SQL, [moment]


def _policy(rows: list[tuple[Any, ...]]) -> TimebankPolicy:
    """The services' `_policy()`, with the row cached: versions are never edited, so (id, version, created)
    names one version for good; one small query per batch finds which is in force."""
    if not rows:
        return svc._policy()  # writes the default version 1 the first time
    row = tuple(rows[0])
    policy = _policies.get(row)
    if policy is None:
        policy = _policies[row] = TimebankPolicy.objects.get(pk=row[0])
    return policy


def _policy_in_force() -> TimebankPolicy:
    with connection.cursor() as cursor:
        cursor.execute(*_policy_statement())
        return _policy(cursor.fetchall())


def _load(calls: list[Call], policy: TimebankPolicy, *, priority: bool) -> _Batch:
    """Read and lock what the calls need, in one round trip. `policy` is the version expected in force (what
    was last seen); the round reads which one is, and if it is another, the caller loads again with it (what
    is locked stays locked). `priority`: lock the priority pool whatever the calls (see `NeedPriority`)."""
    user_ids: set[int] = set()
    holders: set[int] = set()  # users whose account is opened if needed
    payers: set[int] = set()  # receivers who pay for a service with their hours (looked up, never opened)
    communities: set[int] = set()
    recipients: set[int] = set()
    pairs: set[tuple[int, int]] = set()
    shards: set[tuple[str, int]] = set()  # (kind, shard) of the issuance and redemption accounts
    need_priority = priority
    on_service = policy.redeem_mode == RedeemMode.ON_SERVICE
    for call in calls:
        a = call.args
        user_ids.update(u for u in (a.get("actor"), a.get("on_behalf_of")) if u)
        if call.op == SERVICE:
            user_ids.update((a["provider"], a["receiver"]))
            holders.add(a["provider"])
            shards.add((AccountKind.ISSUANCE, _shard_of(a["provider"])))
            if on_service:
                payers.add(a["receiver"])
                shards.add((AccountKind.REDEMPTION, _shard_of(a["receiver"])))
        elif call.op == TRANSFER:
            user_ids.add(a["sender"])
            holders.add(a["sender"])
            if a["recipient"] is not None:
                user_ids.add(a["recipient"])
                holders.add(a["recipient"])
                recipients.add(a["recipient"])
                pairs.add((a["sender"], a["recipient"]))
        else:
            user_ids.add(a["sender"])
            holders.add(a["sender"])
            if a["pool"] == PoolChoice.COMMUNITY:
                communities.add(a["community"])
            else:
                need_priority = True
    keys = [a["key"] for a in (c.args for c in calls) if a.get("key")]

    # One round: the policy, the people, replayed keys, the recipient rule's facts; the people, the community
    # pools, the priority pool (for donations to it) and the issuance and redemption shards, locked in one
    # statement in the global order; ids for the transactions; a free audit chain.
    first = bulk.Round()
    q_policy = first.query(*_policy_statement())
    q_users = first.query(*_users_statement(user_ids))
    q_keys = first.query(*_posted_statement(keys)) if keys else None
    q_profiles = first.query(*_profiles_statement(recipients)) if recipients else None
    q_links = (
        first.query(*_links_statement({u for pair in pairs for u in pair}))
        if pairs and policy.relatives_eligible
        else None
    )
    wanted: list[tuple[Any, ...]] = [(AccountKind.PERSON, u) for u in holders | payers]
    wanted += [(AccountKind.COMMUNITY_POOL, c) for c in communities]
    if need_priority:
        wanted.append((AccountKind.PRIORITY_POOL,))
    wanted += [(kind, policy.pk, shard) for kind, shard in shards]
    q_lock = first.query(*_lock_statement(wanted))  # every call has a sender or a provider
    most = sum(2 if call.op == SERVICE and on_service else 1 for call in calls)  # a service may redeem too
    q_ids = first.query(*svc._transaction_ids_sql(most))
    q_head = first.query(*audit.claim_statement())
    rows = first.run()
    batch = _Batch(
        policy=_policy(rows[q_policy]),
        now=clock.now(),
        users=_users(rows[q_users]),
        existing=_posted_under(rows[q_keys]) if q_keys is not None else {},
    )
    if batch.policy is not policy:
        return batch  # not planned with: the caller loads again with this version
    if q_profiles is not None:
        batch.profiles = _profiles(rows[q_profiles])
    if q_links is not None:
        batch.relatives = {frozenset(link) for link in rows[q_links]}
    # An account that does not exist yet is a stand-in (balance 0) until the flush opens it, so a refused
    # call opens nothing.
    for account in svc._accounts(rows[q_lock]):
        if account.kind == AccountKind.PERSON and account.user_id is not None:
            account.user = batch.users[account.user_id]
            batch.person[account.user_id] = account
        elif account.kind == AccountKind.COMMUNITY_POOL and account.community_id is not None:
            batch.community_pool[account.community_id] = account
        elif account.kind == AccountKind.PRIORITY_POOL:
            batch.priority_pool = account
        elif account.kind in (AccountKind.ISSUANCE, AccountKind.REDEMPTION):
            batch.shards[(account.kind, account.shard)] = account
    for u in sorted(holders - set(batch.person)):
        if u in batch.users:
            batch.person[u] = Account(
                kind=AccountKind.PERSON,
                user=batch.users[u],
                community_id=batch.users[u].community_id,
                min_balance=0,
            )
    for c in sorted(communities - set(batch.community_pool)):
        batch.community_pool[c] = Account(kind=AccountKind.COMMUNITY_POOL, community_id=c, min_balance=0)

    for kind, shard in shards - set(batch.shards):
        batch.shards[(kind, shard)] = Account(
            kind=kind, policy=policy, shard=shard, min_balance=None if kind == AccountKind.ISSUANCE else 0
        )
    if need_priority and batch.priority_pool is None:
        batch.priority_pool = Account(kind=AccountKind.PRIORITY_POOL, min_balance=0)
    batch.ids = svc._transaction_ids_from(rows[q_ids], most)
    batch.head = audit.claimed(rows[q_head])
    if batch.priority_pool is None:
        # Credits that could lift someone above the cap need the priority pool, which sorts before the shards
        # just locked: taking it now could deadlock, so the caller starts over with it (`apply_atomic`).
        incoming: dict[int, int] = defaultdict(int)
        for call in calls:
            a = call.args
            if call.op == SERVICE and isinstance(a["minutes"], int):
                incoming[a["provider"]] += int(a["minutes"] * svc.MAX_WEIGHT)
            elif call.op == TRANSFER and a["recipient"] in batch.person and isinstance(a["minutes"], int):
                incoming[a["recipient"]] += a["minutes"]
        if any(
            u in batch.person and batch.person[u].balance + more > policy.cap_minutes
            for u, more in incoming.items()
        ):
            raise NeedPriority
    return batch


# --- the three calls ----------------------------------------------------------------------------------------


def _service(b: _Batch, call: Call) -> LedgerTransaction:
    a = call.args
    key = a["key"]
    policy = b.policy
    minutes = svc._whole_minutes(a["minutes"], maximum=policy.max_service_minutes)
    category = a["category"]
    weight = policy.weight(category)
    amount = svc._weighted(minutes, weight)
    if amount <= 0:
        raise ValidationFailed(fields={"minutes": [_("折算后的时长为0。")]})
    provider, receiver = b.users[a["provider"]], b.users[a["receiver"]]
    actor, on_behalf_of = b.users.get(a["actor"]), b.users.get(a["on_behalf_of"])
    earner = b.person[provider.pk]
    payer = b.person.get(receiver.pk) if policy.redeem_mode == RedeemMode.ON_SERVICE else None
    if payer is not None and payer.id is None:  # no account yet: nothing to pay with
        payer = None
    common = {
        "actor": actor,
        "on_behalf_of": on_behalf_of,
        "provider": provider,
        "receiver": receiver,
        "community_id": receiver.community_id or earner.community_id,
        "category": category,
        "source": a["source"],
        "minutes": minutes,
        "weight": weight,
    }
    earned_before = earner.earned
    txn = b.stage(
        kind=TransactionKind.SERVICE,
        lines=[
            svc.Line(b.shard(AccountKind.ISSUANCE, earner), -amount, PostingKind.MINT),
            *svc._credit_person(earner, amount, PostingKind.EARN, policy, b.priority_pool),
        ],
        idempotency_key=key,
        amount=amount,
        **common,
    )
    link = b.mine
    b.notify(
        provider,
        "timebank.earned",
        {
            "hours": svc.hours_label(amount),
            "category": str(HelpCategory(category).label),
            "receiver": str(receiver),
        },
        key=f"earned:{key}",
        link=link,
    )
    before = selectors.star_level_for_minutes(earned_before, policy.thresholds)
    after = selectors.star_level_for_minutes(earned_before + amount, policy.thresholds)
    if after > before:
        b.notify(provider, "timebank.star", {"stars": after}, key=f"star:{provider.pk}:{after}", once=True)
    if payer is not None:
        floor = svc._floor_for(payer, policy, spending=True) or 0
        paid = min(amount, max(0, payer.balance - floor))
        if paid > 0:  # cannot fail: `paid` is what the payer's floor allows
            redemption = b.stage(
                kind=TransactionKind.REDEMPTION,
                spending=True,
                lines=[
                    svc.Line(payer, -paid, PostingKind.SPEND),
                    svc.Line(b.shard(AccountKind.REDEMPTION, payer), paid, PostingKind.RETIRE),
                ],
                idempotency_key=f"{key}#redeem",
                amount=paid,
                note=_("受助时自动兑换"),
                **common,
            )
            b.related.append((redemption, txn))
            b.notify(
                receiver,
                "timebank.redeemed",
                {"hours": svc.hours_label(paid)},
                key="redeemed:{txn}",
                txn=redemption,
                link=link,
            )
            b.record(
                "timebank.service.redeemed",
                actor=actor,
                target=redemption,
                on_behalf_of=on_behalf_of,
                data={"service": txn, "person": receiver.pk, "amount": paid, "policy": policy.version},
            )
    b.record(
        "timebank.service.posted",
        actor=actor,
        target=txn,
        on_behalf_of=on_behalf_of,
        data={
            "provider": provider.pk,
            "receiver": receiver.pk,
            "minutes": minutes,
            "category": category,
            "weight": str(weight),
            "amount": amount,
            "policy": policy.version,
            "source": a["source"],
        },
    )
    return txn


def _transfer(b: _Batch, call: Call) -> LedgerTransaction:
    a = call.args
    policy = b.policy
    minutes = svc._giving_minutes(a["minutes"], policy)
    sender, recipient = b.users[a["sender"]], b.users.get(a["recipient"])
    verdict = selectors.recipient_eligibility(
        policy,
        sender,
        recipient,
        related=frozenset((a["sender"], a["recipient"])) in b.relatives,
        profile=b.profiles.get(a["recipient"]),
    )
    if not verdict.eligible:
        raise ValidationFailed(
            verdict.reason, fields={"recipient": [verdict.reason]}, code="ineligible_recipient"
        )
    assert recipient is not None
    source, target = b.person[sender.pk], b.person[recipient.pk]
    actor, on_behalf_of = b.users.get(a["actor"]), b.users.get(a["on_behalf_of"])
    txn = b.stage(
        kind=TransactionKind.TRANSFER,
        lines=[
            svc.Line(source, -minutes, PostingKind.TRANSFER_OUT),
            *svc._credit_person(target, minutes, PostingKind.TRANSFER_IN, policy, b.priority_pool),
        ],
        idempotency_key=a["key"],
        actor=actor,
        on_behalf_of=on_behalf_of,
        provider=sender,
        receiver=recipient,
        community_id=source.community_id,
        amount=minutes,
        note=a["note"],
        source=verdict.relation,
    )
    b.notify(
        recipient,
        "timebank.received",
        {"hours": svc.hours_label(minutes), "sender": str(sender)},
        key="received:{txn}",
        txn=txn,
        link=b.mine,
    )
    b.record(
        "timebank.transfer.made",
        actor=actor,
        target=txn,
        on_behalf_of=on_behalf_of,
        data={
            "sender": sender.pk,
            "recipient": recipient.pk,
            "amount": minutes,
            "relation": verdict.relation,
            "policy": policy.version,
        },
    )
    return txn


def _donation(b: _Batch, call: Call) -> LedgerTransaction:
    a = call.args
    minutes = svc._giving_minutes(a["minutes"], b.policy)
    sender = b.users[a["sender"]]
    target = b.priority_pool if a["pool"] == PoolChoice.PRIORITY else b.community_pool[a["community"]]
    assert target is not None
    source = b.person[sender.pk]
    actor, on_behalf_of = b.users.get(a["actor"]), b.users.get(a["on_behalf_of"])
    txn = b.stage(
        kind=TransactionKind.DONATION,
        lines=[
            svc.Line(source, -minutes, PostingKind.TRANSFER_OUT),
            svc.Line(target, minutes, PostingKind.TRANSFER_IN),
        ],
        idempotency_key=a["key"],
        actor=actor,
        on_behalf_of=on_behalf_of,
        provider=sender,
        community_id=target.community_id or source.community_id,
        amount=minutes,
        note=a["note"],
        source=a["pool"],
    )
    b.record(
        "timebank.donation.made",
        actor=actor,
        target=txn,
        on_behalf_of=on_behalf_of,
        data={
            "sender": sender.pk,
            "pool": a["pool"],
            "community": target.community_id,
            "amount": minutes,
            "policy": b.policy.version,
        },
    )
    return txn


_PLANNERS = {SERVICE: _service, TRANSFER: _transfer, DONATION: _donation}


_expected_policy: list[TimebankPolicy] = []  # the version the last batch found in force


def apply(calls: list[Call], *, priority: bool = False) -> list[Outcome]:
    """Plan and write the calls in the caller's transaction; one Outcome per call, in order. A DomainError of
    one call is its outcome; a database error (e.g. an idempotency key committed concurrently) propagates,
    and the caller retries the calls one by one (`apply_one`). Raises NeedPriority when a credit crosses the
    cap and `priority` was not asked for: `apply_atomic` handles that."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batch.apply() must run inside a transaction")
    policy = _expected_policy[0] if _expected_policy else _policy_in_force()
    for _attempt in range(3):
        batch = _load(calls, policy, priority=priority)
        if batch.policy is not policy:  # another version came into force: load for it
            policy = batch.policy
            _expected_policy[:] = [policy]
            continue
        outcomes = []
        default = translation.get_language()
        with translation.override(default):  # each call's errors in its caller's language; restored after
            active = default
            for call in calls:
                if (call.lang or default) != active:  # most calls share one: switch only when it changes
                    active = call.lang or default
                    translation.activate(active)
                try:
                    # the same key again (already posted, or earlier in this batch) answers with that row
                    txn = batch.replay(call) or _PLANNERS[call.op](batch, call)
                    outcomes.append(Outcome(txn=txn))
                except DomainError as error:
                    outcomes.append(Outcome(error=error))
        try:
            batch.flush()
        except _Replan:
            continue
        _expected_policy[:] = [policy]
        return outcomes
    raise RuntimeError("batch.apply(): the accounts or the policy kept changing under the batch")


def apply_atomic(calls: list[Call]) -> list[Outcome]:
    """`apply` in its own (sub)transaction. If the plan needs the priority pool the load did not lock, rolling
    the (sub)transaction back lets go of the rows it locked, and the calls are applied again with the pool
    locked in its place in the global order."""
    try:
        with transaction.atomic():
            return apply(calls)
    except NeedPriority:
        with transaction.atomic():
            return apply(calls, priority=True)


def apply_one(call: Call) -> Outcome:
    """One call in its own (sub)transaction; a concurrent call that committed the same idempotency key first
    makes this call a replay of it."""
    from django.db import IntegrityError

    try:
        return apply_atomic([call])[0]
    except IntegrityError as error:
        key = call.args.get("key")
        existing = svc._existing(key)
        if existing is None:
            raise error from None
        try:
            return Outcome(txn=svc._same_request(existing, **expected(call)))
        except DomainError as mismatch:
            return Outcome(error=mismatch)
