"""Pages for emergency call. Thin: every write goes through services, every read through selectors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.accounts.choices import Role
from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden, ValidationFailed
from shiguang.core.forms import apply_errors
from shiguang.core.scoping import get_scoped
from shiguang.people import selectors as people_selectors
from shiguang.places import selectors as place_selectors
from shiguang.places.models import Community
from shiguang.sos import escalation, selectors, services
from shiguang.sos.choices import AlarmSource, CheckinSource, DutyRole, ReviewStatus
from shiguang.sos.forms import (
    SERVICE_CHOICES,
    DeviceForm,
    NoteForm,
    PlanForm,
    PolicyForm,
    RaiseForm,
    ResolveForm,
    RevealForm,
    ReviewCloseForm,
    ShiftForm,
    StaffPlanForm,
)


def _staff(request: HttpRequest) -> Any:
    user: Any = request.user
    if not services.is_responder_staff(user):
        raise Forbidden()
    return user


def _own_elder(request: HttpRequest) -> Any:
    elder = people_selectors.elder_for_user(request.user)
    if elder is None:
        raise Forbidden(_("此页面供长者本人使用。"))
    return elder


def _elder_choices(user: Any) -> list[tuple[int, str]]:
    return [(e.id, f"{e.name} · {e.community.name}") for e in people_selectors.elder_list(user)[:500]]


# --- the elder's pages -------------------------------------------------------------------------------------


@login_required
def elder(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role != Role.ELDER:
        return redirect("sos:console")
    profile = _own_elder(request)
    context = {
        "elder": profile,
        "live": selectors.own_live_alarm(profile),
        "key": uuid.uuid4().hex,
        "countdown": 5,
    }
    return render(request, "sos/elder.html", context)


@login_required
@require_POST
def press(request: HttpRequest) -> HttpResponse:
    """The red button. Without JavaScript the first press asks to confirm; the countdown script confirms."""
    profile = _own_elder(request)
    key = request.POST.get("key", "")[:100] or None
    if request.POST.get("confirmed") != "1":
        return render(request, "sos/confirm.html", {"key": key or uuid.uuid4().hex})
    alarm = services.alarm_trigger(
        actor=request.user, elder=profile, source=AlarmSource.BUTTON, idempotency_key=key
    )
    return redirect("sos:status", alarm_id=alarm.id)


@login_required
def status(request: HttpRequest, alarm_id: int) -> HttpResponse:
    alarm = selectors.alarm_get(request.user, alarm_id)
    return render(request, "sos/status.html", {"alarm": alarm, "status_text": selectors.status_text(alarm)})


@login_required
@require_POST
def elder_ok(request: HttpRequest, alarm_id: int) -> HttpResponse:
    services.alarm_elder_ok(actor=request.user, alarm_id=alarm_id)
    messages.success(request, _("已告诉响应人员您没事，他们仍会联系您确认。"))
    return redirect("sos:status", alarm_id=alarm_id)


@login_required
def service(request: HttpRequest) -> HttpResponse:
    profile = _own_elder(request)
    if request.method == "POST":
        category = request.POST.get("category", "other")
        try:
            services.service_request(actor=request.user, elder=profile, category=category)
        except services.ServiceUnavailable as exc:
            return render(
                request, "sos/service.html", {"choices": SERVICE_CHOICES, "unavailable": exc.message}
            )
        messages.success(request, _("已为您发布今天的求助，志愿者或社工会尽快联系您。"))
        return redirect("home")
    return render(request, "sos/service.html", {"choices": SERVICE_CHOICES})


@login_required
def checkin(request: HttpRequest) -> HttpResponse:
    profile = _own_elder(request)
    form = PlanForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "checkin":
            services.checkin_record(actor=request.user, elder=profile, source=CheckinSource.BUTTON)
            messages.success(request, _("已报平安，谢谢您！"))
            return redirect("sos:checkin")
        if action == "withdraw":
            services.checkin_withdraw(actor=request.user, elder=profile)
            messages.success(request, _("已停止每日报平安。"))
            return redirect("sos:checkin")
        if form.is_valid():
            try:
                services.checkin_enroll(
                    actor=request.user, elder=profile, deadline=form.cleaned_data["deadline"]
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已开启每日报平安。"))
                return redirect("sos:checkin")
    state = selectors.checkin_state(profile)
    if state["plan"] is not None and request.method != "POST":
        form = PlanForm(initial={"deadline": state["plan"].deadline})
    return render(request, "sos/checkin.html", {"state": state, "form": form})


# --- responders --------------------------------------------------------------------------------------------


@login_required
def console(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.role == Role.ELDER:
        return redirect("sos:elder")
    alarms = selectors.live_alarms(user)
    context = {
        "alarms": alarms,
        "is_staff": services.is_responder_staff(user),
        "workers_alive": escalation.live_workers() if services.is_responder_staff(user) else None,
        "resolve_form": ResolveForm(),
    }
    return render(request, "sos/console.html", context)


@login_required
def console_card(request: HttpRequest, alarm_id: int) -> HttpResponse:
    alarm = selectors.alarm_get(request.user, alarm_id)
    return render(request, "sos/console.html#card", {"a": alarm, "resolve_form": ResolveForm()})


@login_required
def alarm_detail(request: HttpRequest, alarm_id: int) -> HttpResponse:
    user: Any = request.user
    alarm = selectors.alarm_get(user, alarm_id)
    if user.pk == alarm.elder.user_id:
        return redirect("sos:status", alarm_id=alarm.id)
    card = selectors.alarm_card(user, alarm)
    context = {
        **card,
        "resolve_form": ResolveForm(),
        "note_form": NoteForm(),
        "reveal_form": RevealForm(),
    }
    return render(request, "sos/alarm.html", context)


ACTIONS = {"ack", "en_route", "on_scene", "resolve", "note"}


@login_required
@require_POST
def act(request: HttpRequest, alarm_id: int) -> HttpResponse:
    """One handler for the buttons on a card. htmx gets the card back (with any error in it)."""
    user: Any = request.user
    action = request.POST.get("action", "")
    error = ""
    try:
        if action not in ACTIONS:
            raise ValidationFailed(_("未知操作。"))
        if action == "ack":
            services.alarm_acknowledge(actor=user, alarm_id=alarm_id, note=request.POST.get("note", "")[:200])
        elif action == "en_route":
            services.alarm_en_route(actor=user, alarm_id=alarm_id)
        elif action == "on_scene":
            services.alarm_on_scene(actor=user, alarm_id=alarm_id)
        elif action == "note":
            services.alarm_note(actor=user, alarm_id=alarm_id, text=request.POST.get("text", ""))
        else:
            form = ResolveForm(request.POST)
            if not form.is_valid():
                raise ValidationFailed(_("请选择处理结果。"))
            services.alarm_resolve(actor=user, alarm_id=alarm_id, **form.cleaned_data)
    except DomainError as exc:
        if exc.status == 404:
            raise
        error = str(exc.message)
        if exc.fields:
            error += " " + "；".join(" ".join(v) for v in exc.fields.values())
    if request.htmx:  # type: ignore[attr-defined]
        alarm = selectors.alarm_get(user, alarm_id)
        return render(
            request, "sos/console.html#card", {"a": alarm, "error": error, "resolve_form": ResolveForm()}
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已记录。"))
    target = request.POST.get("next", "")
    return redirect("sos:console") if target == "console" else redirect("sos:alarm", alarm_id=alarm_id)


@login_required
@require_POST
def reveal(request: HttpRequest, alarm_id: int) -> HttpResponse:
    user: Any = request.user
    form = RevealForm(request.POST)
    context: dict[str, Any] = {
        "alarm": selectors.alarm_get(user, alarm_id),
        "reveal_form": form,
        "can_reveal": True,
    }
    if form.is_valid():
        try:
            context["revealed"] = services.alarm_reveal(actor=user, alarm_id=alarm_id, **form.cleaned_data)
        except DomainError as exc:
            context["reveal_error"] = exc.message
    return render(request, "sos/alarm.html#reveal", context)


@login_required
def alarm_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        days = min(366, max(1, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    drill_param = request.GET.get("drill", "")
    drill = {"1": True, "0": False}.get(drill_param)
    rows = selectors.alarm_list(user, days=days, drill=drill)[:300]
    return render(request, "sos/alarm_list.html", {"alarms": rows, "days": days, "drill": drill_param})


@login_required
def raise_for_elder(request: HttpRequest) -> HttpResponse:
    """A worker raises an alarm for an elder who phoned (or for a drill)."""
    user = _staff(request)
    form = RaiseForm(request.POST or None, elders=_elder_choices(user))
    if request.method == "POST" and form.is_valid():
        target = people_selectors.elder_get(user, form.cleaned_data["elder"])
        try:
            alarm = services.alarm_trigger(
                actor=user,
                elder=target,
                source=AlarmSource.WORKER,
                drill=form.cleaned_data["drill"],
                note=form.cleaned_data["note"],
                idempotency_key=request.POST.get("key") or None,
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已为%(name)s发起呼救。") % {"name": target.name})
            return redirect("sos:alarm", alarm_id=alarm.id)
    return render(request, "sos/raise.html", {"form": form, "key": uuid.uuid4().hex})


# --- staff -------------------------------------------------------------------------------------------------


@login_required
def kpi(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    try:
        days = min(366, max(1, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    level = request.GET.get("level", "community")
    real = selectors.kpis(user, days=days, level=level)
    drills = selectors.kpis(user, days=days, level=level, drill=True)
    return render(
        request, "sos/kpi.html", {"real": real, "drills": drills, "days": days, "level": real["level"]}
    )


def _roster_people(user: Any) -> list[tuple[int, str]]:
    from shiguang.accounts.models import User
    from shiguang.core.scoping import scoped

    people = scoped(
        User.objects.filter(
            is_active=True, role__in=[Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.VOLUNTEER]
        ).select_related("community"),
        user,
    ).order_by("role", "display_name")[:500]
    volunteers = people_selectors.volunteer_list(user).select_related("user")[:500]
    rows = [(p.pk, f"{p} · {p.get_role_display()}") for p in people]
    seen = {pk for pk, _n in rows}
    rows += [(v.user_id, f"{v.name} · {_('志愿者')}") for v in volunteers if v.user_id not in seen]
    return rows


@login_required
def rosters(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    staff = services.is_responder_staff(user)
    if not staff and user.role != Role.VOLUNTEER:
        raise Forbidden()
    communities = list(place_selectors.communities_in_scope(user))
    if user.role == Role.VOLUNTEER:
        profile = getattr(user, "volunteer_profile", None)
        communities = [profile.community] if profile is not None else []
        people: list[tuple[int, str]] = [(user.pk, str(user))]
    else:
        people = _roster_people(user)
    form = ShiftForm(
        request.POST or None,
        people=people,
        communities=[(c.id, f"{c.street.name} · {c.name}") for c in communities],
        initial={
            "starts_at": clock.local(clock.now()).replace(second=0, microsecond=0),
            "ends_at": clock.local(clock.now() + dt.timedelta(hours=8)).replace(second=0, microsecond=0),
            "role": DutyRole.VOLUNTEER if user.role == Role.VOLUNTEER else DutyRole.WORKER,
        },
    )
    if request.method == "POST" and form.is_valid():
        from shiguang.accounts.models import User

        data = form.cleaned_data
        person = User.objects.get(pk=data["person"])
        community = next((c for c in communities if str(c.id) == data["community"]), None)
        street = community.street if community is not None else getattr(user, "street", None)
        try:
            services.shift_create(
                actor=user,
                person=person,
                role=data["role"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                community=community,
                street=street,
                note=data["note"],
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已排班。"))
            return redirect("sos:rosters")
    now = clock.now()
    shifts = [{"s": s, "now": s.starts_at <= now < s.ends_at} for s in selectors.shifts(user, days_ahead=7)]
    return render(request, "sos/rosters.html", {"form": form, "shifts": shifts, "is_staff": staff})


@login_required
@require_POST
def shift_end(request: HttpRequest, shift_id: int) -> HttpResponse:
    services.shift_end(actor=request.user, shift_id=shift_id)
    messages.success(request, _("已结束该排班。"))
    return redirect("sos:rosters")


@login_required
def devices(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = DeviceForm(request.POST or None, elders=_elder_choices(user))
    if request.method == "POST" and form.is_valid():
        target = people_selectors.elder_get(user, form.cleaned_data["elder"])
        try:
            device, secret = services.device_register(
                actor=user, elder=target, kind=form.cleaned_data["kind"], label=form.cleaned_data["label"]
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            return render(request, "sos/device_secret.html", {"device": device, "secret": secret})
    return render(request, "sos/devices.html", {"form": form, "devices": selectors.devices(user)[:500]})


@login_required
@require_POST
def device_action(request: HttpRequest, device_id: int) -> HttpResponse:
    user = _staff(request)
    if request.POST.get("action") == "rotate":
        device, secret = services.device_rotate_secret(actor=user, device_id=device_id)
        return render(
            request, "sos/device_secret.html", {"device": device, "secret": secret, "rotated": True}
        )
    services.device_revoke(actor=user, device_id=device_id)
    messages.success(request, _("设备已停用。"))
    return redirect("sos:devices")


@login_required
def policy(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    communities = list(place_selectors.communities_in_scope(user)[:200])
    if not communities:
        raise Forbidden()
    wanted = request.GET.get("community") or request.POST.get("community") or str(communities[0].id)
    community = get_scoped(Community.objects.select_related("street"), user, pk=wanted)
    current = selectors.policy_for(user, community)
    may_edit = user.is_superuser or user.role in services.POLICY_EDITORS
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_from(current))
    if request.method == "POST":
        if not may_edit:
            raise Forbidden(_("只有街道、区级工作人员可以修改升级策略。"))
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.policy_publish(
                    actor=user,
                    community=community,
                    tiers=form.tiers(),
                    review_after_seconds=data["review_after_seconds"],
                    volunteer_radius_m=data["volunteer_radius_m"],
                    max_volunteers=data["max_volunteers"],
                    reveal_address_to=data["reveal_address_to"],
                    checkin_alarm_after=data["checkin_alarm_after"],
                    checkin_deadline_factor=data["checkin_deadline_factor"],
                    repeat_seconds=data["repeat_seconds"],
                    max_repeats=data["max_repeats"],
                    note=data["note"],
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已发布新版本；新的呼救按新版本升级。"))
                return redirect(f"{request.path}?community={community.id}")
    context = {
        "communities": communities,
        "community": community,
        "current": current,
        "versions": selectors.policy_versions(user, community)[:20],
        "form": form,
        "may_edit": may_edit,
    }
    return render(request, "sos/policy.html", context)


@login_required
def checkin_manage(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = StaffPlanForm(request.POST or None, elders=_elder_choices(user))
    if request.method == "POST":
        action = request.POST.get("action", "enroll")
        if action in ("confirm", "withdraw"):
            target = people_selectors.elder_get(user, request.POST.get("elder_id"))
            if action == "confirm":
                services.checkin_record(actor=user, elder=target, source=CheckinSource.WORKER)
                messages.success(request, _("已确认%(name)s平安。") % {"name": target.name})
            else:
                services.checkin_withdraw(actor=user, elder=target)
                messages.success(request, _("已停止%(name)s的每日报平安。") % {"name": target.name})
            return redirect("sos:checkin_manage")
        if form.is_valid():
            target = people_selectors.elder_get(user, form.cleaned_data["elder"])
            try:
                services.checkin_enroll(actor=user, elder=target, deadline=form.cleaned_data["deadline"])
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已为%(name)s开启每日报平安。") % {"name": target.name})
                return redirect("sos:checkin_manage")
    rows = selectors.checkin_overview(user)
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("checked", "waiting", "missed")}
    return render(request, "sos/checkin_manage.html", {"rows": rows, "form": form, "counts": counts})


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    status_filter = request.GET.get("status", ReviewStatus.OPEN)
    rows = selectors.reviews(user, status=status_filter)[:200]
    return render(
        request,
        "sos/reviews.html",
        {
            "reviews": rows,
            "status": status_filter,
            "form": ReviewCloseForm(),
            "statuses": ReviewStatus.choices,
        },
    )


@login_required
@require_POST
def review_close(request: HttpRequest, review_id: int) -> HttpResponse:
    form = ReviewCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写复盘结论。"))
        return redirect("sos:reviews")
    services.review_close(actor=request.user, review_id=review_id, **form.cleaned_data)
    messages.success(request, _("复盘已结案。"))
    return redirect("sos:reviews")
