"""Statements: a person's (or a pool's) account over a period with running balance, and a community's
summary (its pool plus every person account of the community). Read-only; exported by `exports.py`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from shiguang.core import clock
from shiguang.core.errors import ValidationFailed
from shiguang.timebank import selectors
from shiguang.timebank.choices import AccountKind, HelpCategory, PostingKind, TransactionKind
from shiguang.timebank.models import Account, Posting, minutes_to_hours

MAX_LINES = 5000
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=clock.SHANGHAI)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=clock.SHANGHAI)

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} — {self.end:%Y-%m-%d}"


def period(start: Any = None, end: Any = None) -> Period:
    """A period from query strings (YYYY-MM-DD); by default the last twelve months up to today."""
    today = clock.today()
    try:
        end_d = dt.date.fromisoformat(end) if end else today
        start_d = dt.date.fromisoformat(start) if start else selectors.month_starts(12, until=end_d)[0]
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"start": [_("日期格式应为 YYYY-MM-DD。")]}) from None
    if start_d > end_d:
        raise ValidationFailed(fields={"start": [_("开始日期不能晚于结束日期。")]})
    if (end_d - start_d).days > MAX_DAYS:
        raise ValidationFailed(fields={"start": [_("一次最多查询三年。")]})
    return Period(start_d, end_d)


@dataclass
class Line:
    id: int
    transaction_id: int
    at: dt.datetime
    kind: str
    kind_label: str
    description: str
    amount: int
    balance: int
    reversal: bool

    @property
    def amount_hours(self) -> Decimal:
        return minutes_to_hours(self.amount)

    @property
    def balance_hours(self) -> Decimal:
        return minutes_to_hours(self.balance)


@dataclass
class Statement:
    account: Account
    holder: str
    period: Period
    opening: int
    closing: int
    lines: list[Line]
    totals: dict[str, int]
    truncated: bool
    generated_at: dt.datetime = field(default_factory=clock.now)

    @property
    def opening_hours(self) -> Decimal:
        return minutes_to_hours(self.opening)

    @property
    def closing_hours(self) -> Decimal:
        return minutes_to_hours(self.closing)

    @property
    def totals_hours(self) -> dict[str, Decimal]:
        return {k: minutes_to_hours(v) for k, v in self.totals.items()}


def holder_name(account: Account) -> str:
    if account.kind == AccountKind.PERSON:
        return str(account.user)
    return str(account)


def describe(posting: Posting) -> str:
    txn = posting.transaction
    kind = posting.kind
    prefix = ""
    if txn.kind == TransactionKind.REVERSAL:
        prefix = _("冲正 #%(id)s：") % {"id": txn.reverses_id}
    category = HelpCategory(txn.category).label if txn.category in HelpCategory.values else ""
    provider, receiver = txn.provider, txn.receiver
    base_kind = txn.reverses.kind if txn.kind == TransactionKind.REVERSAL and txn.reverses else txn.kind
    if kind == PostingKind.EARN:
        text = _("为%(receiver)s提供%(category)s服务 %(minutes)s 分钟（系数 %(weight)s）") % {
            "receiver": receiver,
            "category": category,
            "minutes": txn.minutes,
            "weight": txn.weight,
        }
    elif kind == PostingKind.OVERFLOW_OUT:
        text = _("超出账户上限，自动捐入优先长者池")
    elif kind == PostingKind.OVERFLOW_IN:
        text = _("%(who)s超出上限的时间自动捐入") % {
            "who": receiver if base_kind == TransactionKind.TRANSFER else provider
        }
    elif kind == PostingKind.SPEND:
        text = _("兑换%(category)s服务 %(minutes)s 分钟") % {"category": category, "minutes": txn.minutes}
    elif kind == PostingKind.RETIRE:
        text = _("%(who)s兑换服务") % {"who": receiver}
    elif kind == PostingKind.MINT:
        text = _("%(who)s的服务发行") % {"who": provider}
    elif kind == PostingKind.TRANSFER_OUT:
        if base_kind == TransactionKind.DONATION:
            text = _("捐入%(pool)s") % {"pool": _pool_label(txn)}
        elif base_kind == TransactionKind.GRANT:
            text = _("发放给%(who)s") % {"who": receiver}
        else:
            text = _("转赠给%(who)s") % {"who": receiver}
    elif kind == PostingKind.TRANSFER_IN:
        if base_kind == TransactionKind.DONATION:
            text = _("%(who)s捐赠") % {"who": provider}
        elif base_kind == TransactionKind.GRANT:
            text = _("%(pool)s发放") % {"pool": _pool_label(txn)}
        else:
            text = _("%(who)s转赠") % {"who": provider}
    else:
        text = posting.get_kind_display()
    if txn.note and kind in (PostingKind.TRANSFER_OUT, PostingKind.TRANSFER_IN, PostingKind.SPEND):
        text += f"（{txn.note}）"
    return prefix + str(text)


def _pool_label(txn: Any) -> str:
    if txn.source == "priority":
        return str(AccountKind.PRIORITY_POOL.label)
    return str(AccountKind.COMMUNITY_POOL.label)


def account_statement(account: Account, per: Period, *, limit: int = MAX_LINES) -> Statement:
    """`account` may be unsaved (a person who has no account yet): an empty statement."""
    postings = Posting.objects.filter(account_id=account.pk) if account.pk else Posting.objects.none()
    opening = postings.filter(created_at__lt=per.since).aggregate(s=Sum("amount"))["s"] or 0
    in_period = postings.filter(created_at__gte=per.since, created_at__lt=per.until)
    totals_rows = in_period.values("kind").annotate(s=Sum("amount"))
    by_kind = {r["kind"]: r["s"] for r in totals_rows}
    rows = list(
        in_period.select_related(
            "transaction__provider", "transaction__receiver", "transaction__reverses", "transaction"
        ).order_by("created_at", "id")[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    running = opening
    lines = []
    for p in rows:
        running += p.amount
        lines.append(
            Line(
                id=p.id,
                transaction_id=p.transaction_id,
                at=clock.local(p.created_at),
                kind=p.kind,
                kind_label=str(p.get_kind_display()),
                description=describe(p),
                amount=p.amount,
                balance=running,
                reversal=p.transaction.kind == TransactionKind.REVERSAL,
            )
        )
    closing = opening + sum(by_kind.values())
    totals = {
        "earned": by_kind.get(PostingKind.EARN, 0),
        "received": by_kind.get(PostingKind.TRANSFER_IN, 0) + by_kind.get(PostingKind.OVERFLOW_IN, 0),
        "given": -(by_kind.get(PostingKind.TRANSFER_OUT, 0) + by_kind.get(PostingKind.OVERFLOW_OUT, 0)),
        "spent": -by_kind.get(PostingKind.SPEND, 0),
    }
    return Statement(
        account=account,
        holder=holder_name(account),
        period=per,
        opening=opening,
        closing=closing,
        lines=lines,
        totals=totals,
        truncated=truncated,
    )


@dataclass
class MemberRow:
    account: Account
    name: str
    role: str
    earned: int
    received: int
    given: int
    spent: int
    balance: int
    stars: int

    @property
    def earned_hours(self) -> Decimal:
        return minutes_to_hours(self.earned)

    @property
    def balance_hours(self) -> Decimal:
        return minutes_to_hours(self.balance)


@dataclass
class CommunityStatement:
    community: Any
    period: Period
    pool: Statement | None
    members: list[MemberRow]
    totals: dict[str, int]
    generated_at: dt.datetime = field(default_factory=clock.now)

    @property
    def totals_hours(self) -> dict[str, Decimal]:
        return {k: minutes_to_hours(v) for k, v in self.totals.items()}


def community_statement(actor: Any, community: Any, per: Period) -> CommunityStatement:
    pool = selectors.community_pool(community)
    thresholds = selectors.policy_in_force().thresholds
    window = Q(postings__created_at__gte=per.since, postings__created_at__lt=per.until)

    def total(*kinds: str) -> Sum:
        return Sum("postings__amount", filter=window & Q(postings__kind__in=kinds), default=0)

    accounts = (
        selectors.accounts_in_scope(actor, community_id=community.pk)
        .annotate(
            p_earned=total(PostingKind.EARN),
            p_received=total(PostingKind.TRANSFER_IN, PostingKind.OVERFLOW_IN),
            p_given=total(PostingKind.TRANSFER_OUT, PostingKind.OVERFLOW_OUT),
            p_spent=total(PostingKind.SPEND),
        )
        .order_by("-p_earned", "-balance", "id")
    )
    members = [
        MemberRow(
            account=a,
            name=str(a.user),
            role=str(a.user.get_role_display()) if a.user else "",
            earned=a.p_earned,
            received=a.p_received,
            given=-a.p_given,
            spent=-a.p_spent,
            balance=a.balance,
            stars=selectors.star_level_for_minutes(a.earned, thresholds),
        )
        for a in accounts
    ]
    totals = {
        "members": len(members),
        "earned": sum(m.earned for m in members),
        "received": sum(m.received for m in members),
        "given": sum(m.given for m in members),
        "spent": sum(m.spent for m in members),
        "balance": sum(m.balance for m in members),
        "pool": pool.balance if pool else 0,
    }
    return CommunityStatement(
        community=community,
        period=per,
        pool=account_statement(pool, per) if pool else None,
        members=members,
        totals=totals,
    )
