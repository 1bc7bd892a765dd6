"""Pages of the mutual-aid square. Thin: services write, selectors read; domain errors become messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.accounts.choices import Role
from shiguang.aid import checkin, selectors, services
from shiguang.aid import permissions as perms
from shiguang.aid.choices import (
    DEFAULT_DURATION,
    TAKEABLE,
    Category,
    CheckinMethod,
    DisputeStatus,
    RequestStatus,
    Urgency,
)
from shiguang.aid.forms import (
    AssignForm,
    CheckOutForm,
    CodeCheckInForm,
    ConfirmForm,
    OfferForm,
    PolicyForm,
    PreferenceForm,
    RateForm,
    ReasonForm,
    RequestConfirmForm,
    RequirementForm,
    ResolveForm,
)
from shiguang.aid.models import HelpRequest
from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden, NotFound
from shiguang.core.forms import apply_errors
from shiguang.people import selectors as people_selectors
from shiguang.people.models import ElderProfile


def _when_options() -> list[tuple[str, str]]:
    return [
        ("today", _("今天")),
        ("tomorrow_am", _("明天上午")),
        ("tomorrow_pm", _("明天下午")),
        ("week", _("这周内")),
        ("anytime", _("什么时候都行")),
        ("custom", _("指定时间")),
    ]


def _resolve_when(when: str) -> tuple[str, dt.datetime | None]:
    """The elder's one-tap time choice → (urgency, start time)."""
    now = clock.local(clock.now())
    tomorrow = (now + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    if when == "tomorrow_am":
        return Urgency.SOON, tomorrow.replace(hour=9, minute=0)
    if when == "tomorrow_pm":
        return Urgency.SOON, tomorrow.replace(hour=14, minute=0)
    if when == "week":
        return Urgency.THIS_WEEK, None
    if when == "anytime":
        return Urgency.ANYTIME, None
    return Urgency.TODAY, None


def _urgency_for(start: dt.datetime) -> str:
    days = (clock.local(start).date() - clock.today()).days
    if days <= 0:
        return Urgency.TODAY
    if days <= 2:
        return Urgency.SOON
    if days <= 7:
        return Urgency.THIS_WEEK
    return Urgency.ANYTIME


def _hx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- the square ---------------------------------------------------------------------------------------------


@login_required
def square(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role in (Role.ELDER, Role.FAMILY):
        return redirect("aid:mine")
    try:
        within = float(request.GET["within_km"]) if request.GET.get("within_km") else None
    except ValueError:
        within = None
    filters = selectors.FeedFilters(
        category=request.GET.get("category", ""),
        urgency=request.GET.get("urgency", ""),
        within_km=within,
        sort=request.GET.get("sort", "nearest") or "nearest",
        offset=max(0, int(request.GET.get("offset", "0") or 0))
        if request.GET.get("offset", "0").isdigit()
        else 0,
        limit=20,
    )
    try:
        page = selectors.feed(user, filters)
        error = ""
    except DomainError as exc:
        page = selectors.FeedPage(0, [], None)
        error = str(exc.message) + " " + "；".join(" ".join(v) for v in exc.fields.values())
    volunteer = perms.volunteer_of(user)
    context = {
        "page": page,
        "filters": filters,
        "error": error,
        "categories": Category.choices,
        "urgencies": Urgency.choices,
        "distances": [1, 3, 5, 10],
        "volunteer": volunteer,
        "query": request.GET.urlencode(),
    }
    if _hx(request):
        return render(request, "aid/square.html#feed", context)
    return render(request, "aid/square.html", context)


# --- posting (the elder's big-button flow; family and workers pick the elder first) -------------------------


@login_required
def post(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    elders = selectors.elders_actor_can_post_for(user)
    elder_id = request.GET.get("elder") or request.POST.get("elder")
    elder: ElderProfile | None = None
    if user.role == Role.ELDER:
        elder = people_selectors.elder_for_user(user)
    elif elder_id and elder_id.isdigit():
        elder = elders.filter(pk=int(elder_id)).first()
        if elder is None:
            raise NotFound()
    elif user.role == Role.FAMILY and elders.count() == 1:
        elder = elders.first()
    if elder is None:
        if not elders.exists() and user.role not in (Role.FAMILY,) and not perms.is_worker(user):
            raise Forbidden(_("只有长者本人、家属或社区工作人员可以发布求助。"))
        query = request.GET.get("q", "")[:40]
        found = elders.filter(name__icontains=query) if query else elders
        return render(request, "aid/post_elder.html", {"elders": found[:30], "query": query})
    category = request.GET.get("category") or request.POST.get("category") or ""
    when = request.GET.get("when") or request.POST.get("when") or ""
    base = {"elder": elder, "acting_for": user.pk != elder.user_id}
    if category not in Category.values:
        options = list(Category.choices)
        return render(request, "aid/post_category.html", {**base, "options": options})
    if when not in dict(_when_options()):
        return render(
            request,
            "aid/post_when.html",
            {
                **base,
                "category": category,
                "category_label": Category(category).label,
                "options": _when_options(),
            },
        )
    urgency, start = _resolve_when(when)
    form = RequestConfirmForm(
        request.POST or None,
        initial={"duration_minutes": DEFAULT_DURATION.get(category, 60), "start_at": start},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start_at = data.get("start_at") if when == "custom" else start
        if when == "custom" and start_at is None:
            form.add_error("start_at", _("请选择开始时间。"))
        else:
            try:
                req = services.help_request_create(
                    actor=user,
                    elder=elder,
                    category=category,
                    description=data.get("description", ""),
                    urgency=_urgency_for(start_at) if when == "custom" and start_at else urgency,
                    start_at=start_at,
                    end_at=data.get("end_at") if when == "custom" else None,
                    duration_minutes=data["duration_minutes"],
                    place=data.get("place", ""),
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("求助已发布，正在为您寻找附近的志愿者。"))
                return redirect("aid:detail", request_id=req.pk)
    when_label = dict(_when_options())[when]
    return render(
        request,
        "aid/post_confirm.html",
        {
            **base,
            "form": form,
            "category": category,
            "category_label": Category(category).label,
            "when": when,
            "when_label": when_label,
            "start": start,
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = selectors.requests_for(user)
    if user.role == Role.VOLUNTEER:
        return redirect("aid:tasks")
    active = [r for r in qs.filter(status__in=[*TAKEABLE, "accepted", "in_service", "done", "disputed"])[:50]]
    past = Paginator(
        qs.exclude(status__in=[*TAKEABLE, "accepted", "in_service", "done", "disputed"]), 20
    ).get_page(request.GET.get("page"))
    elder = people_selectors.elder_for_user(user) if user.role == Role.ELDER else None
    return render(request, "aid/mine.html", {"active": active, "past": past, "elder": elder})


# --- one request --------------------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, req: HelpRequest) -> dict[str, Any]:
    user: Any = request.user
    actions = perms.allowed_actions(user, req)
    elder_side = perms.acts_for_elder(user, req.elder)
    context: dict[str, Any] = {
        "req": req,
        "actions": actions,
        "elder_side": elder_side,
        "is_assignee": perms.is_assignee(user, req),
        "is_worker": perms.is_worker_for(user, req.elder),
        "elder_name": req.elder.name
        if (elder_side or perms.is_assignee(user, req) or perms.is_worker(user))
        else (req.elder.name[:1] + "**"),
        "record": getattr(req, "record", None) if req.status in ("done", "confirmed", "disputed") else None,
        "ratings": selectors.ratings_for(req),
        "dispute": selectors.open_dispute(req),
        "invitation": selectors.pending_invitation(user, req),
        "reason_form": ReasonForm(),
        "code_form": CodeCheckInForm(),
        "checkout_form": CheckOutForm(),
        "confirm_form": ConfirmForm(initial={"minutes": req.proposed_minutes or req.duration_minutes}),
        "credit_limit": services.credit_limit(req),
        "rate_form": RateForm(),
        "stars": [(5, _("非常满意")), (4, _("满意")), (3, _("一般")), (2, _("不满意")), (1, _("很不满意"))],
        "can_geo": req.place_kind == "home" and req.location_source == "home",
    }
    if elder_side and req.status in (RequestStatus.ACCEPTED,):
        context["code"] = _code_context(request, req.elder)
    return context


@login_required
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    req = selectors.request_get(request.user, request_id)
    return render(request, "aid/detail.html", _detail_context(request, req))


def _back(request_id: int) -> HttpResponse:
    return redirect("aid:detail", request_id=request_id)


def _action(request: HttpRequest, request_id: int, run: Any, success: str) -> HttpResponse:
    """Run a service for a POSTed action; domain errors come back as a message on the page (or a 4xx)."""
    try:
        run()
    except DomainError as exc:
        detail_msg = "；".join(" ".join(v) for v in exc.fields.values())
        text = f"{exc.message} {detail_msg}".strip()
        if _hx(request):
            return render(request, "aid/partials/message.html", {"error": text}, status=exc.status)
        messages.error(request, text)
        if request.headers.get("referer"):
            return _back(request_id)
        return render(request, "error.html", {"error": exc}, status=exc.status)
    messages.success(request, success)
    if _hx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("aid:detail", kwargs={"request_id": request_id})
        return response
    return _back(request_id)


@login_required
@require_POST
def accept(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    if _hx(request) and request.POST.get("from") == "square":
        try:
            req = services.help_request_accept(actor=user, request_id=request_id)
        except DomainError as exc:
            return render(
                request,
                "aid/partials/card_result.html",
                {"error": exc.message, "request_id": request_id},
                status=exc.status,
            )
        return render(request, "aid/partials/card_result.html", {"req": req, "request_id": request_id})
    return _action(
        request,
        request_id,
        lambda: services.help_request_accept(actor=user, request_id=request_id),
        _("接单成功！请按约定时间上门，到达后签到。"),
    )


@login_required
@require_POST
def decline(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    reason = request.POST.get("reason", "")
    result = _action(
        request,
        request_id,
        lambda: services.invitation_decline(actor=user, request_id=request_id, reason=reason),
        _("已婉拒，谢谢您告诉我们。"),
    )
    if result.status_code == 302:
        return redirect("aid:tasks")
    return result


@login_required
@require_POST
def release(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    reason = request.POST.get("reason", "")
    return _action(
        request,
        request_id,
        lambda: services.help_request_release(actor=user, request_id=request_id, reason=reason),
        _("任务已退回，我们会重新寻找志愿者。"),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    reason = request.POST.get("reason", "")
    return _action(
        request,
        request_id,
        lambda: services.help_request_cancel(actor=user, request_id=request_id, reason=reason),
        _("求助已取消。"),
    )


@login_required
@require_POST
def no_show(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    reason = request.POST.get("reason", "")
    return _action(
        request,
        request_id,
        lambda: services.help_request_no_show(actor=user, request_id=request_id, reason=reason),
        _("已登记，社区工作人员会跟进。"),
    )


@login_required
@require_POST
def reopen(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    return _action(
        request,
        request_id,
        lambda: services.help_request_reopen(actor=user, request_id=request_id),
        _("求助已重新发布。"),
    )


@login_required
@require_POST
def check_in(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    method = request.POST.get("method", "")

    def run() -> Any:
        def number(name: str) -> float | None:
            raw = request.POST.get(name, "")
            try:
                return float(raw) if raw else None
            except ValueError:
                return None

        return services.help_request_check_in(
            actor=user,
            request_id=request_id,
            method=method,
            code=request.POST.get("code", ""),
            token=request.POST.get("token", ""),
            lat=number("lat"),
            lng=number("lng"),
            accuracy_m=number("accuracy_m"),
        )

    return _action(request, request_id, run, _("签到成功，服务开始计时。"))


@login_required
@require_POST
def check_out(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    form = CheckOutForm(request.POST, request.FILES)
    summary = request.POST.get("summary", "")
    photo = request.FILES.get("photo") if form.is_valid() or "photo" in request.FILES else None
    return _action(
        request,
        request_id,
        lambda: services.help_request_check_out(
            actor=user, request_id=request_id, summary=summary, photo=photo
        ),
        _("已签退，等待长者确认。"),
    )


@login_required
@require_POST
def confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    raw = request.POST.get("minutes", "")
    minutes: Any = int(raw) if raw.lstrip("-").isdigit() else (raw or None)
    return _action(
        request,
        request_id,
        lambda: services.help_request_confirm(actor=user, request_id=request_id, minutes=minutes),
        _("已确认服务，时长已记入志愿者的时间银行账户。谢谢！"),
    )


@login_required
@require_POST
def rate(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    raw = request.POST.get("score", "")
    score: Any = int(raw) if raw.isdigit() else raw
    comment = request.POST.get("comment", "")
    return _action(
        request,
        request_id,
        lambda: services.rating_submit(actor=user, request_id=request_id, score=score, comment=comment),
        _("谢谢您的评价！"),
    )


@login_required
@require_POST
def dispute(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    reason = request.POST.get("reason", "")
    return _action(
        request,
        request_id,
        lambda: services.dispute_open(actor=user, request_id=request_id, reason=reason),
        _("异议已提交，社区工作人员会尽快联系您。"),
    )


@login_required
@require_POST
def block(request: HttpRequest, request_id: int) -> HttpResponse:
    user: Any = request.user
    req = selectors.request_get(user, request_id)

    def run() -> Any:
        if perms.is_assignee(user, req):
            return services.block_create(
                actor=user, blocker=user, blocked=req.elder.user, reason=request.POST.get("reason", "")
            )
        if req.assignee is None:
            raise NotFound()
        return services.block_create(
            actor=user,
            blocker=req.elder.user,
            blocked=req.assignee.user,
            reason=request.POST.get("reason", ""),
        )

    return _action(request, request_id, run, _("已屏蔽，以后不会再为你们互相派单。"))


@login_required
@require_POST
def contact(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        data = services.contact_reveal(actor=request.user, request_id=request_id)
    except DomainError as exc:
        return render(
            request,
            "aid/partials/contact.html",
            {"error": exc.message, "request_id": request_id},
            status=exc.status if not _hx(request) else 200,
        )
    return render(request, "aid/partials/contact.html", {"contact": data, "request_id": request_id})


@login_required
def photo(request: HttpRequest, request_id: int) -> HttpResponseBase:
    user: Any = request.user
    req = selectors.request_get(user, request_id)
    record = getattr(req, "record", None)
    if (
        record is None
        or not record.photo
        or not (perms.side_of(user, req) or perms.is_worker_for(user, req.elder))
    ):
        raise Http404()
    response = FileResponse(record.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- the check-in code --------------------------------------------------------------------------------------


def _code_context(request: HttpRequest, elder: ElderProfile) -> dict[str, Any]:
    current = checkin.current(elder)
    url = request.build_absolute_uri(reverse("aid:scan") + f"?t={current.token}")
    return {
        "elder": elder,
        "code": current.code,
        "code_spaced": f"{current.code[:3]} {current.code[3:]}",
        "svg": checkin.qr_svg(url, label=_("签到二维码")),
        "valid_until": current.valid_until,
        "url": reverse("aid:elder_code", kwargs={"elder_id": elder.pk}),
    }


@login_required
def my_code(request: HttpRequest) -> HttpResponse:
    elder = people_selectors.elder_for_user(request.user)
    if elder is None:
        raise NotFound()
    return redirect("aid:elder_code", elder_id=elder.pk)


@login_required
def elder_code(request: HttpRequest, elder_id: int) -> HttpResponse:
    user: Any = request.user
    elder = people_selectors.elder_get(user, elder_id)
    if not perms.acts_for_elder(user, elder):
        raise Forbidden()
    if request.method == "POST":
        services.checkin_code_rotate(actor=user, elder=elder)
        messages.success(request, _("旧的签到码已全部作废。"))
        return redirect("aid:elder_code", elder_id=elder.pk)
    context = {"code": _code_context(request, elder)}
    if _hx(request):
        return render(request, "aid/code.html#code", context)
    return render(request, "aid/code.html", context)


@login_required
def scan(request: HttpRequest) -> HttpResponse:
    """Where the elder's QR code leads: the volunteer confirms the check-in with one tap."""
    user: Any = request.user
    token = request.GET.get("t", "") or request.POST.get("token", "")
    elder_id = checkin.token_elder_id(token)
    volunteer = perms.volunteer_of(user)
    task = None
    if volunteer is not None and elder_id is not None:
        task = (
            HelpRequest.objects.filter(assignee=volunteer, elder_id=elder_id, status=RequestStatus.ACCEPTED)
            .select_related("elder", "community")
            .order_by("start_at", "accepted_at")
            .first()
        )
    if request.method == "POST" and task is not None:
        return _action(
            request,
            task.pk,
            lambda: services.help_request_check_in(
                actor=user, request_id=task.pk, method=CheckinMethod.QR, token=token
            ),
            _("签到成功，服务开始计时。"),
        )
    return render(request, "aid/scan.html", {"task": task, "token": token, "volunteer": volunteer})


# --- volunteers: tasks and offers ---------------------------------------------------------------------------


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    data = selectors.tasks_for(request.user)
    return render(request, "aid/tasks.html", data)


@login_required
def offers(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if perms.volunteer_of(user) is None:
        return redirect("aid:offers_browse")
    now = clock.local(clock.now()).replace(second=0, microsecond=0)
    form = OfferForm(
        request.POST or None,
        initial={"available_from": now, "available_to": now + dt.timedelta(days=7), "radius_km": 2.0},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("服务意向已发布，附近有需要的长者会看到。"))
            return redirect("aid:offers")
    mine_qs = selectors.offers_for(user, mine=True)
    return render(request, "aid/offers.html", {"form": form, "offers": mine_qs[:50]})


@login_required
@require_POST
def offer_action(request: HttpRequest, offer_id: int, action: str) -> HttpResponse:
    user = request.user
    try:
        if action == "withdraw":
            services.offer_withdraw(actor=user, offer_id=offer_id)
            messages.success(request, _("服务意向已撤回。"))
        elif action == "extend":
            services.offer_extend(actor=user, offer_id=offer_id, days=7)
            messages.success(request, _("已延长7天。"))
        else:
            raise NotFound()
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("aid:offers")


@login_required
def offers_browse(request: HttpRequest) -> HttpResponse:
    """Elders, family and workers see what volunteers offer and ask one of them to take a request."""
    user: Any = request.user
    category = request.GET.get("category", "")
    category = category if category in Category.values else ""
    rows = selectors.offers_for(user, category=category)[:50]
    elders = selectors.elders_actor_can_post_for(user)
    open_requests = list(
        HelpRequest.objects.filter(elder__in=elders[:200], status__in=TAKEABLE).select_related("elder")[:50]
    )
    if request.method == "POST":
        offer_id = request.POST.get("offer", "")
        request_id = request.POST.get("request", "")
        if not (offer_id.isdigit() and request_id.isdigit()):
            messages.error(request, _("请选择一条求助。"))
        else:
            try:
                services.offer_invite(actor=user, offer_id=int(offer_id), request_id=int(request_id))
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("已邀请这位志愿者，TA接单后会通知您。"))
                return redirect("aid:detail", request_id=int(request_id))
    return render(
        request,
        "aid/offers_browse.html",
        {
            "offers": rows,
            "open_requests": open_requests,
            "categories": Category.choices,
            "category": category,
        },
    )


# --- the elder's matching preferences and blocks ------------------------------------------------------------


@login_required
def preferences(request: HttpRequest, elder_id: int) -> HttpResponse:
    user: Any = request.user
    elder = people_selectors.elder_get(user, elder_id)
    if not perms.acts_for_elder(user, elder):
        raise Forbidden()
    pref = selectors.preference_for(elder)
    form = PreferenceForm(
        request.POST or None,
        initial={
            "volunteer_gender": pref.volunteer_gender if pref else "",
            "note": pref.note if pref else "",
        },
    )
    if request.method == "POST":
        if request.POST.get("remove_block", "").isdigit():
            services.block_remove(actor=user, block_id=int(request.POST["remove_block"]))
            messages.success(request, _("已取消屏蔽。"))
            return redirect("aid:preferences", elder_id=elder.pk)
        if form.is_valid():
            services.preference_set(
                actor=user,
                elder=elder,
                volunteer_gender=form.cleaned_data["volunteer_gender"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("已保存。以后的求助会按这个要求派单。"))
            return redirect("aid:preferences", elder_id=elder.pk)
    return render(
        request,
        "aid/preferences.html",
        {"elder": elder, "form": form, "blocks": selectors.blocks_for(user, elder.user)},
    )


# --- the worker's dispatch console --------------------------------------------------------------------------


def _worker(request: HttpRequest) -> Any:
    user: Any = request.user
    if not perms.is_worker(user):
        raise Forbidden(_("派单台只对社区工作人员开放。"))
    return user


@login_required
def console(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    queue = selectors.console_queue(user)
    disputes = selectors.disputes_for(user)
    return render(
        request,
        "aid/console.html",
        {"queue": queue, "disputes": disputes[:50], "dispute_count": disputes.count()},
    )


@login_required
def console_request(request: HttpRequest, request_id: int) -> HttpResponse:
    user = _worker(request)
    req = selectors.request_get(user, request_id)
    if not perms.is_worker_for(user, req.elder):
        raise NotFound()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "assign":
                form = AssignForm(request.POST)
                if not form.is_valid():
                    raise NotFound()
                services.help_request_assign(
                    actor=user,
                    request_id=req.pk,
                    volunteer_id=form.cleaned_data["volunteer_id"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("已派单，志愿者会收到通知。"))
                return redirect("aid:detail", request_id=req.pk)
            if action == "dispatch":
                invited = services.dispatch_now(actor=user, request_id=req.pk)
                messages.success(request, _("已通知 %(n)s 位志愿者。") % {"n": len(invited)})
                return redirect("aid:console_request", request_id=req.pk)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("aid:console_request", request_id=req.pk)
    rows, summary = selectors.candidates(user, req, top=10)
    lookup = request.GET.get("q", "").strip()[:40]
    explained: list[dict[str, Any]] = []
    if lookup:
        for volunteer in selectors.volunteer_search(user, lookup)[:5]:
            info = selectors.explain_volunteer(user, req, volunteer)
            explained.append({"volunteer": volunteer, **info})
    invitations = req.invitations.select_related("volunteer").order_by("round", "rank")
    excluded_labels = {
        "gender": _("性别不符长者偏好"),
        "certification": _("缺少所需资质或保险"),
        "excluded": _("已屏蔽或已邀请过"),
        "load": _("手上任务已满"),
        "no_location": _("长者没有位置信息"),
    }
    return render(
        request,
        "aid/console_request.html",
        {
            "req": req,
            "rows": rows,
            "summary": summary,
            "excluded": [(excluded_labels.get(k, k), v) for k, v in summary.get("excluded", {}).items()],
            "factor_labels": _factor_labels(),
            "lookup": lookup,
            "explained": explained,
            "invitations": invitations,
            "takeable": req.status in TAKEABLE,
        },
    )


def _factor_labels() -> list[tuple[str, str]]:
    return [
        ("distance", _("距离")),
        ("skill", _("技能")),
        ("availability", _("时间")),
        ("rating", _("评价")),
        ("load", _("负荷")),
        ("language", _("语言")),
        ("familiar", _("熟人")),
    ]


@login_required
def console_disputes(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    status = request.GET.get("status", DisputeStatus.OPEN)
    status = status if status in ("open", "resolved") else "open"
    page = Paginator(selectors.disputes_for(user, status=status), 20).get_page(request.GET.get("page"))
    return render(request, "aid/disputes.html", {"page": page, "status": status})


@login_required
def console_dispute(request: HttpRequest, dispute_id: int) -> HttpResponse:
    user = _worker(request)
    item = selectors.dispute_get(user, dispute_id)
    form = ResolveForm(request.POST or None, initial={"minutes": item.request.proposed_minutes})
    if request.method == "POST" and form.is_valid():
        try:
            services.dispute_resolve(
                actor=user,
                dispute_id=item.pk,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                minutes=form.cleaned_data.get("minutes"),
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("争议已处理，双方会收到通知。"))
            return redirect("aid:console_disputes")
    return render(
        request,
        "aid/dispute.html",
        {"dispute": item, "req": item.request, "form": form, "record": getattr(item.request, "record", None)},
    )


# --- district rules -----------------------------------------------------------------------------------------


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    district = user.district
    if district is None:
        raise Forbidden(_("您的账户没有所属区。"))
    can_edit = user.is_superuser or user.role in (Role.DISTRICT_STAFF, Role.ADMIN)
    data = selectors.rules_for(district.pk)
    policy = data["policy"]
    form = PolicyForm(
        request.POST if request.method == "POST" and "policy" in request.POST else None,
        initial=selectors.policy_row(policy),
    )
    if request.method == "POST" and "policy" in request.POST and form.is_valid():
        try:
            services.policy_update(actor=user, district=district, changes=form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("派单规则已保存。"))
            return redirect("aid:rules")
    if request.method == "POST" and request.POST.get("requirement") in Category.values:
        req_form = RequirementForm(request.POST, prefix=request.POST["requirement"])
        if req_form.is_valid():
            try:
                services.requirement_set(
                    actor=user,
                    district=district,
                    category=req_form.cleaned_data["category"],
                    certifications=req_form.cleaned_data["certifications"],
                )
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("资质要求已保存。"))
        else:
            messages.error(request, _("请检查所选资质。"))
        return redirect("aid:rules")
    requirement_forms = [
        (
            value,
            label,
            RequirementForm(
                initial={
                    "category": value,
                    "certifications": data["requirements"][value].certifications
                    if value in data["requirements"]
                    else [],
                },
                prefix=value,
            ),
        )
        for value, label in Category.choices
    ]
    return render(
        request,
        "aid/rules.html",
        {"form": form, "can_edit": can_edit, "requirement_forms": requirement_forms, "policy": policy},
    )
