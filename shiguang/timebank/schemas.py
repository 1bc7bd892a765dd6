from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from shiguang.timebank.models import Account, LedgerTransaction, TimebankPolicy, minutes_to_hours
from shiguang.timebank.statements import CommunityStatement, Statement

# Amounts are whole minutes (the ledger's unit); *_hours fields are the same amounts as decimal hours.


class MeOut(Schema):
    account_id: int | None
    balance_minutes: int
    balance_hours: Decimal
    earned_hours: Decimal
    stars: int
    star_thresholds: list[int]
    next_threshold: int | None
    to_next_hours: Decimal | None
    cap_hours: Decimal
    credit_limit_hours: Decimal
    policy_version: int
    no_cash: str


class AccountOut(Schema):
    id: int
    kind: str
    kind_label: str
    holder: str
    user_id: int | None
    community_id: int | None
    balance_minutes: int
    balance_hours: Decimal
    earned_hours: Decimal
    stars: int


class AccountPage(Schema):
    count: int
    items: list[AccountOut]


class PostingOut(Schema):
    id: int
    account_id: int
    account: str
    kind: str
    amount_minutes: int
    amount_hours: Decimal


class TransactionOut(Schema):
    id: int
    kind: str
    kind_label: str
    created_at: dt.datetime
    amount_minutes: int
    amount_hours: Decimal
    policy_version: int
    category: str
    minutes: int
    weight: Decimal | None
    provider_id: int | None
    receiver_id: int | None
    source: str
    note: str
    idempotency_key: str | None
    reverses_id: int | None
    related_id: int | None
    reversed_by_id: int | None
    postings: list[PostingOut]


class TransactionPage(Schema):
    count: int
    items: list[TransactionOut]


class LineOut(Schema):
    posting_id: int
    transaction_id: int
    at: dt.datetime
    kind: str
    description: str
    amount_minutes: int
    amount_hours: Decimal
    balance_minutes: int
    balance_hours: Decimal
    reversal: bool


class StatementOut(Schema):
    account_id: int | None
    holder: str
    start: dt.date
    end: dt.date
    opening_minutes: int
    closing_minutes: int
    opening_hours: Decimal
    closing_hours: Decimal
    totals_minutes: dict[str, int]
    lines: list[LineOut]
    truncated: bool


class MemberOut(Schema):
    account_id: int
    name: str
    role: str
    earned_minutes: int
    received_minutes: int
    given_minutes: int
    spent_minutes: int
    balance_minutes: int
    stars: int


class CommunityStatementOut(Schema):
    community_id: int
    community: str
    start: dt.date
    end: dt.date
    totals_minutes: dict[str, int]
    members: list[MemberOut]
    pool: StatementOut | None


class MonthOut(Schema):
    label: str
    earned: float
    received: float
    given: float


class EligibilityOut(Schema):
    eligible: bool
    relation: str
    reason: str
    rule: str


class RecipientOut(Schema):
    user_id: int
    name: str
    relation: str


class RecipientsOut(Schema):
    relatives: list[RecipientOut]
    rule: str


class PolicyOut(Schema):
    version: int
    effective_from: dt.datetime
    in_force: bool
    weights: dict[str, Decimal]
    cap_hours: Decimal
    elder_credit_limit_hours: Decimal
    redeem_mode: str
    relatives_eligible: bool
    recipient_min_age: int
    recipient_living_arrangements: list[str]
    star_thresholds_hours: list[int]
    max_service_minutes: int
    note: str
    rule: str


class ServiceIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=200)
    provider_id: int
    receiver_id: int
    minutes: int
    category: str = Field(..., max_length=20)
    source: str = Field(..., min_length=1, max_length=120)


class TransferIn(Schema):
    recipient_id: int | None = None
    recipient_phone: str = Field("", max_length=20)
    minutes: int
    note: str = Field("", max_length=500)
    idempotency_key: str | None = Field(None, max_length=200)
    sender_account_id: int | None = Field(None, description="staff acting for a resident: their account id")


class DonationIn(Schema):
    pool: str = Field(..., description="community | priority")
    community_id: int | None = None
    minutes: int
    note: str = Field("", max_length=500)
    idempotency_key: str | None = Field(None, max_length=200)
    sender_account_id: int | None = None


class RedeemIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=200)
    minutes: int
    category: str = Field(..., max_length=20)
    source: str = Field("self", min_length=1, max_length=120)
    note: str = Field("", max_length=500)
    person_account_id: int | None = None


class GrantIn(Schema):
    pool: str = Field(..., description="community | priority")
    community_id: int | None = None
    recipient_id: int
    minutes: int
    reason: str = Field(..., max_length=500)
    idempotency_key: str | None = Field(None, max_length=200)


class ReverseIn(Schema):
    reason: str = Field(..., max_length=500)


class PolicyIn(Schema):
    effective_from: dt.datetime | None = None
    weights: dict[str, str | float | int] = {}
    cap_hours: int = 1500
    elder_credit_limit_hours: int = 0
    redeem_mode: str = "on_request"
    relatives_eligible: bool = True
    recipient_min_age: int = 80
    recipient_living_arrangements: list[str] = ["alone"]
    star_thresholds_hours: list[int] = [100, 300, 600, 1000, 1500]
    max_service_minutes: int = 720
    note: str = Field(..., max_length=500)


# --- rows ---------------------------------------------------------------------------------------------------


def account_row(account: Account, stars: int) -> dict[str, Any]:
    return {
        "id": account.pk,
        "kind": account.kind,
        "kind_label": str(account.get_kind_display()),
        "holder": str(account.user) if account.user_id else str(account),
        "user_id": account.user_id,
        "community_id": account.community_id,
        "balance_minutes": account.balance,
        "balance_hours": account.balance_hours,
        "earned_hours": account.earned_hours,
        "stars": stars,
    }


def transaction_row(txn: LedgerTransaction, postings: list[Any], reversed_by: int | None) -> dict[str, Any]:
    return {
        "id": txn.pk,
        "kind": txn.kind,
        "kind_label": str(txn.get_kind_display()),
        "created_at": txn.created_at,
        "amount_minutes": txn.amount,
        "amount_hours": txn.amount_hours,
        "policy_version": txn.policy.version,
        "category": txn.category,
        "minutes": txn.minutes,
        "weight": txn.weight,
        "provider_id": txn.provider_id,
        "receiver_id": txn.receiver_id,
        "source": txn.source,
        "note": txn.note,
        "idempotency_key": txn.idempotency_key,
        "reverses_id": txn.reverses_id,
        "related_id": txn.related_id,
        "reversed_by_id": reversed_by,
        "postings": [
            {
                "id": p.pk,
                "account_id": p.account_id,
                "account": str(p.account),
                "kind": p.kind,
                "amount_minutes": p.amount,
                "amount_hours": p.amount_hours,
            }
            for p in postings
        ],
    }


def statement_row(st: Statement) -> dict[str, Any]:
    return {
        "account_id": st.account.pk,
        "holder": st.holder,
        "start": st.period.start,
        "end": st.period.end,
        "opening_minutes": st.opening,
        "closing_minutes": st.closing,
        "opening_hours": st.opening_hours,
        "closing_hours": st.closing_hours,
        "totals_minutes": st.totals,
        "lines": [
            {
                "posting_id": line.id,
                "transaction_id": line.transaction_id,
                "at": line.at,
                "kind": line.kind,
                "description": line.description,
                "amount_minutes": line.amount,
                "amount_hours": line.amount_hours,
                "balance_minutes": line.balance,
                "balance_hours": line.balance_hours,
                "reversal": line.reversal,
            }
            for line in st.lines
        ],
        "truncated": st.truncated,
    }


def community_statement_row(cs: CommunityStatement) -> dict[str, Any]:
    return {
        "community_id": cs.community.pk,
        "community": str(cs.community),
        "start": cs.period.start,
        "end": cs.period.end,
        "totals_minutes": cs.totals,
        "members": [
            {
                "account_id": m.account.pk,
                "name": m.name,
                "role": m.role,
                "earned_minutes": m.earned,
                "received_minutes": m.received,
                "given_minutes": m.given,
                "spent_minutes": m.spent,
                "balance_minutes": m.balance,
                "stars": m.stars,
            }
            for m in cs.members
        ],
        "pool": statement_row(cs.pool) if cs.pool else None,
    }


def policy_row(policy: TimebankPolicy, *, in_force: bool, rule: str) -> dict[str, Any]:
    return {
        "version": policy.version,
        "effective_from": policy.effective_from,
        "in_force": in_force,
        "weights": {c: policy.weight(c) for c in sorted(set(policy.weights))},
        "cap_hours": minutes_to_hours(policy.cap_minutes),
        "elder_credit_limit_hours": minutes_to_hours(policy.elder_credit_limit_minutes),
        "redeem_mode": policy.redeem_mode,
        "relatives_eligible": policy.relatives_eligible,
        "recipient_min_age": policy.recipient_min_age,
        "recipient_living_arrangements": list(policy.recipient_living_arrangements),
        "star_thresholds_hours": policy.thresholds,
        "max_service_minutes": policy.max_service_minutes,
        "note": policy.note,
        "rule": rule,
    }
