"""Every write of the time bank. Each public service is one database transaction that checks everything
before writing, writes balanced transactions, records an audit event and queues the notifications (delivered
after commit). Services, transfers and donations are planned and written by `batch` (group commit: see
docs/timebank.md); redemptions, grants, reversals and policies are written here through `_write`.

Concurrency: the accounts a transaction takes hours from are locked (`SELECT ... FOR UPDATE`) in one global
order — people, community pools, the priority pool, system accounts; by id within each — so two writers
never wait on each other in a cycle (the priority pool, the one account that may join the set late for a cap
overflow, sorts after everything a service locks itself; the issuance/redemption rows are taken last).
Balances are checked only under those locks. Idempotency keys are unique in the database: the loser of a race
rolls back to its savepoint and returns the winner's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.core import audit, bulk, clock
from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.core.scoping import get_scoped, in_scope
from shiguang.people.choices import LivingArrangement
from shiguang.places.models import Community
from shiguang.timebank import selectors
from shiguang.timebank.choices import (
    AccountKind,
    HelpCategory,
    PoolChoice,
    PostingKind,
    RedeemMode,
    TransactionKind,
)
from shiguang.timebank.migrations._ledger_sql import LOCK_RANK
from shiguang.timebank.models import (
    DEFAULT_STAR_THRESHOLDS,
    DEFAULT_WEIGHTS,
    MINUTES_PER_HOUR,
    Account,
    LedgerTransaction,
    Posting,
    TimebankPolicy,
    minutes_to_hours,
)

# Issuance and redemption are split over a few accounts per policy version so that writers posting services
# at the same time do not all queue on one row (each provider always mints from the same shard).
SYSTEM_SHARDS = 128
MAX_KEY_LENGTH = 200
MAX_NOTE_LENGTH = 500
_CATEGORIES = frozenset(HelpCategory.values)
MIN_WEIGHT, MAX_WEIGHT = Decimal("0.10"), Decimal("5.00")
MAX_CAP_HOURS = 100_000
MAX_CREDIT_HOURS = 1_000


# --- small helpers ------------------------------------------------------------------------------------------


def hours_label(minutes: int) -> str:
    return f"{minutes_to_hours(minutes):,}"


def _whole_minutes(value: Any, field: str = "minutes", *, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(fields={field: [_("请填写整数分钟。")]})
    if value <= 0:
        raise ValidationFailed(fields={field: [_("时长必须大于0。")]})
    if value > maximum:
        raise ValidationFailed(
            fields={field: [_("时长不合理：最多 %(hours)s 小时。") % {"hours": hours_label(maximum)}]}
        )
    return value


def hours_to_minutes(value: Any, field: str = "hours") -> int:
    """Pages take hours (up to two decimals); the ledger counts whole minutes (half a minute rounds up)."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(fields={field: [_("请填写小时数，例如 1.5。")]}) from None
    if not hours.is_finite() or hours.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed(fields={field: [_("小时数最多保留两位小数。")]})
    minutes = int((hours * MINUTES_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if minutes <= 0:
        raise ValidationFailed(fields={field: [_("时长必须大于0。")]})
    return minutes


def _text(value: Any, field: str, *, required: bool, limit: int = MAX_NOTE_LENGTH) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationFailed(fields={field: [_("格式不正确。")]})
    if required and not text:
        raise ValidationFailed(fields={field: [_("请填写此项。")]})
    if len(text) > limit:
        raise ValidationFailed(fields={field: [_("最多 %(n)s 个字。") % {"n": limit}]})
    _storable(text, field)
    return text


def _storable(text: str, field: str) -> None:
    if "\x00" in text:  # PostgreSQL cannot store it: refuse it here, not with a database error
        raise ValidationFailed(fields={field: [_("含有无法保存的字符。")]})


def _key(value: Any, field: str = "idempotency_key", *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(fields={field: [_("缺少幂等键。")]})
    if len(value) > MAX_KEY_LENGTH:
        raise ValidationFailed(fields={field: [_("幂等键过长（最多200个字符）。")]})
    _storable(value, field)
    return value.strip()


def _weighted(minutes: int, weight: Decimal) -> int:
    return int((Decimal(minutes) * weight).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _require_active(user: Any, field: str) -> None:
    if user is None or getattr(user, "pk", None) is None:
        raise ValidationFailed(fields={field: [_("找不到该用户。")]})
    if not user.is_active:
        raise ValidationFailed(fields={field: [_("该账户已停用。")]})


def _acting_for(actor: Any, person: Any) -> Any:
    """Who the change is on behalf of: None when the person acts for themselves; a staff member in whose
    scope the person is may act for them (elders without a phone); anyone else is refused."""
    if actor is not None and actor.pk == person.pk:
        return None
    if selectors.is_staff(actor) and in_scope(person, actor):
        return person
    raise Forbidden(_("只能操作自己的时间账户；工作人员可为辖区内的居民代办。"))


def _policy() -> TimebankPolicy:
    """The policy in force, saved (the default version 1 is written the first time the ledger is used)."""
    policy = selectors.policy_in_force()
    if policy.pk is None:
        defaults = selectors.default_policy()
        policy, _created = TimebankPolicy.objects.get_or_create(
            version=1,
            defaults={
                f.name: getattr(defaults, f.name)
                for f in TimebankPolicy._meta.concrete_fields
                if f.name not in ("id", "version")
            },
        )
    return policy


# --- accounts -----------------------------------------------------------------------------------------------


def _get_or_create(lookup: dict[str, Any], defaults: dict[str, Any]) -> Account:
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, **defaults)
    except IntegrityError:  # created by a concurrent writer
        return Account.objects.get(**lookup)


def person_account(user: Any) -> Account:
    """The person's account, opened on first use."""
    return _get_or_create(
        {"kind": AccountKind.PERSON, "user": user},
        {"community_id": getattr(user, "community_id", None), "min_balance": 0},
    )


def community_pool_account(community: Community) -> Account:
    return _get_or_create({"kind": AccountKind.COMMUNITY_POOL, "community": community}, {"min_balance": 0})


def priority_pool_account() -> Account:
    return _get_or_create({"kind": AccountKind.PRIORITY_POOL}, {"min_balance": 0})


def _system_account(kind: str, policy: TimebankPolicy, shard_of: int) -> Account:
    floor = None if kind == AccountKind.ISSUANCE else 0
    return _get_or_create(
        {"kind": kind, "policy": policy, "shard": shard_of % SYSTEM_SHARDS}, {"min_balance": floor}
    )


_ACCOUNT_FIELDS = [f.attname for f in Account._meta.concrete_fields]


def _lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock the accounts (fresh rows) in the one global order. The per-call services never lock issuance or
    redemption accounts (no floor to check): the posting trigger takes those rows last, which keeps the
    order; a batch (`batch`) locks its shards itself, last and by id."""
    ids = sorted({a.id for a in accounts})
    if not ids:
        return {}
    return {a.id: a for a in _lock_where(f"id IN ({', '.join(['%s'] * len(ids))})", ids)}


def _lock_where(where: str, params: list[Any]) -> list[Account]:
    """SELECT ... FOR UPDATE the accounts matching `where` (SQL built by the caller from constants; values
    are parameters) in the global order, in one statement. Raw SQL: it runs for every ledger write, and
    compiling the equivalent ORM query cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(where), params)
        return _accounts(cursor.fetchall())


def _lock_sql(where: str) -> str:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in Account._meta.concrete_fields)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: one writer at a time
    return f"SELECT {columns} FROM timebank_account WHERE {where} ORDER BY {LOCK_RANK}, id{lock}"  # noqa: S608


def _accounts(rows: list[tuple[Any, ...]]) -> list[Account]:
    return bulk.loaded(Account, _ACCOUNT_FIELDS, rows)


def _floor_for(account: Account, policy: TimebankPolicy, *, spending: bool) -> int | None:
    """The lowest balance this change may leave: 0, or minus the elder credit limit when an elder spends
    hours on a service (never for transfers); None for the issuance accounts."""
    if account.kind == AccountKind.ISSUANCE:
        return None
    if (
        spending
        and account.kind == AccountKind.PERSON
        and account.user is not None
        and account.user.role == Role.ELDER
    ):
        return -policy.elder_credit_limit_minutes
    return 0


# --- the one writer -----------------------------------------------------------------------------------------


@dataclass
class Line:
    account: Account
    amount: int
    kind: str


def _transaction_ids(n: int) -> list[int]:
    """Transactions are written after their postings, so their ids are taken first: from the sequence on
    PostgreSQL; on SQLite the writer holds the database write lock, so the next numbers are free."""
    with connection.cursor() as cursor:
        cursor.execute(*_transaction_ids_sql(n))
        return _transaction_ids_from(cursor.fetchall(), n)


def _transaction_ids_sql(n: int) -> tuple[str, list[Any]]:
    if connection.vendor == "postgresql":
        return (
            "SELECT nextval(pg_get_serial_sequence('timebank_ledgertransaction', 'id'))"
            " FROM generate_series(1, %s)",
            [n],
        )
    return (
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'timebank_ledgertransaction'), 0),"
        " COALESCE((SELECT MAX(id) FROM timebank_ledgertransaction), 0)) + 1",
        [],
    )


def _transaction_ids_from(rows: list[tuple[Any, ...]], n: int) -> list[int]:
    if connection.vendor == "postgresql":
        return [int(row[0]) for row in rows]
    return list(range(int(rows[0][0]), int(rows[0][0]) + n))


def _checked(
    lines: list[Line], policy: TimebankPolicy, *, spending: bool, current: Callable[[Account], Account]
) -> tuple[list[Line], list[tuple[Account, int]]]:
    """The lines of one balanced transaction, credits first, once every account with a floor that loses
    hours keeps its balance (`current(account)`: the locked row) at or above the floor (else a 409).
    Also returns the (account, floor) pairs whose database floor must come down to an elder's credit."""
    lines = [line for line in lines if line.amount != 0]
    if len(lines) < 2 or sum(line.amount for line in lines) != 0:
        raise RuntimeError("a ledger transaction needs at least two postings summing to zero")
    delta: dict[int, int] = defaultdict(int)
    by_key: dict[int, Account] = {}
    for line in lines:
        key = line.account.id if line.account.id is not None else id(line.account)  # new: no id yet
        delta[key] += line.amount
        by_key[key] = line.account
    lowered = []
    for key, change in delta.items():
        floor = _floor_for(by_key[key], policy, spending=spending)
        if floor is None or change >= 0:
            continue
        account = current(by_key[key])
        if account.balance + change < floor:
            raise Conflict(
                _("%(account)s余额不足：现有 %(have)s 小时，需要 %(need)s 小时。")
                % {
                    "account": account,
                    "have": hours_label(account.balance),
                    "need": hours_label(-change),
                },
                code="insufficient_balance",
            )
        if floor < 0 and (account.min_balance is None or account.min_balance > floor):
            lowered.append((account, floor))
    # Credits first: the trigger applies postings one row at a time and the floor CHECK sees every step, so an
    # account whose net change is fine (e.g. a reversal of earn -W and overflow +X) must never dip on the way.
    lines.sort(key=lambda line: -line.amount)
    return lines, lowered


def _write(
    *,
    kind: str,
    policy: TimebankPolicy,
    lines: list[Line],
    locked: dict[int, Account],
    spending: bool = False,
    txn_id: int | None = None,
    **fields: Any,
) -> LedgerTransaction:
    """Check the lines against the locked balances, then write postings and the sealing transaction row.

    Every account that loses hours and has a floor must be locked (its balance is checked here); accounts
    that only gain, and the issuance accounts (no floor), are applied by the trigger without a prior lock.
    """

    def current(account: Account) -> Account:
        if account.id not in locked:
            raise RuntimeError(f"account {account.id} loses hours but was not locked")
        return locked[account.id]

    lines, lowered = _checked(lines, policy, spending=spending, current=current)
    for account, floor in lowered:
        # the database floor is a backstop: lowered (never raised) to the credit an elder was granted
        Account.objects.filter(pk=account.pk).update(min_balance=floor)
    txn_id = txn_id or _transaction_ids(1)[0]
    now = clock.now()
    Posting.objects.bulk_create(
        [
            Posting(
                transaction_id=txn_id,
                account_id=line.account.id,
                amount=line.amount,
                kind=line.kind,
                policy=policy,
                created_at=now,
            )
            for line in lines
        ]
    )
    return LedgerTransaction.objects.create(
        id=txn_id, kind=kind, policy=policy, created_at=now, posting_count=len(lines), **fields
    )


def _credit_person(
    account: Account, amount: int, kind: str, policy: TimebankPolicy, pool: Account | None
) -> list[Line]:
    """Credit a person's account; whatever would lift it above the cap is passed on to the priority pool."""
    lines = [Line(account, amount, kind)]
    if account.kind != AccountKind.PERSON:
        return lines
    room = max(0, policy.cap_minutes - max(account.balance, 0))
    overflow = max(0, amount - room)
    if overflow:
        if pool is None:
            raise RuntimeError("overflow needs the priority pool locked")
        lines += [
            Line(account, -overflow, PostingKind.OVERFLOW_OUT),
            Line(pool, overflow, PostingKind.OVERFLOW_IN),
        ]
    return lines


def _existing(key: str | None) -> LedgerTransaction | None:
    if key is None:
        return None
    return LedgerTransaction.objects.filter(idempotency_key=key).first()


def _notify(user: Any, template: str, data: dict[str, Any], *, key: str, link: str = "") -> None:
    """Queue a message in this transaction (delivered after commit); a message with the same key that a
    concurrent call queued first counts as sent."""
    from shiguang.notify import services as notify

    if user is None or not user.is_active:
        return
    try:
        with transaction.atomic():
            notify.enqueue(
                recipient=user, template=template, data=data, dedupe_key=f"timebank:{key}", link=link
            )
    except IntegrityError:
        pass


def _link(name: str) -> str:
    from django.urls import reverse as url

    return url(name)


# --- services: earning and spending -------------------------------------------------------------------------


def _authorize_service(actor: Any, provider: Any, receiver: Any) -> Any:
    """Who may confirm that a service happened: the receiver, their family, or staff in whose scope the
    provider or receiver is (or the system, actor None). The provider never confirms their own hours."""
    if actor is None:
        return None
    if actor.pk == provider.pk:
        raise Forbidden(_("服务时长需要由受助方或工作人员确认，不能由服务者本人登记。"))
    if actor.pk == receiver.pk:
        return None
    if selectors.is_staff(actor):
        if in_scope(receiver, actor) or in_scope(provider, actor):
            return receiver
        raise Forbidden(_("只能为本辖区的服务登记时长。"))
    if selectors.is_relative(actor, receiver):
        return receiver
    raise Forbidden(_("只有受助长者、其家属或工作人员可以确认服务时长。"))


def _same_request(existing: LedgerTransaction, **expected: Any) -> LedgerTransaction:
    for field, value in expected.items():
        if getattr(existing, field) != value:
            raise Conflict(
                _("该幂等键已用于另一笔不同的记录（交易 #%(id)s）。") % {"id": existing.pk},
                code="idempotency_mismatch",
            )
    return existing


def _after_key_race(key: str | None, error: IntegrityError, **expected: Any) -> LedgerTransaction:
    """A concurrent call with the same idempotency key committed first: answer with its transaction (if it is
    the same request); an integrity error that is not about the key is raised as it was."""
    existing = _existing(key)
    if existing is None:
        raise error
    return _same_request(existing, **expected)


def post_service(
    *,
    actor: Any,
    idempotency_key: str,
    provider: Any,
    receiver: Any,
    minutes: int,
    category: str,
    source: str,
) -> LedgerTransaction:
    """Post the hours of one confirmed service to the provider, exactly once per `idempotency_key`.

    The policy in force decides the weight of the category (hours = minutes x weight / 60, rounded to the
    minute), the cap (what would lift the provider above it goes to the priority pool) and whether the
    receiver pays with hours they hold (redeem mode "on_service": up to their balance, plus the elder credit
    limit; the rest is free to them). The same key again returns the first transaction; the same key with
    different details is a 409. Written by `batch` (group commit when a ledger writer runs).
    """
    key = _key(idempotency_key) or ""
    _require_active(provider, "provider")
    _require_active(receiver, "receiver")
    _int_minutes(minutes)
    if category not in _CATEGORIES:
        raise ValidationFailed(fields={"category": [_("未知的服务类别。")]})
    if provider.pk == receiver.pk:
        raise ValidationFailed(fields={"receiver": [_("服务者和受助者不能是同一人。")]})
    source = _text(source, "source", required=True, limit=120)
    on_behalf_of = _authorize_service(actor, provider, receiver)
    return _submit(
        "service",
        actor=_pk(actor),
        on_behalf_of=_pk(on_behalf_of),
        key=key,
        provider=provider.pk,
        receiver=receiver.pk,
        minutes=minutes,
        category=category,
        source=source,
    )


def _pk(user: Any) -> int | None:
    return getattr(user, "pk", None)


def _int_minutes(value: Any, field: str = "minutes") -> None:
    """Whole minutes as an int (ranges depend on the policy and are checked by the writer)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(fields={field: [_("请填写整数分钟。")]})


def _submit(op: str, **args: Any) -> LedgerTransaction:
    """Hand one call to the ledger writer when one runs (group commit; not inside a caller's transaction,
    whose atomicity the call must share), else apply it here in its own (sub)transaction."""
    from django.utils import translation

    from shiguang.timebank import batch, writer

    call = batch.Call(op, args, translation.get_language() or "")
    if not transaction.get_connection().in_atomic_block:
        outcome = writer.submit(call)
        if outcome is not None:
            return outcome.result()
    return batch.apply_one(call).result()


@transaction.atomic
def redeem_service(
    *,
    actor: Any,
    idempotency_key: str,
    person: Any,
    minutes: int,
    category: str,
    source: str,
    note: str = "",
) -> LedgerTransaction:
    """Spend hours on a service the person receives (hours redeem services only, never cash).

    The hours are taken at the category's weight, from the person's balance plus, for elders, the policy's
    credit limit; they are retired to the policy's redemption account. Allowed unless the redeem mode is
    "off". The same key returns the first redemption.
    """
    key = _key(idempotency_key)
    _require_active(person, "person")
    expected = {
        "kind": TransactionKind.REDEMPTION,
        "receiver_id": person.pk,
        "minutes": minutes,
        "category": category,
    }
    existing = _existing(key)
    if existing is not None:
        return _same_request(existing, **expected)
    policy = _policy()
    if policy.redeem_mode == RedeemMode.OFF:
        raise Conflict(_("当前政策没有开放用时间兑换服务。"), code="redeem_off")
    minutes = _whole_minutes(minutes, maximum=policy.max_service_minutes)
    if category not in _CATEGORIES:
        raise ValidationFailed(fields={"category": [_("未知的服务类别。")]})
    source = _text(source, "source", required=True, limit=120)
    note = _text(note, "note", required=False)
    on_behalf_of = _acting_for(actor, person)
    weight = policy.weight(category)
    amount = _weighted(minutes, weight)
    account = person_account(person)
    retire = _system_account(AccountKind.REDEMPTION, policy, person.pk)  # the batch's shard rule
    try:
        with transaction.atomic():
            locked = _lock([account])
            txn = _write(
                kind=TransactionKind.REDEMPTION,
                policy=policy,
                locked=locked,
                spending=True,
                lines=[
                    Line(locked[account.id], -amount, PostingKind.SPEND),
                    Line(retire, amount, PostingKind.RETIRE),
                ],
                idempotency_key=key,
                actor=actor,
                on_behalf_of=on_behalf_of,
                receiver=person,
                community_id=account.community_id,
                category=category,
                source=source,
                minutes=minutes,
                weight=weight,
                amount=amount,
                note=note,
            )
    except IntegrityError as error:  # a concurrent call posted the key first
        return _after_key_race(key, error, **expected)
    audit.record(
        "timebank.service.redeemed",
        actor=actor,
        target=txn,
        on_behalf_of=on_behalf_of,
        data={"person": person.pk, "amount": amount, "category": category, "policy": policy.version},
    )
    return txn


# --- services: giving ---------------------------------------------------------------------------------------


def _giving_minutes(minutes: Any, policy: TimebankPolicy) -> int:
    return _whole_minutes(minutes, maximum=policy.cap_minutes)


def transfer(
    *,
    actor: Any,
    sender: Any,
    recipient: Any,
    minutes: int,
    note: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Give hours to a relative (FamilyLink) or to an elder who meets the policy's rule (e.g. 80+ and living
    alone). Never above the sender's balance (no credit for transfers); what would lift the recipient above
    the cap goes to the priority pool. Written by `batch`."""
    args = _giving(actor, sender, minutes, note, idempotency_key)
    return _submit("transfer", **args, recipient=_pk(recipient))


def _giving(actor: Any, sender: Any, minutes: Any, note: Any, idempotency_key: Any) -> dict[str, Any]:
    """What a transfer and a donation check before the ledger: the key, an active sender who is the actor
    (or a resident in a staff actor's scope), whole minutes, the note."""
    key = _key(idempotency_key, required=False)
    _require_active(sender, "sender")
    _int_minutes(minutes)
    note = _text(note, "note", required=False)
    on_behalf_of = _acting_for(actor, sender)
    return {
        "actor": _pk(actor),
        "on_behalf_of": _pk(on_behalf_of),
        "key": key,
        "sender": sender.pk,
        "minutes": minutes,
        "note": note,
    }


def _check_pool(pool: str, community_id: int | None) -> None:
    if pool == PoolChoice.COMMUNITY and community_id is None:
        raise ValidationFailed(fields={"community": [_("请选择社区。")]})
    if pool not in (PoolChoice.COMMUNITY, PoolChoice.PRIORITY):
        raise ValidationFailed(fields={"pool": [_("请选择优先长者池或社区互助池。")]})


def _pool_account_for(pool: str, community: Community | None) -> Account:
    _check_pool(pool, community.pk if community is not None else None)
    if pool == PoolChoice.PRIORITY:
        return priority_pool_account()
    assert community is not None
    return community_pool_account(community)


def donate(
    *,
    actor: Any,
    sender: Any,
    pool: str,
    minutes: int,
    community: Community | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Give hours to a community's mutual-aid pool (the sender's own community unless another is named) or
    to the district's priority-elder pool. Never above the balance. Written by `batch`."""
    args = _giving(actor, sender, minutes, note, idempotency_key)
    community_id = None
    if pool == PoolChoice.COMMUNITY:
        community_id = community.pk if community is not None else getattr(sender, "community_id", None)
    _check_pool(pool, community_id)
    return _submit("donation", **args, pool=str(pool), community=community_id)


@transaction.atomic
def pool_grant(
    *,
    actor: Any,
    pool: str,
    recipient: Any,
    minutes: int,
    reason: str,
    community: Community | None = None,
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Staff give hours from a pool to an elder: a community worker from their community's pool to an elder
    of that community; district staff from the priority pool to an elder meeting the policy's rule."""
    key = _key(idempotency_key, required=False)
    _require_active(recipient, "recipient")
    existing = _existing(key)
    if existing is not None:
        return _same_request(existing, kind=TransactionKind.GRANT, receiver_id=recipient.pk, amount=minutes)
    policy = _policy()
    minutes = _giving_minutes(minutes, policy)
    reason = _text(reason, "reason", required=True)
    if not selectors.is_staff(actor):
        raise Forbidden(_("只有工作人员可以从互助池发放时间。"))
    profile = getattr(recipient, "elder_profile", None)
    if pool == PoolChoice.PRIORITY:
        if not selectors.is_district(actor):
            raise Forbidden(_("优先长者池由区民政局工作人员发放。"))
        ok, why = selectors.priority_eligible(policy, recipient)
        if not ok:
            raise ValidationFailed(
                why + " " + selectors.rule_text(policy),
                fields={"recipient": [why]},
                code="ineligible_recipient",
            )
    elif pool == PoolChoice.COMMUNITY:
        if community is None:
            raise ValidationFailed(fields={"community": [_("请选择社区。")]})
        if not in_scope(community, actor):
            raise Forbidden(_("只能发放本辖区社区互助池的时间。"))
        if profile is None or profile.community_id != community.pk:
            raise ValidationFailed(
                _("社区互助池只发放给本社区登记的长者。"),
                fields={"recipient": [_("对方不是本社区登记的长者。")]},
                code="ineligible_recipient",
            )
    source = _pool_account_for(pool, community)
    target = person_account(recipient)
    link = _link("timebank:mine")
    txn_id = _transaction_ids(1)[0]
    _notify(
        recipient,
        "timebank.received",
        {"hours": hours_label(minutes), "sender": str(source)},
        key=f"received:{txn_id}",
        link=link,
    )
    try:
        with transaction.atomic():
            locked = _lock([source, target])
            room = policy.cap_minutes - locked[target.id].balance
            if minutes > room:
                raise Conflict(
                    _("对方账户将超过上限 %(cap)s 小时，最多还能发放 %(room)s 小时。")
                    % {"cap": hours_label(policy.cap_minutes), "room": hours_label(max(room, 0))},
                    code="over_cap",
                )
            txn = _write(
                kind=TransactionKind.GRANT,
                policy=policy,
                locked=locked,
                txn_id=txn_id,
                lines=[
                    Line(locked[source.id], -minutes, PostingKind.TRANSFER_OUT),
                    Line(locked[target.id], minutes, PostingKind.TRANSFER_IN),
                ],
                idempotency_key=key,
                actor=actor,
                on_behalf_of=recipient,
                receiver=recipient,
                community_id=source.community_id or target.community_id,
                amount=minutes,
                note=reason,
                source=pool,
            )
    except IntegrityError as error:  # a concurrent call posted the key first
        return _after_key_race(
            key, error, kind=TransactionKind.GRANT, receiver_id=recipient.pk, amount=minutes
        )
    audit.record(
        "timebank.pool.granted",
        actor=actor,
        target=txn,
        on_behalf_of=recipient,
        data={
            "pool": pool,
            "community": source.community_id,
            "recipient": recipient.pk,
            "amount": minutes,
            "reason": reason,
            "policy": policy.version,
        },
    )
    return txn


# --- corrections --------------------------------------------------------------------------------------------


@transaction.atomic
def reverse(*, actor: Any, transaction_id: int, reason: str) -> LedgerTransaction:
    """Correct a transaction by posting its exact opposite (the original stays, marked as reversed).

    Staff only, within their scope. Reversing a service also reverses the redemption it caused. Refused
    (409) when the transaction is itself a reversal, was already reversed, or when an account no longer
    holds the hours to give back (reverse the later transfer first).
    """
    if not selectors.is_staff(actor):
        raise Forbidden(_("只有工作人员可以冲正。"))
    reason = _text(reason, "reason", required=True)
    original = get_scoped(LedgerTransaction.objects.select_related("policy"), actor, pk=transaction_id)
    if original.kind == TransactionKind.REVERSAL:
        raise Conflict(_("冲正记录不能再冲正；如需恢复，请重新登记。"), code="reversal_of_reversal")
    targets = [original]
    if original.kind == TransactionKind.SERVICE:
        targets += list(
            LedgerTransaction.objects.filter(
                related=original, kind=TransactionKind.REDEMPTION, reversal__isnull=True
            )
        )
    postings = list(
        Posting.objects.filter(transaction__in=targets).select_related("account__user").order_by("id")
    )
    link = _link("timebank:mine")
    try:
        with transaction.atomic():
            locked = _lock([p.account for p in postings])
            made = []
            for target in targets:
                if LedgerTransaction.objects.filter(reverses=target).exists():
                    raise Conflict(
                        _("交易 #%(id)s 已经冲正过。") % {"id": target.pk}, code="already_reversed"
                    )
                lines = [
                    Line(locked[p.account_id], -p.amount, p.kind)
                    for p in postings
                    if p.transaction_id == target.pk
                ]
                made.append(
                    _write(
                        kind=TransactionKind.REVERSAL,
                        policy=target.policy,
                        locked=locked,
                        spending=target.kind == TransactionKind.REDEMPTION,
                        lines=lines,
                        idempotency_key=f"reversal:{target.pk}",
                        actor=actor,
                        provider_id=target.provider_id,
                        receiver_id=target.receiver_id,
                        community_id=target.community_id,
                        category=target.category,
                        source=target.source,
                        minutes=target.minutes,
                        weight=target.weight,
                        amount=target.amount,
                        note=reason,
                        reverses=target,
                    )
                )
                audit.record(
                    "timebank.transaction.reversed",
                    actor=actor,
                    target=made[-1],
                    data={
                        "reverses": target.pk,
                        "kind": target.kind,
                        "amount": target.amount,
                        "reason": reason,
                    },
                )
    except IntegrityError:
        raise Conflict(_("该交易刚刚已被冲正。"), code="already_reversed") from None
    people = {p.account.user for p in postings if p.account.user is not None}
    for person in people:
        _notify(
            person,
            "timebank.reversed",
            {"id": original.pk, "kind": str(original.get_kind_display()), "reason": reason},
            key=f"reversed:{made[0].pk}:{person.pk}",
            link=link,
        )
    return made[0]


# --- policy -------------------------------------------------------------------------------------------------


def _parse_weights(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ValidationFailed(fields={"weights": [_("折算系数格式不正确。")]})
    unknown = sorted(set(raw) - _CATEGORIES)
    if unknown:
        raise ValidationFailed(fields={"weights": [_("未知的服务类别：%(c)s") % {"c": "、".join(unknown)}]})
    weights = dict(DEFAULT_WEIGHTS)
    errors: dict[str, list[str]] = {}
    for category, value in raw.items():
        try:
            weight = Decimal(str(value))
        except (InvalidOperation, ValueError):
            errors[f"weight_{category}"] = [_("请填写数字。")]
            continue
        if not weight.is_finite() or not (MIN_WEIGHT <= weight <= MAX_WEIGHT):
            errors[f"weight_{category}"] = [_("系数应在 0.1 到 5 之间。")]
            continue
        weights[category] = str(weight.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if errors:
        raise ValidationFailed(fields=errors)
    return weights


def _parse_int(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not lo <= value <= hi:
        raise ValidationFailed(fields={field: [_("应在 %(lo)s 到 %(hi)s 之间。") % {"lo": lo, "hi": hi}]})
    return int(value)


@transaction.atomic
def policy_create(
    *,
    actor: Any,
    weights: dict[str, Any],
    cap_hours: int = 1500,
    elder_credit_limit_hours: int = 0,
    redeem_mode: str = RedeemMode.ON_REQUEST,
    relatives_eligible: bool = True,
    recipient_min_age: int = 80,
    recipient_living_arrangements: list[str] | None = None,
    star_thresholds_hours: list[int] | None = None,
    max_service_minutes: int = 720,
    effective_from: dt.datetime | None = None,
    note: str = "",
) -> TimebankPolicy:
    """A new policy version (district staff). It applies to postings from `effective_from` (now by default,
    never in the past); earlier postings keep the version they were computed with."""
    if not selectors.is_district(actor):
        raise Forbidden(_("时间银行政策由区民政局工作人员制定。"))
    now = clock.now()
    effective_from = effective_from or now
    if effective_from.tzinfo is None:
        effective_from = effective_from.replace(tzinfo=clock.SHANGHAI)
    if effective_from < now - dt.timedelta(minutes=5):
        raise ValidationFailed(
            fields={"effective_from": [_("生效时间不能早于现在（已入账的记录不会改变）。")]}
        )
    living = list(recipient_living_arrangements if recipient_living_arrangements is not None else ["alone"])
    if any(v not in LivingArrangement.values for v in living):
        raise ValidationFailed(fields={"recipient_living_arrangements": [_("未知的居住状况。")]})
    thresholds = list(star_thresholds_hours or DEFAULT_STAR_THRESHOLDS)
    if (
        len(thresholds) != 5
        or any(isinstance(t, bool) or not isinstance(t, int) or t <= 0 for t in thresholds)
        or thresholds != sorted(set(thresholds))
    ):
        raise ValidationFailed(fields={"star_thresholds_hours": [_("星级门槛应为5个递增的正整数（小时）。")]})
    if redeem_mode not in RedeemMode.values:
        raise ValidationFailed(fields={"redeem_mode": [_("未知的兑换方式。")]})
    fields = {
        "weights": _parse_weights(weights),
        "cap_minutes": _parse_int(cap_hours, "cap_hours", 1, MAX_CAP_HOURS) * MINUTES_PER_HOUR,
        "elder_credit_limit_minutes": _parse_int(
            elder_credit_limit_hours, "elder_credit_limit_hours", 0, MAX_CREDIT_HOURS
        )
        * MINUTES_PER_HOUR,
        "redeem_mode": redeem_mode,
        "relatives_eligible": bool(relatives_eligible),
        "recipient_min_age": _parse_int(recipient_min_age, "recipient_min_age", 60, 120),
        "recipient_living_arrangements": living,
        "star_thresholds_hours": thresholds,
        "max_service_minutes": _parse_int(max_service_minutes, "max_service_minutes", 15, 1440),
        "note": _text(note, "note", required=True),
    }
    if not TimebankPolicy.objects.exists():
        _policy()  # keep the default as version 1, so earlier postings have a recorded version
    latest = TimebankPolicy.objects.aggregate(v=Max("version"))["v"] or 0
    try:
        with transaction.atomic():
            policy = TimebankPolicy.objects.create(
                version=latest + 1, effective_from=effective_from, created_by=actor, created_at=now, **fields
            )
    except IntegrityError:
        raise Conflict(_("有人刚刚发布了新版本，请刷新后重试。")) from None
    audit.record(
        "timebank.policy.created",
        actor=actor,
        target=policy,
        data={"version": policy.version, "effective_from": effective_from.isoformat(), **fields},
    )
    return policy
