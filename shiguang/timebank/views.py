"""Time-bank pages. Thin: read through selectors/statements, write through services."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.core import audit, clock
from shiguang.core.errors import DomainError, Forbidden
from shiguang.core.forms import apply_errors
from shiguang.core.scoping import get_scoped, scoped
from shiguang.people.models import ElderProfile
from shiguang.places.models import Community
from shiguang.timebank import exports, selectors, services, statements
from shiguang.timebank.choices import AccountKind, PoolChoice, RedeemMode
from shiguang.timebank.forms import (
    GiveForm,
    GrantForm,
    PeriodForm,
    PolicyForm,
    RecordServiceForm,
    RedeemForm,
    ReverseForm,
)
from shiguang.timebank.models import Account, Posting, minutes_to_hours

PERSON_ROLES = selectors.PERSON_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff(request: HttpRequest) -> Any:
    user: Any = request.user
    if not selectors.is_staff(user):
        raise Forbidden()
    return user


def _new_key() -> str:
    return secrets.token_urlsafe(18)


def _person_for(request: HttpRequest, account_id: Any) -> tuple[Any, Account | None]:
    return selectors.acting_person(request.user, account_id)


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _period(request: HttpRequest) -> tuple[statements.Period, PeriodForm]:
    form = PeriodForm(request.GET or None)
    start = request.GET.get("start") or None
    end = request.GET.get("end") or None
    per = statements.period(start, end)
    if not request.GET:
        form = PeriodForm(initial={"start": per.start, "end": per.end})
    return per, form


# --- my hours -----------------------------------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role not in PERSON_ROLES:
        return redirect("timebank:pools")
    summary = selectors.summary(user)
    account = summary.account
    recent: list[Any] = []
    series: list[dict[str, Any]] = []
    if account is not None:
        st = statements.account_statement(account, statements.period())
        recent = list(reversed(st.lines[-6:]))
        series = selectors.monthly_series(Posting.objects.filter(account=account))
    policy = selectors.policy_in_force()
    context = {
        "summary": summary,
        "recent": recent,
        "series": series,
        "policy": policy,
        "can_redeem": policy.redeem_mode != RedeemMode.OFF,
    }
    return render(request, "timebank/mine.html", context)


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role not in PERSON_ROLES:
        return redirect("timebank:pools")
    account = selectors.account_of(user) or Account(kind=AccountKind.PERSON, user=user)
    return _statement_page(request, account, own=True)


@login_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get(request.user, account_id)
    return _statement_page(request, account, own=False)


def _statement_page(request: HttpRequest, account: Account, *, own: bool) -> HttpResponse:
    per, form = _period(request)
    st = statements.account_statement(account, per)
    page = Paginator(list(reversed(st.lines)), 50).get_page(request.GET.get("page"))
    user: Any = request.user
    context = {
        "st": st,
        "page": page,
        "form": form,
        "own": own,
        "account": account,
        "query": request.GET.urlencode(),
        "is_staff": selectors.is_staff(user),
        "stars": selectors.star_level_for_minutes(account.earned, selectors.policy_in_force().thresholds),
        "series": selectors.monthly_series(Posting.objects.filter(account_id=account.pk)),
    }
    return render(request, "timebank/statement.html", context)


def _export_audit(request: HttpRequest, what: str, target: Any, per: statements.Period, fmt: str) -> None:
    user: Any = request.user
    if selectors.is_staff(user):  # staff exports of other people's statements are recorded
        with_tx = {"format": fmt, "start": per.start.isoformat(), "end": per.end.isoformat()}
        from django.db import transaction

        with transaction.atomic():
            audit.record(f"timebank.{what}.exported", actor=user, target=target, data=with_tx)


@login_required
def statement_export(request: HttpRequest, fmt: str, account_id: int | None = None) -> HttpResponse:
    user: Any = request.user
    if account_id is None:
        account = selectors.account_of(user) or Account(kind=AccountKind.PERSON, user=user)
    else:
        account = selectors.account_get(user, account_id)
    per, _form = _period(request)
    st = statements.account_statement(account, per)
    _export_audit(request, "statement", account, per, fmt)
    name = f"timebank-statement-{account.pk}-{per.start:%Y%m%d}-{per.end:%Y%m%d}"
    if fmt == "pdf":
        return _download(exports.statement_pdf(st), "application/pdf", f"{name}.pdf")
    return _download(exports.statement_xlsx(st), XLSX, f"{name}.xlsx")


# --- giving and spending ------------------------------------------------------------------------------------


@login_required
def give(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    person, account = _person_for(request, request.GET.get("account"))
    community_id = getattr(person, "community_id", None)
    community = Community.objects.filter(pk=community_id).first() if community_id else None
    relatives = selectors.relatives_of(person)
    policy = selectors.policy_in_force()
    form = GiveForm(
        request.POST or None, relatives=relatives, community=community, initial={"key": _new_key()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            minutes = services.hours_to_minutes(data["hours"])
            target = data["to"]
            key = f"give:{person.pk}:{data['key']}"
            if target in ("priority", "community"):
                services.donate(
                    actor=user,
                    sender=person,
                    pool=PoolChoice.PRIORITY if target == "priority" else PoolChoice.COMMUNITY,
                    community=community,
                    minutes=minutes,
                    note=data["note"],
                    idempotency_key=key,
                )
            else:
                if target == "elder":
                    recipient = selectors.find_user_by_phone(data["phone"])
                    if recipient is None:
                        form.add_error("phone", _("没有找到使用这个手机号的用户。"))
                        raise _FormError
                else:
                    recipient = next((u for u in relatives if f"user:{u.pk}" == target), None)
                services.transfer(
                    actor=user,
                    sender=person,
                    recipient=recipient,
                    minutes=minutes,
                    note=data["note"],
                    idempotency_key=key,
                )
        except _FormError:
            pass
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("已转出 %(h)s 小时，谢谢您的爱心！") % {"h": minutes_to_hours(minutes)}
            )
            if account is not None and person.pk != user.pk:
                return redirect("timebank:account", account_id=account.pk)
            return redirect("timebank:mine")
    context = {
        "form": form,
        "person": person,
        "summary": selectors.summary(person),
        "rule": selectors.rule_text(policy),
        "policy": policy,
        "acting_for": person if person.pk != user.pk else None,
    }
    return render(request, "timebank/give.html", context)


class _FormError(Exception):
    pass


@login_required
def give_check(request: HttpRequest) -> HttpResponse:
    """htmx: tell the giver whether the person with this phone number may receive hours, and why."""
    person, _account = _person_for(request, request.GET.get("account"))
    phone = (request.GET.get("phone") or "")[:20]
    verdict = None
    name = ""
    if phone.strip():
        recipient = selectors.find_user_by_phone(phone)
        verdict = selectors.recipient_eligibility(selectors.policy_in_force(), person, recipient)
        if recipient is not None and verdict.eligible:
            name = str(recipient)[:1] + "*" * max(1, len(str(recipient)) - 1)
    return render(request, "timebank/give.html#eligibility", {"verdict": verdict, "name": name})


@login_required
def redeem(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    person, account = _person_for(request, request.GET.get("account"))
    policy = selectors.policy_in_force()
    form = RedeemForm(request.POST or None, initial={"key": _new_key()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            minutes = services.hours_to_minutes(data["hours"])
            services.redeem_service(
                actor=user,
                idempotency_key=f"redeem:{person.pk}:{data['key']}",
                person=person,
                minutes=minutes,
                category=data["category"],
                source="station" if person.pk != user.pk else "self",
                note=data["note"],
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已兑换服务。"))
            if account is not None and person.pk != user.pk:
                return redirect("timebank:account", account_id=account.pk)
            return redirect("timebank:mine")
    context = {
        "form": form,
        "person": person,
        "summary": selectors.summary(person),
        "policy": policy,
        "enabled": policy.redeem_mode != RedeemMode.OFF,
        "acting_for": person if person.pk != user.pk else None,
    }
    return render(request, "timebank/redeem.html", context)


# --- staff: pools, services, corrections --------------------------------------------------------------------


def _communities(user: Any) -> Any:
    return scoped(Community.objects.select_related("street"), user).order_by("street_id", "id")


@login_required
def pools(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    balances = {
        a.community_id: a for a in selectors.pools_in_scope(user).filter(kind=AccountKind.COMMUNITY_POOL)
    }
    communities = [{"community": c, "pool": balances.get(c.pk)} for c in _communities(user)]
    context = {
        "communities": communities,
        "priority": selectors.priority_pool() if selectors.is_district(user) else None,
        "is_district": selectors.is_district(user),
        "policy": selectors.policy_in_force(),
    }
    return render(request, "timebank/pools.html", context)


@login_required
def community(request: HttpRequest, community_id: int) -> HttpResponse:
    user = _staff(request)
    place = get_scoped(Community.objects.select_related("street"), user, pk=community_id)
    per, period_form = _period(request)
    cs = statements.community_statement(user, place, per)
    elders = scoped(ElderProfile.objects.filter(community=place), user).order_by("name", "id")
    form = GrantForm(request.POST or None, elders=elders, initial={"key": _new_key()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pool_grant(
                actor=user,
                pool=PoolChoice.COMMUNITY,
                community=place,
                recipient=data["recipient"].user,
                minutes=services.hours_to_minutes(data["hours"]),
                reason=data["reason"],
                idempotency_key=f"grant:{data['key']}",
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已从社区互助池发放。"))
            return redirect("timebank:community", community_id=place.pk)
    context = {
        "place": place,
        "cs": cs,
        "form": form,
        "period_form": period_form,
        "query": request.GET.urlencode(),
        "series": selectors.community_series(user, place),
    }
    return render(request, "timebank/community.html", context)


@login_required
def community_export(request: HttpRequest, community_id: int, fmt: str) -> HttpResponse:
    user = _staff(request)
    place = get_scoped(Community.objects.select_related("street"), user, pk=community_id)
    per, _form = _period(request)
    cs = statements.community_statement(user, place, per)
    _export_audit(request, "community_statement", place, per, fmt)
    name = f"timebank-community-{place.pk}-{per.start:%Y%m%d}-{per.end:%Y%m%d}"
    if fmt == "pdf":
        return _download(exports.community_pdf(cs), "application/pdf", f"{name}.pdf")
    return _download(exports.community_xlsx(cs), XLSX, f"{name}.xlsx")


def priority_candidates(user: Any, policy: Any, community: Any) -> Any:
    """Elders in scope who meet the priority rule (age and living arrangement), for the grant form."""
    today = clock.today()
    try:
        born_by = today.replace(year=today.year - policy.recipient_min_age)
    except ValueError:  # 29 February
        born_by = today.replace(year=today.year - policy.recipient_min_age, day=28)
    qs = scoped(ElderProfile.objects.filter(birth_date__lte=born_by, user__is_active=True), user)
    if policy.recipient_living_arrangements:
        qs = qs.filter(living_arrangement__in=policy.recipient_living_arrangements)
    return qs.filter(community=community).select_related("community").order_by("name", "id")


@login_required
def priority(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if not selectors.is_district(user):
        raise Forbidden(_("优先长者池由区民政局工作人员管理。"))
    policy = selectors.policy_in_force()
    pool = selectors.priority_pool()
    per, period_form = _period(request)
    st = statements.account_statement(pool, per) if pool else None
    communities, chosen = _chosen_community(request, user)
    form = GrantForm(
        request.POST or None, elders=priority_candidates(user, policy, chosen), initial={"key": _new_key()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pool_grant(
                actor=user,
                pool=PoolChoice.PRIORITY,
                recipient=data["recipient"].user,
                minutes=services.hours_to_minutes(data["hours"]),
                reason=data["reason"],
                idempotency_key=f"grant:{data['key']}",
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已从优先长者池发放。"))
            return redirect("timebank:priority")
    context = {
        "communities": communities,
        "chosen": chosen,
        "pool": pool,
        "st": st,
        "form": form,
        "period_form": period_form,
        "rule": selectors.rule_text(policy),
        "policy": policy,
    }
    return render(request, "timebank/priority.html", context)


def _chosen_community(request: HttpRequest, user: Any) -> tuple[Any, Community | None]:
    """Staff with more than one community pick one (GET ?community=) to keep the elder lists short."""
    communities = _communities(user)
    wanted = request.GET.get("community") or getattr(user, "community_id", None)
    chosen = communities.filter(pk=wanted).first() if wanted and str(wanted).isdigit() else None
    return communities, chosen or communities.first()


@login_required
def record(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    communities, chosen = _chosen_community(request, user)
    elders = scoped(
        ElderProfile.objects.select_related("community").filter(user__is_active=True, community=chosen), user
    ).order_by("name", "id")
    form = RecordServiceForm(request.POST or None, elders=elders, initial={"key": _new_key()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        provider = selectors.find_user_by_phone(data["provider_phone"])
        if provider is None:
            form.add_error("provider_phone", _("没有找到使用这个手机号的用户。"))
        else:
            try:
                txn = services.post_service(
                    actor=user,
                    idempotency_key=f"manual:{data['key']}",
                    provider=provider,
                    receiver=data["receiver"].user,
                    minutes=services.hours_to_minutes(data["hours"]),
                    category=data["category"],
                    source=f"manual:{data['source']}",
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已为%(who)s记入 %(h)s 小时。") % {"who": provider, "h": txn.amount_hours},
                )
                return redirect("timebank:transaction", transaction_id=txn.pk)
    context = {
        "form": form,
        "policy": selectors.policy_in_force(),
        "communities": communities,
        "chosen": chosen,
    }
    return render(request, "timebank/record.html", context)


@login_required
def transaction_detail(request: HttpRequest, transaction_id: int) -> HttpResponse:
    user: Any = request.user
    txn = selectors.transaction_get(user, transaction_id)
    context = {
        "txn": txn,
        "postings": selectors.postings_of(txn),
        "reversal": txn.reversal if selectors.is_reversed(txn) else None,
        "can_reverse": selectors.is_staff(user) and txn.kind != "reversal" and not selectors.is_reversed(txn),
        "form": ReverseForm(),
    }
    return render(request, "timebank/transaction.html", context)


@login_required
@require_POST
def transaction_reverse(request: HttpRequest, transaction_id: int) -> HttpResponse:
    user = _staff(request)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写冲正原因。"))
        return redirect("timebank:transaction", transaction_id=transaction_id)
    reversal = services.reverse(actor=user, transaction_id=transaction_id, reason=form.cleaned_data["reason"])
    messages.success(request, _("已冲正，冲正交易 #%(id)s。") % {"id": reversal.pk})
    return redirect("timebank:transaction", transaction_id=reversal.pk)


# --- policy -------------------------------------------------------------------------------------------------


@login_required
def policy(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    in_force = selectors.policy_in_force()
    context = {
        "policy": in_force,
        "weights": selectors.weight_rows(in_force),
        "rule": selectors.rule_text(in_force),
        "history": selectors.policy_history()[:20],
        "scheduled": selectors.scheduled_policies(),
        "can_edit": selectors.is_district(user),
    }
    return render(request, "timebank/policy.html", context)


@login_required
def policy_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not selectors.is_district(user):
        raise Forbidden(_("时间银行政策由区民政局工作人员制定。"))
    current = selectors.policy_in_force()
    form = PolicyForm(request.POST or None, policy=current)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        effective = kwargs.get("effective_from")
        if isinstance(effective, dt.datetime) and effective.tzinfo is None:
            kwargs["effective_from"] = effective.replace(tzinfo=clock.SHANGHAI)
        try:
            created = services.policy_create(actor=user, **kwargs)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已发布政策第 %(v)s 版。") % {"v": created.version})
            return redirect("timebank:policy")
    return render(request, "timebank/policy_form.html", {"form": form, "current": current})
