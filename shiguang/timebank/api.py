"""The time-bank JSON API, mounted at /api/v1/timebank/ (thin: parse, call a service or selector).

Amounts are whole minutes (1 hour = 60 minutes = 1 time coin). Hours redeem services only, never cash.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from shiguang.accounts.models import User
from shiguang.core.api import ERRORS, responses, user_of
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.core.scoping import get_scoped
from shiguang.places.models import Community
from shiguang.timebank import exports, schemas, selectors, services, statements
from shiguang.timebank.models import Account, LedgerTransaction, Posting

router = Router(tags=["timebank"])
FILE = {200: None, **ERRORS}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(offset: int, limit: int) -> None:
    if offset < 0 or not 1 <= limit <= 200:
        raise ValidationFailed(fields={"limit": ["1–200"], "offset": [">= 0"]})


def _txn(txn: LedgerTransaction) -> dict[str, Any]:
    postings = list(selectors.postings_of(txn))
    reversal = LedgerTransaction.objects.filter(reverses=txn).values_list("id", flat=True).first()
    return schemas.transaction_row(txn, postings, reversal)


def _user(user_id: int | None, field: str) -> User:
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise ValidationFailed(fields={field: [_("找不到该用户。")]})
    return user


def _stars(account: Account) -> int:
    return selectors.star_level_for_minutes(account.earned, selectors.policy_in_force().thresholds)


def _file(data: bytes, fmt: str, name: str) -> HttpResponse:
    content_type = "application/pdf" if fmt == "pdf" else XLSX
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def _format(fmt: str) -> str:
    if fmt not in ("pdf", "xlsx"):
        raise ValidationFailed(fields={"format": ["pdf | xlsx"]})
    return fmt


# --- me -----------------------------------------------------------------------------------------------------


@router.get("/me", response=responses(schemas.MeOut), summary="My hours, stars and the limits that apply")
def me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    summary = selectors.summary(user)
    policy = selectors.policy_in_force()
    return {
        "account_id": summary.account.pk if summary.account else None,
        "balance_minutes": summary.account.balance if summary.account else 0,
        "balance_hours": summary.balance,
        "earned_hours": summary.earned,
        "stars": summary.stars,
        "star_thresholds": summary.thresholds,
        "next_threshold": summary.next_threshold,
        "to_next_hours": summary.to_next,
        "cap_hours": summary.cap,
        "credit_limit_hours": summary.credit_limit,
        "policy_version": policy.version,
        "no_cash": _("时间币只能兑换服务，不能兑换现金。"),
    }


def _own_account(user: Any) -> Account:
    return selectors.account_of(user) or Account(kind="person", user=user)


@router.get("/me/statement", response=responses(schemas.StatementOut), summary="My statement for a period")
def my_statement(request: HttpRequest, start: str = "", end: str = "") -> dict[str, Any]:
    account = _own_account(user_of(request))
    return schemas.statement_row(statements.account_statement(account, statements.period(start, end)))


@router.get("/me/statement/export", response=FILE, summary="My statement as PDF or Excel")
def my_statement_export(
    request: HttpRequest, format: str = "pdf", start: str = "", end: str = ""
) -> HttpResponse:
    fmt = _format(format)
    st = statements.account_statement(_own_account(user_of(request)), statements.period(start, end))
    data = exports.statement_pdf(st) if fmt == "pdf" else exports.statement_xlsx(st)
    return _file(data, fmt, "timebank-statement")


@router.get(
    "/me/series", response=responses(list[schemas.MonthOut]), summary="My hours per month (12 months)"
)
def my_series(request: HttpRequest) -> list[dict[str, Any]]:
    account = selectors.account_of(user_of(request))
    if account is None:
        return selectors.monthly_series(Posting.objects.none())
    return selectors.monthly_series(Posting.objects.filter(account_id=account.pk))


@router.get(
    "/me/recipients",
    response=responses(schemas.RecipientsOut),
    summary="Relatives I can give hours to, and the rule",
)
def my_recipients(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    policy = selectors.policy_in_force()
    relatives = selectors.relatives_of(user) if policy.relatives_eligible else []
    return {
        "relatives": [{"user_id": u.pk, "name": str(u), "relation": "relative"} for u in relatives],
        "rule": selectors.rule_text(policy),
    }


@router.get(
    "/eligibility",
    response=responses(schemas.EligibilityOut),
    summary="May this person receive my hours? (by user id or phone)",
)
def eligibility(
    request: HttpRequest,
    recipient_id: int | None = None,
    phone: str = "",
    sender_account_id: int | None = None,
) -> dict[str, Any]:
    sender, _account = selectors.acting_person(user_of(request), sender_account_id)
    recipient = (
        User.objects.filter(pk=recipient_id).first()
        if recipient_id
        else selectors.find_user_by_phone(phone[:20])
    )
    policy = selectors.policy_in_force()
    verdict = selectors.recipient_eligibility(policy, sender, recipient)
    return {
        "eligible": verdict.eligible,
        "relation": verdict.relation,
        "reason": verdict.reason,
        "rule": selectors.rule_text(policy),
    }


# --- writes -------------------------------------------------------------------------------------------------


@router.post(
    "/services",
    response=responses(schemas.TransactionOut, 201),
    summary="Post the hours of a confirmed service (once per idempotency key)",
)
def post_service(request: HttpRequest, payload: schemas.ServiceIn) -> Status[dict[str, Any]]:
    txn = services.post_service(
        actor=user_of(request),
        idempotency_key=payload.idempotency_key,
        provider=_user(payload.provider_id, "provider_id"),
        receiver=_user(payload.receiver_id, "receiver_id"),
        minutes=payload.minutes,
        category=payload.category,
        source=payload.source,
    )
    return Status(201, _txn(txn))


@router.post(
    "/transfers",
    response=responses(schemas.TransactionOut, 201),
    summary="Give hours to a relative or an eligible elder (never above the balance)",
)
def transfer(request: HttpRequest, payload: schemas.TransferIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    sender, _account = selectors.acting_person(actor, payload.sender_account_id)
    found = (
        _user(payload.recipient_id, "recipient_id")
        if payload.recipient_id
        else selectors.find_user_by_phone(payload.recipient_phone)
    )
    if found is None:
        raise ValidationFailed(fields={"recipient_phone": [_("没有找到使用这个手机号的用户。")]})
    recipient = found
    txn = services.transfer(
        actor=actor,
        sender=sender,
        recipient=recipient,
        minutes=payload.minutes,
        note=payload.note,
        idempotency_key=payload.idempotency_key,
    )
    return Status(201, _txn(txn))


@router.post(
    "/donations",
    response=responses(schemas.TransactionOut, 201),
    summary="Give hours to a community pool or the priority-elder pool",
)
def donate(request: HttpRequest, payload: schemas.DonationIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    sender, _account = selectors.acting_person(actor, payload.sender_account_id)
    community = None
    if payload.community_id is not None:
        community = Community.objects.filter(pk=payload.community_id).first()
        if community is None:
            raise ValidationFailed(fields={"community_id": [_("找不到该社区。")]})
    txn = services.donate(
        actor=actor,
        sender=sender,
        pool=payload.pool,
        community=community,
        minutes=payload.minutes,
        note=payload.note,
        idempotency_key=payload.idempotency_key,
    )
    return Status(201, _txn(txn))


@router.post(
    "/redemptions",
    response=responses(schemas.TransactionOut, 201),
    summary="Spend hours on a service (services only, never cash)",
)
def redeem(request: HttpRequest, payload: schemas.RedeemIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    person, _account = selectors.acting_person(actor, payload.person_account_id)
    txn = services.redeem_service(
        actor=actor,
        idempotency_key=payload.idempotency_key,
        person=person,
        minutes=payload.minutes,
        category=payload.category,
        source=payload.source,
        note=payload.note,
    )
    return Status(201, _txn(txn))


@router.post(
    "/grants",
    response=responses(schemas.TransactionOut, 201),
    summary="Staff: give hours from a pool to an elder",
)
def grant(request: HttpRequest, payload: schemas.GrantIn) -> Status[dict[str, Any]]:
    community = None
    if payload.community_id is not None:
        community = Community.objects.filter(pk=payload.community_id).first()
        if community is None:
            raise ValidationFailed(fields={"community_id": [_("找不到该社区。")]})
    txn = services.pool_grant(
        actor=user_of(request),
        pool=payload.pool,
        community=community,
        recipient=_user(payload.recipient_id, "recipient_id"),
        minutes=payload.minutes,
        reason=payload.reason,
        idempotency_key=payload.idempotency_key,
    )
    return Status(201, _txn(txn))


@router.post(
    "/transactions/{transaction_id}/reverse",
    response=responses(schemas.TransactionOut, 201),
    summary="Staff: correct a transaction with its exact opposite",
)
def reverse(request: HttpRequest, transaction_id: int, payload: schemas.ReverseIn) -> Status[dict[str, Any]]:
    txn = services.reverse(actor=user_of(request), transaction_id=transaction_id, reason=payload.reason)
    return Status(201, _txn(txn))


# --- reads in scope -----------------------------------------------------------------------------------------


@router.get("/transactions", response=responses(schemas.TransactionPage), summary="Transactions I may see")
def transactions(
    request: HttpRequest, account_id: int | None = None, offset: int = 0, limit: int = 50
) -> dict[str, Any]:
    _page(offset, limit)
    user = user_of(request)
    account = selectors.account_get(user, account_id) if account_id else None
    qs = selectors.transactions_in_scope(user, account=account)
    return {"count": qs.count(), "items": [_txn(t) for t in qs[offset : offset + limit]]}


@router.get(
    "/transactions/{transaction_id}", response=responses(schemas.TransactionOut), summary="One transaction"
)
def transaction_detail(request: HttpRequest, transaction_id: int) -> dict[str, Any]:
    return _txn(selectors.transaction_get(user_of(request), transaction_id))


@router.get(
    "/accounts", response=responses(schemas.AccountPage), summary="Staff: person accounts in my scope"
)
def accounts(
    request: HttpRequest, community_id: int | None = None, q: str = "", offset: int = 0, limit: int = 50
) -> dict[str, Any]:
    _page(offset, limit)
    user = user_of(request)
    if not selectors.is_staff(user):
        raise Forbidden()
    qs = selectors.accounts_in_scope(user, community_id=community_id, query=q[:40])
    thresholds = selectors.policy_in_force().thresholds
    return {
        "count": qs.count(),
        "items": [
            schemas.account_row(a, selectors.star_level_for_minutes(a.earned, thresholds))
            for a in qs[offset : offset + limit]
        ],
    }


@router.get("/accounts/{account_id}", response=responses(schemas.AccountOut), summary="One account")
def account_detail(request: HttpRequest, account_id: int) -> dict[str, Any]:
    account = selectors.account_get(user_of(request), account_id)
    return schemas.account_row(account, _stars(account))


@router.get(
    "/accounts/{account_id}/statement",
    response=responses(schemas.StatementOut),
    summary="An account's statement",
)
def account_statement(
    request: HttpRequest, account_id: int, start: str = "", end: str = ""
) -> dict[str, Any]:
    account = selectors.account_get(user_of(request), account_id)
    return schemas.statement_row(statements.account_statement(account, statements.period(start, end)))


@router.get(
    "/accounts/{account_id}/statement/export", response=FILE, summary="An account's statement as PDF/Excel"
)
def account_statement_export(
    request: HttpRequest, account_id: int, format: str = "pdf", start: str = "", end: str = ""
) -> HttpResponse:
    fmt = _format(format)
    account = selectors.account_get(user_of(request), account_id)
    st = statements.account_statement(account, statements.period(start, end))
    data = exports.statement_pdf(st) if fmt == "pdf" else exports.statement_xlsx(st)
    return _file(data, fmt, f"timebank-statement-{account.pk}")


@router.get("/pools", response=responses(list[schemas.AccountOut]), summary="Staff: pools in my scope")
def pools(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    if not selectors.is_staff(user):
        raise Forbidden()
    return [schemas.account_row(a, 0) for a in selectors.pools_in_scope(user)]


def _community(user: Any, community_id: int) -> Community:
    if not selectors.is_staff(user):
        raise Forbidden()
    return get_scoped(Community.objects.select_related("street"), user, pk=community_id)


@router.get(
    "/communities/{community_id}/statement",
    response=responses(schemas.CommunityStatementOut),
    summary="Staff: a community's statement (its pool and every person account)",
)
def community_statement(
    request: HttpRequest, community_id: int, start: str = "", end: str = ""
) -> dict[str, Any]:
    user = user_of(request)
    place = _community(user, community_id)
    return schemas.community_statement_row(
        statements.community_statement(user, place, statements.period(start, end))
    )


@router.get(
    "/communities/{community_id}/statement/export",
    response=FILE,
    summary="Staff: a community's statement as PDF/Excel",
)
def community_statement_export(
    request: HttpRequest, community_id: int, format: str = "pdf", start: str = "", end: str = ""
) -> HttpResponse:
    fmt = _format(format)
    user = user_of(request)
    place = _community(user, community_id)
    cs = statements.community_statement(user, place, statements.period(start, end))
    data = exports.community_pdf(cs) if fmt == "pdf" else exports.community_xlsx(cs)
    return _file(data, fmt, f"timebank-community-{place.pk}")


@router.get(
    "/communities/{community_id}/series",
    response=responses(list[schemas.MonthOut]),
    summary="Staff: a community's hours per month (12 months)",
)
def community_series(request: HttpRequest, community_id: int) -> list[dict[str, Any]]:
    user = user_of(request)
    return selectors.community_series(user, _community(user, community_id))


# --- policy -------------------------------------------------------------------------------------------------


def _policy_row(policy: Any, in_force_version: int) -> dict[str, Any]:
    return schemas.policy_row(
        policy, in_force=policy.version == in_force_version, rule=selectors.rule_text(policy)
    )


@router.get("/policy", response=responses(schemas.PolicyOut), summary="The policy in force")
def policy(request: HttpRequest) -> dict[str, Any]:
    current = selectors.policy_in_force()
    return _policy_row(current, current.version)


@router.get(
    "/policies", response=responses(list[schemas.PolicyOut]), summary="All policy versions, newest first"
)
def policies(request: HttpRequest) -> list[dict[str, Any]]:
    current = selectors.policy_in_force().version
    return [_policy_row(p, current) for p in selectors.policy_history()[:100]]


@router.post(
    "/policies", response=responses(schemas.PolicyOut, 201), summary="District staff: a new policy version"
)
def policy_create(request: HttpRequest, payload: schemas.PolicyIn) -> Status[dict[str, Any]]:
    created = services.policy_create(actor=user_of(request), **payload.dict())
    return Status(201, _policy_row(created, selectors.policy_in_force().version))
