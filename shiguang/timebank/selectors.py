"""Reads of the time bank: the policy in force, balances, stars, eligibility, accounts and transactions in the
reader's scope, and the monthly series behind the charts. Everything about people goes through `scoped()`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from shiguang.accounts.backends import phone_index
from shiguang.accounts.choices import Role
from shiguang.accounts.models import User
from shiguang.core import clock
from shiguang.core.errors import Forbidden, NotFound
from shiguang.core.scoping import get_scoped, scoped
from shiguang.people.choices import LivingArrangement
from shiguang.people.models import ElderProfile, FamilyLink
from shiguang.timebank.choices import AccountKind, HelpCategory, PostingKind
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

STAFF_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN})


def is_staff(user: Any) -> bool:
    return bool(user is not None and (user.is_superuser or user.role in STAFF_ROLES))


def is_district(user: Any) -> bool:
    return bool(user is not None and (user.is_superuser or user.role in (Role.DISTRICT_STAFF, Role.ADMIN)))


# --- policy -------------------------------------------------------------------------------------------------


def default_policy() -> TimebankPolicy:
    """The rules before a district has saved any version (never saved by a read)."""
    return TimebankPolicy(
        version=1,
        effective_from=dt.datetime(2020, 1, 1, tzinfo=clock.SHANGHAI),
        weights=dict(DEFAULT_WEIGHTS),
        recipient_living_arrangements=[LivingArrangement.ALONE.value],
        star_thresholds_hours=list(DEFAULT_STAR_THRESHOLDS),
        note=_("默认政策：1小时服务 = 1时间币"),
    )


def policy_in_force(at: dt.datetime | None = None) -> TimebankPolicy:
    """The newest version whose `effective_from` has passed (an unsaved default when there is none)."""
    at = at or clock.now()
    policy = (
        TimebankPolicy.objects.filter(effective_from__lte=at).order_by("-effective_from", "-version").first()
    )
    return policy or default_policy()


def weight_rows(policy: TimebankPolicy) -> list[dict[str, Any]]:
    return [
        {"category": c, "label": str(label), "weight": policy.weight(c)} for c, label in HelpCategory.choices
    ]


def policy_history() -> QuerySet[TimebankPolicy]:
    return TimebankPolicy.objects.select_related("created_by").order_by("-effective_from", "-version")


def scheduled_policies() -> QuerySet[TimebankPolicy]:
    return TimebankPolicy.objects.filter(effective_from__gt=clock.now()).order_by("effective_from")


# --- balances and stars -------------------------------------------------------------------------------------


def account_of(user: Any) -> Account | None:
    if user is None or user.pk is None:
        return None
    return Account.objects.filter(kind=AccountKind.PERSON, user=user).first()


def balance_for(user: Any) -> Decimal:
    """Hours (two decimals) the person can give or spend; 0 when they have no account yet."""
    account = account_of(user)
    return account.balance_hours if account else Decimal("0.00")


def star_level_for_minutes(earned_minutes: int, thresholds: list[int]) -> int:
    hours = Decimal(earned_minutes) / MINUTES_PER_HOUR
    return sum(1 for t in thresholds if hours >= t)


def star_level(user: Any) -> int:
    """0-5 stars from lifetime hours earned by service, at the policy's thresholds (100/300/600/1000/1500)."""
    account = account_of(user)
    if account is None:
        return 0
    return star_level_for_minutes(account.earned, policy_in_force().thresholds)


@dataclass(frozen=True)
class Summary:
    account: Account | None
    balance: Decimal
    earned: Decimal
    stars: int
    thresholds: list[int]
    next_threshold: int | None
    to_next: Decimal | None
    cap: Decimal
    credit_limit: Decimal

    @property
    def star_marks(self) -> str:
        return "★" * self.stars + "☆" * (len(self.thresholds) - self.stars)

    @property
    def progress_percent(self) -> int:
        if self.next_threshold is None:
            return 100
        below = ([0, *self.thresholds])[self.stars]
        span = self.next_threshold - below
        if not span:
            return 100
        percent = (self.earned - below) * 100 / span
        return int(min(Decimal(100), max(Decimal(0), percent)))


def summary(user: Any) -> Summary:
    policy = policy_in_force()
    account = account_of(user)
    earned_min = account.earned if account else 0
    thresholds = policy.thresholds
    stars = star_level_for_minutes(earned_min, thresholds)
    next_t = thresholds[stars] if stars < len(thresholds) else None
    earned = minutes_to_hours(earned_min)
    is_elder = getattr(user, "role", "") == Role.ELDER
    return Summary(
        account=account,
        balance=account.balance_hours if account else Decimal("0.00"),
        earned=earned,
        stars=stars,
        thresholds=thresholds,
        next_threshold=next_t,
        to_next=(Decimal(next_t) - earned) if next_t is not None else None,
        cap=policy.cap_hours,
        credit_limit=minutes_to_hours(policy.elder_credit_limit_minutes) if is_elder else Decimal("0.00"),
    )


# --- eligibility --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    relation: str  # "relative" | "priority_elder" | ""
    reason: str


def is_relative(a: Any, b: Any) -> bool:
    """Linked by a FamilyLink, either way round (a child and the parent they follow)."""
    return FamilyLink.objects.filter(
        Q(elder__user=a, family_user=b) | Q(elder__user=b, family_user=a)
    ).exists()


def relatives_of(user: Any) -> list[User]:
    ids = set(FamilyLink.objects.filter(family_user=user).values_list("elder__user_id", flat=True))
    ids |= set(FamilyLink.objects.filter(elder__user=user).values_list("family_user_id", flat=True))
    ids.discard(user.pk)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("id"))


def rule_text(policy: TimebankPolicy) -> str:
    """The recipient rule in words, for pages and error messages."""
    labels = dict(LivingArrangement.choices)
    living = [str(labels.get(v, v)) for v in policy.recipient_living_arrangements]
    elder = _("年满%(age)s岁") % {"age": policy.recipient_min_age}
    if living:
        elder += _("且%(living)s") % {"living": _("或").join(living)}
    elder += _("的长者")
    if policy.relatives_eligible:
        return _("可以转给：您的家人（已在平台关联），或%(elder)s。") % {"elder": elder}
    return _("可以转给：%(elder)s。") % {"elder": elder}


_LOAD = object()  # "not prefetched: look it up"


def priority_eligible(policy: TimebankPolicy, user: Any, *, profile: Any = _LOAD) -> tuple[bool, str]:
    """Whether `user` is an elder the policy counts as a priority elder (age and living arrangement).
    A caller that prefetched the user's ElderProfile (or knows there is none) passes it as `profile`."""
    if profile is _LOAD:
        profile = ElderProfile.objects.filter(user=user).first() if user is not None else None
    if profile is None:
        return False, _("对方不是登记在册的长者。")
    if profile.age() < policy.recipient_min_age:
        return False, _("对方未满%(age)s岁。") % {"age": policy.recipient_min_age}
    allowed = policy.recipient_living_arrangements
    if allowed and profile.living_arrangement not in allowed:
        return False, _("对方的居住状况不符合政策要求。")
    return True, ""


def recipient_eligibility(
    policy: TimebankPolicy, sender: Any, recipient: Any, *, related: bool | None = None, profile: Any = _LOAD
) -> Eligibility:
    """Whether `sender` may give hours to `recipient`. Batch callers pass what they prefetched: `related`
    (a FamilyLink either way round) and the recipient's `profile`."""
    if recipient is None:
        return Eligibility(False, "", _("找不到接收人。"))
    if sender is not None and recipient.pk == sender.pk:
        return Eligibility(False, "", _("不能转给自己。"))
    if not recipient.is_active:
        return Eligibility(False, "", _("对方账户已停用。"))
    if policy.relatives_eligible and sender is not None:
        if related is None:
            related = is_relative(sender, recipient)
        if related:
            return Eligibility(True, "relative", _("对方是您的家人，可以转赠。"))
    ok, why = priority_eligible(policy, recipient, profile=profile)
    if ok:
        return Eligibility(True, "priority_elder", _("对方符合受赠长者条件，可以转赠。"))
    return Eligibility(False, "", why + " " + rule_text(policy))


def find_user_by_phone(phone: str) -> User | None:
    phone = (phone or "").strip()
    if not phone:
        return None
    try:
        index = phone_index(phone)
    except Exception:
        return None
    return User.objects.filter(phone_index=index, is_active=True).first()


# --- accounts, pools and transactions in scope --------------------------------------------------------------


def accounts_in_scope(
    actor: Any, *, community_id: int | None = None, kind: str | None = AccountKind.PERSON, query: str = ""
) -> QuerySet[Account]:
    qs = scoped(Account.objects.select_related("user", "community"), actor)
    if kind:
        qs = qs.filter(kind=kind)
    if community_id:
        qs = qs.filter(community_id=community_id)
    query = query.strip()
    if query:
        qs = qs.filter(Q(user__display_name__icontains=query) | Q(user__phone_index=_safe_index(query)))
    return qs.order_by("-balance", "id")


def _safe_index(value: str) -> str:
    try:
        return phone_index(value)
    except Exception:
        return "-"


def account_get(actor: Any, account_id: Any) -> Account:
    return get_scoped(Account.objects.select_related("user", "community", "policy"), actor, pk=account_id)


PERSON_ROLES = frozenset({Role.ELDER, Role.VOLUNTEER, Role.FAMILY})


def acting_person(actor: Any, account_id: Any = None) -> tuple[Any, Account | None]:
    """Whose hours a request is about: the actor's own, or (staff) the holder of `account_id` in scope."""
    if account_id and is_staff(actor):
        account = account_get(actor, account_id)
        if account.kind != AccountKind.PERSON:
            raise NotFound()
        return account.user, account
    if getattr(actor, "role", None) not in PERSON_ROLES:
        raise Forbidden(_("工作人员请从居民的时间账户页面代办。"))
    return actor, account_of(actor)


def pools_in_scope(actor: Any) -> QuerySet[Account]:
    return scoped(
        Account.objects.filter(
            kind__in=[AccountKind.COMMUNITY_POOL, AccountKind.PRIORITY_POOL]
        ).select_related("community"),
        actor,
    ).order_by("kind", "community_id")


def priority_pool() -> Account | None:
    return Account.objects.filter(kind=AccountKind.PRIORITY_POOL).first()


def community_pool(community: Any) -> Account | None:
    return Account.objects.filter(kind=AccountKind.COMMUNITY_POOL, community=community).first()


def transaction_get(actor: Any, transaction_id: Any) -> LedgerTransaction:
    return get_scoped(
        LedgerTransaction.objects.select_related(
            "policy", "actor", "on_behalf_of", "provider", "receiver", "reverses", "related"
        ),
        actor,
        pk=transaction_id,
    )


def transactions_in_scope(actor: Any, *, account: Account | None = None) -> QuerySet[LedgerTransaction]:
    qs = scoped(LedgerTransaction.objects.all(), actor)
    if account is not None:
        qs = qs.filter(postings__account=account)
    return qs.select_related("policy", "provider", "receiver").order_by("-id")


def postings_of(transaction: LedgerTransaction) -> QuerySet[Posting]:
    return transaction.postings.select_related("account__user", "account__community").order_by("id")


def is_reversed(transaction: LedgerTransaction) -> bool:
    return LedgerTransaction.objects.filter(reverses=transaction).exists()


# --- charts -------------------------------------------------------------------------------------------------

EARN_KINDS = (PostingKind.EARN,)
IN_KINDS = (PostingKind.TRANSFER_IN, PostingKind.OVERFLOW_IN)
OUT_KINDS = (PostingKind.TRANSFER_OUT, PostingKind.OVERFLOW_OUT, PostingKind.SPEND)


def month_starts(months: int, *, until: dt.date | None = None) -> list[dt.date]:
    until = until or clock.today()
    year, month = until.year, until.month
    out = []
    for _i in range(months):
        out.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def monthly_series(postings: QuerySet[Posting], *, months: int = 12) -> list[dict[str, Any]]:
    """Hours per month: earned by service, received, given or spent (for the bar chart and its table)."""
    starts = month_starts(months)
    since = dt.datetime.combine(starts[0], dt.time.min, tzinfo=clock.SHANGHAI)
    rows = (
        postings.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at", tzinfo=clock.SHANGHAI))
        .values("month", "kind")
        .annotate(total=Sum("amount"))
    )
    buckets: dict[dt.date, dict[str, int]] = {s: {"earned": 0, "received": 0, "given": 0} for s in starts}
    for row in rows:
        month = row["month"]
        key = month.date() if isinstance(month, dt.datetime) else month
        if key not in buckets:
            continue
        if row["kind"] in EARN_KINDS:
            buckets[key]["earned"] += row["total"]
        elif row["kind"] in IN_KINDS:
            buckets[key]["received"] += row["total"]
        elif row["kind"] in OUT_KINDS:
            buckets[key]["given"] += -row["total"]
    return [
        {
            "label": f"{s:%Y-%m}",
            "earned": float(minutes_to_hours(v["earned"])),
            "received": float(minutes_to_hours(v["received"])),
            "given": float(minutes_to_hours(v["given"])),
        }
        for s, v in buckets.items()
    ]


def community_series(actor: Any, community: Any, *, months: int = 12) -> list[dict[str, Any]]:
    postings = scoped(Posting.objects.filter(account__community=community), actor)
    return monthly_series(postings, months=months)
