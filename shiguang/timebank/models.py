"""The time bank: a double-entry ledger of service minutes.

Amounts are whole minutes (signed integers); 60 minutes = 1 hour = 1 time coin (时间币). A positive posting
raises the account's balance, a negative one lowers it, and the postings of one transaction sum to zero.

What the database itself guarantees (see `migrations/_ledger_sql.py` and docs/timebank.md):
- postings and transactions are immutable (UPDATE and DELETE are refused by triggers);
- a transaction row can be written only after its postings, and only if they sum to zero; nothing can be
  added to it afterwards, not even by a concurrent session (PostgreSQL locks the transaction ids);
- an account's `balance` and `earned` change only by applying a posting, in the same statement.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shiguang.core import clock
from shiguang.timebank.choices import (
    AccountKind,
    HelpCategory,
    PostingKind,
    RedeemMode,
    TransactionKind,
)

MINUTES_PER_HOUR = 60
DEFAULT_CAP_MINUTES = 1500 * MINUTES_PER_HOUR
DEFAULT_STAR_THRESHOLDS = [100, 300, 600, 1000, 1500]
DEFAULT_WEIGHTS = {c: "1.00" for c in HelpCategory.values}


class Immutable(Exception):
    pass


class ImmutableQuerySet(models.QuerySet):
    """Bulk UPDATE and DELETE are refused here too (the database triggers refuse them anyway)."""

    def update(self, **kwargs: Any) -> int:
        raise Immutable(f"{self.model.__name__} rows are immutable; post a reversing transaction")

    def delete(self) -> Any:
        raise Immutable(f"{self.model.__name__} rows are immutable; post a reversing transaction")


def _district_staff_sees_unplaced(path: str) -> Any:
    """District staff also see rows with no community (the priority pool, system accounts, family members)."""

    def extra(actor: Any) -> Q | None:
        from shiguang.accounts.choices import Role

        if actor.role == Role.DISTRICT_STAFF and actor.district_id:
            return Q(**{f"{path}__isnull": True})
        return None

    return extra


class TimebankPolicy(models.Model):
    """One version of the district's time-bank rules. Versions are never edited: a change is a new version
    with its own `effective_from`; every transaction records the version it was computed with."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    effective_from = models.DateTimeField(_("生效时间"), db_index=True)
    weights = models.JSONField(
        _("类别折算系数"), default=dict, help_text=_("每类服务1小时折合多少时间币，例如陪诊1.5")
    )
    cap_minutes = models.PositiveIntegerField(_("个人账户上限（分钟）"), default=DEFAULT_CAP_MINUTES)
    elder_credit_limit_minutes = models.PositiveIntegerField(_("长者可透支额度（分钟）"), default=0)
    redeem_mode = models.CharField(
        _("兑换方式"), max_length=16, choices=RedeemMode.choices, default=RedeemMode.ON_REQUEST
    )
    relatives_eligible = models.BooleanField(_("可转赠给家人"), default=True)
    recipient_min_age = models.PositiveSmallIntegerField(_("受赠长者最低年龄"), default=80)
    recipient_living_arrangements = models.JSONField(
        _("受赠长者居住状况"), default=list, help_text=_("留空表示不限居住状况")
    )
    star_thresholds_hours = models.JSONField(_("星级门槛（小时）"), default=list)
    max_service_minutes = models.PositiveIntegerField(_("单次服务最长（分钟）"), default=720)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("制定人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("时间银行政策")
        verbose_name_plural = _("时间银行政策")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.CheckConstraint(condition=Q(cap_minutes__gte=60), name="timebank_policy_cap_positive"),
            models.CheckConstraint(
                condition=Q(max_service_minutes__gte=1, max_service_minutes__lte=1440),
                name="timebank_policy_service_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise Immutable("policy versions are never edited; create a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable("policy versions are kept for the postings that used them")

    def weight(self, category: str) -> Decimal:
        return Decimal(str(self.weights.get(category, "1")))

    @property
    def cap_hours(self) -> Decimal:
        return Decimal(self.cap_minutes) / MINUTES_PER_HOUR

    @property
    def thresholds(self) -> list[int]:
        return list(self.star_thresholds_hours or DEFAULT_STAR_THRESHOLDS)


class Account(models.Model):
    """An account in the ledger. `balance` and `earned` (minutes) are maintained by the database from the
    postings (a trigger applies each posting in the same statement); code never writes them."""

    kind = models.CharField(_("类型"), max_length=16, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timebank_accounts",
        verbose_name=_("本人"),
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timebank_accounts",
        verbose_name=_("社区"),
    )
    policy = models.ForeignKey(
        TimebankPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="system_accounts",
        verbose_name=_("政策版本"),
    )
    shard = models.PositiveSmallIntegerField(_("分片"), default=0)
    balance = models.BigIntegerField(_("余额（分钟）"), default=0, editable=False)
    earned = models.BigIntegerField(_("累计服务所得（分钟）"), default=0, editable=False)
    last_posting_id = models.BigIntegerField(null=True, blank=True, editable=False)
    min_balance = models.BigIntegerField(
        _("最低余额（分钟）"), null=True, blank=True, default=0, help_text=_("留空表示不设下限（系统账户）")
    )
    created_at = models.DateTimeField(_("开户时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("时间账户")
        verbose_name_plural = _("时间账户")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind=AccountKind.PERSON), name="timebank_one_account_per_person"
            ),
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(kind=AccountKind.COMMUNITY_POOL),
                name="timebank_one_pool_per_community",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind=AccountKind.PRIORITY_POOL),
                name="timebank_one_priority_pool",
            ),
            models.UniqueConstraint(
                fields=["kind", "policy", "shard"],
                condition=Q(kind__in=[AccountKind.ISSUANCE, AccountKind.REDEMPTION]),
                name="timebank_system_account_unique",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=AccountKind.PERSON, user__isnull=False)
                    | Q(kind=AccountKind.COMMUNITY_POOL, community__isnull=False, user__isnull=True)
                    | Q(kind=AccountKind.PRIORITY_POOL, user__isnull=True, community__isnull=True)
                    | Q(
                        kind__in=[AccountKind.ISSUANCE, AccountKind.REDEMPTION],
                        policy__isnull=False,
                        user__isnull=True,
                    )
                ),
                name="timebank_account_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(min_balance__isnull=True) | Q(balance__gte=models.F("min_balance")),
                name="timebank_account_not_below_floor",
            ),
        ]

    class Scoping:
        community = "community"
        self_path = "user"
        family_path = "user__elder_profile__family_links__family_user"
        extra = _district_staff_sees_unplaced("community")

    def __str__(self) -> str:
        if self.kind == AccountKind.PERSON:
            return str(self.user)
        if self.kind == AccountKind.COMMUNITY_POOL:
            return f"{self.community} · {AccountKind.COMMUNITY_POOL.label}"
        if self.kind in (AccountKind.ISSUANCE, AccountKind.REDEMPTION):
            return f"{self.get_kind_display()} {self.policy} #{self.shard}"
        return str(self.get_kind_display())

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable("ledger accounts are never deleted")

    @property
    def balance_hours(self) -> Decimal:
        return minutes_to_hours(self.balance)

    @property
    def earned_hours(self) -> Decimal:
        return minutes_to_hours(self.earned)


class LedgerTransaction(models.Model):
    """One balanced set of postings. Written after its postings (the database checks they sum to zero)."""

    kind = models.CharField(_("类型"), max_length=16, choices=TransactionKind.choices)
    idempotency_key = models.CharField(_("幂等键"), max_length=200, null=True, blank=True)
    policy = models.ForeignKey(
        TimebankPolicy, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("政策版本")
    )
    created_at = models.DateTimeField(_("时间"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代办对象"),
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("服务提供者"),
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("受助/受赠人"),
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("社区"),
    )
    category = models.CharField(_("服务类别"), max_length=20, choices=HelpCategory.choices, blank=True)
    source = models.CharField(_("来源"), max_length=120, blank=True)
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"), default=0)
    weight = models.DecimalField(_("折算系数"), max_digits=4, decimal_places=2, null=True, blank=True)
    amount = models.PositiveBigIntegerField(_("金额（分钟）"), default=0)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
        verbose_name=_("冲正的交易"),
    )
    related = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("关联交易"),
    )
    posting_count = models.PositiveSmallIntegerField(_("分录数"))

    objects: ClassVar[models.Manager[LedgerTransaction]] = models.Manager.from_queryset(ImmutableQuerySet)()

    class Meta:
        verbose_name = _("时间银行交易")
        verbose_name_plural = _("时间银行交易")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(posting_count__gte=2), name="timebank_txn_two_postings"),
            # not unique=True on the field, which on PostgreSQL adds a LIKE copy of the index to every insert
            models.UniqueConstraint(fields=["idempotency_key"], name="timebank_txn_idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["kind", "created_at"], name="timebank_txn_kind_time")]

    class Scoping:
        community = "postings__account__community"
        self_path = "postings__account__user"
        family_path = "postings__account__user__elder_profile__family_links__family_user"
        extra = _district_staff_sees_unplaced("postings__account__community")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise Immutable("ledger transactions are immutable; post a reversing transaction")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable("ledger transactions are immutable; post a reversing transaction")

    @property
    def amount_hours(self) -> Decimal:
        return minutes_to_hours(self.amount)


class Posting(models.Model):
    """One line of a transaction: `amount` minutes added to (positive) or taken from (negative) an account."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="postings", verbose_name=_("交易")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="postings",
        verbose_name=_("账户"),
        db_index=False,  # timebank_posting_acct_time leads with it
    )
    amount = models.BigIntegerField(_("金额（分钟）"))
    kind = models.CharField(_("类型"), max_length=16, choices=PostingKind.choices)
    policy = models.ForeignKey(
        TimebankPolicy, on_delete=models.PROTECT, related_name="postings", verbose_name=_("政策版本")
    )
    created_at = models.DateTimeField(_("时间"), default=clock.now)

    objects: ClassVar[models.Manager[Posting]] = models.Manager.from_queryset(ImmutableQuerySet)()

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="timebank_posting_nonzero")]
        indexes = [
            models.Index(fields=["account", "created_at"], name="timebank_posting_acct_time"),
        ]

    class Scoping:
        community = "account__community"
        self_path = "account__user"
        family_path = "account__user__elder_profile__family_links__family_user"
        extra = _district_staff_sees_unplaced("account__community")

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise Immutable("postings are immutable; post a reversing transaction")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable("postings are immutable; post a reversing transaction")

    @property
    def amount_hours(self) -> Decimal:
        return minutes_to_hours(self.amount)


def minutes_to_hours(minutes: int) -> Decimal:
    """Display value: hours with two decimals (the ledger itself counts whole minutes)."""
    return (Decimal(minutes) / MINUTES_PER_HOUR).quantize(Decimal("0.01"))
