"""Activity pages: the elder's one-tap list of what is on near them this week, sign-up, QR check-in; the
staff pages to publish activities, run the roster and the door, and export attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.community import exports, qr, selectors, services
from shiguang.community.choices import ActivityStatus, SignupStatus
from shiguang.community.forms import ActivityForm, CapacityForm, ReasonForm, SeriesForm
from shiguang.community.models import Activity, Signup
from shiguang.community.selectors import activities as activity_selectors
from shiguang.community.services._common import facility_in_scope, is_worker
from shiguang.community.services.activities import checkin_window
from shiguang.community.views._helpers import elder_for_request, is_htmx, parse_date, staff
from shiguang.core import clock
from shiguang.core.errors import DomainError, NotFound
from shiguang.core.forms import apply_errors
from shiguang.people import selectors as people

# --- elders (and family members acting for them) ------------------------------------------------------------


@login_required
def activities(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if is_worker(user):
        return redirect("community:manage")
    elder, elders = elder_for_request(request)
    keyword = request.GET.get("q", "").strip()[:20]
    found = list(selectors.activities_for_elder(elder, keyword=keyword, days=7)[:60])
    context = {
        "elder": elder,
        "elders": elders,
        "acting_for": elder.user_id != user.pk,
        "cards": selectors.cards(found, elder),
        "mine": list(selectors.my_signups(elder)),
        "keyword": keyword,
        "groups": list(selectors.groups_for_user(elder.user)[:6]),
    }
    return render(request, "community/activities.html", context)


def _card_response(
    request: HttpRequest, activity_id: int, elder: Any, *, message: str = "", error: str = ""
) -> HttpResponse:
    card = selectors.card_for(activity_id, elder)
    if card is None:
        raise NotFound(_("找不到该活动。"))
    return render(
        request,
        "community/activities.html#card",
        {
            "card": card,
            "elder": elder,
            "message": message,
            "error": error,
            "acting_for": elder.user_id != request.user.pk,
        },
    )


@login_required
@require_POST
def signup(request: HttpRequest, activity_id: int) -> HttpResponse:
    elder, _elders = elder_for_request(request, request.POST)
    try:
        result = services.activity_signup(actor=request.user, activity_id=activity_id, elder=elder)
    except DomainError as exc:
        if is_htmx(request):
            return _card_response(request, activity_id, elder, error=str(exc.message))
        raise
    message = selectors.signup_message(result)
    if is_htmx(request):
        return _card_response(request, activity_id, elder, message=message)
    messages.success(request, message) if result.status == SignupStatus.CONFIRMED else messages.warning(
        request, message
    )
    return redirect(f"{reverse('community:activities')}?elder={elder.id}")


@login_required
@require_POST
def signup_cancel(request: HttpRequest, signup_id: int) -> HttpResponse:
    result = services.signup_cancel(
        actor=request.user, signup_id=signup_id, reason=request.POST.get("reason", "")[:200]
    )
    messages.success(
        request, _("已取消报名：%(title)s。名额已让给候补的长者。") % {"title": result.activity.title}
    )
    back = request.POST.get("next", "")
    if back.startswith("/community/"):
        return redirect(back)
    return redirect(f"{reverse('community:activities')}?elder={result.elder_id}")


@login_required
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """The page the door QR code opens. Elders tap one big button; the window is checked by the service."""
    activity = Activity.objects.select_related("facility").filter(checkin_code=code[:24]).first()
    if activity is None:
        raise NotFound(_("签到码无效，请扫描活动现场张贴的二维码。"))
    done = None
    if request.method == "POST":
        done = services.activity_checkin(actor=request.user, code=code)
        messages.success(
            request,
            _("签到成功！欢迎参加“%(title)s”。") % {"title": activity.title},
        )
        return redirect("community:checkin", code=code)
    opens, closes = checkin_window(activity)
    user: Any = request.user
    elder = people.elder_for_user(user)
    mine = None
    if elder is not None:
        mine = activity.signups.filter(elder=elder).exclude(status=SignupStatus.CANCELLED).first()
    return render(
        request,
        "community/checkin.html",
        {
            "activity": activity,
            "opens": opens,
            "closes": closes,
            "open_now": opens <= clock.now() <= closes,
            "mine": mine,
            "done": done,
            "is_elder": elder is not None,
        },
    )


# --- staff --------------------------------------------------------------------------------------------------


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    today = clock.today()
    start = parse_date(request.GET.get("start")) or today
    end = parse_date(request.GET.get("end")) or start + dt.timedelta(days=13)
    if end < start:
        end = start
    rows = list(selectors.activities_for_staff(user, start=start, end=end))
    if request.GET.get("format") == "xlsx":
        return exports.activities_attendance(rows)
    context = {
        "rows": rows,
        "start": start,
        "end": end,
        "series": list(activity_selectors.series_for_staff(user)),
        "summary": activity_selectors.attendance_summary(
            user, start=today - dt.timedelta(days=30), end=today
        ),
    }
    return render(request, "community/manage.html", context)


def _facility_qs(user: Any) -> Any:
    return selectors.facilities_for(user)


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = ActivityForm(request.POST or None, querysets={"facility": _facility_qs(user)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_create(actor=user, **data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已发布活动：%(title)s。") % {"title": activity.title})
            return redirect("community:activity_detail", activity_id=activity.id)
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("发布活动"), "back": reverse("community:manage")},
    )


@login_required
def series_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = SeriesForm(
        request.POST or None, querysets={"facility": _facility_qs(user)}, initial={"starts_on": clock.today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            n = series.occurrences.count()
            messages.success(
                request, _("已发布每周活动“%(title)s”，已生成未来%(n)s次。") % {"title": series.title, "n": n}
            )
            return redirect("community:manage")
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("发布每周活动"), "back": reverse("community:manage")},
    )


@login_required
@require_POST
def series_end(request: HttpRequest, series_id: int) -> HttpResponse:
    user = staff(request)
    series = services.series_end(actor=user, series_id=series_id, reason=request.POST.get("reason", "")[:200])
    messages.success(
        request, _("已停止每周活动“%(title)s”，之后的场次已取消并通知报名的长者。") % {"title": series.title}
    )
    return redirect("community:manage")


def _detail_context(user: Any, activity: Any) -> dict[str, Any]:
    signups = list(selectors.roster(user, activity))
    opens, closes = checkin_window(activity)
    return {
        "activity": activity,
        "confirmed": [s for s in signups if s.status == SignupStatus.CONFIRMED],
        "waitlisted": [s for s in signups if s.status == SignupStatus.WAITLISTED],
        "cancelled": [s for s in signups if s.status == SignupStatus.CANCELLED],
        "attended": sum(1 for s in signups if s.checked_in_at),
        "capacity_form": CapacityForm(initial={"capacity": activity.capacity}),
        "cancel_form": ReasonForm(),
        "opens": opens,
        "closes": closes,
        "can_manage": facility_in_scope(activity.facility, user),
        "can_mark": clock.now() >= opens
        and activity.status == ActivityStatus.SCHEDULED
        and facility_in_scope(activity.facility, user),
    }


@login_required
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = staff(request)
    activity = selectors.activity_for_staff(user, activity_id)
    if request.GET.get("format") == "xlsx":
        return exports.activity_attendance(activity, selectors.roster(user, activity))
    return render(request, "community/activity_detail.html", _detail_context(user, activity))


@login_required
def activity_elder_search(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = staff(request)
    activity = selectors.activity_for_staff(user, activity_id)
    query = request.GET.get("q", "").strip()[:40]
    elders = list(people.elder_list(user, query=query)[:8]) if query else []
    return render(
        request,
        "community/activity_detail.html#elder_results",
        {"activity": activity, "elders": elders, "query": query},
    )


@login_required
@require_POST
def activity_proxy_signup(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = staff(request)
    try:
        elder = people.elder_get(user, request.POST.get("elder_id"))
    except NotFound:
        messages.error(request, _("找不到该长者，或该长者不在您的辖区。"))
        return redirect("community:activity_detail", activity_id=activity_id)
    result = services.activity_signup(actor=user, activity_id=activity_id, elder=elder)
    text = selectors.signup_message(result)
    messages.success(
        request, f"{elder.name}：{text}"
    ) if result.status == SignupStatus.CONFIRMED else messages.warning(request, f"{elder.name}：{text}")
    return redirect("community:activity_detail", activity_id=activity_id)


@login_required
@require_POST
def activity_capacity(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = staff(request)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("名额应为1到500之间的整数。"))
    else:
        services.activity_set_capacity(
            actor=user, activity_id=activity_id, capacity=form.cleaned_data["capacity"]
        )
        messages.success(request, _("名额已更新；如有候补，已按顺序递补。"))
    return redirect("community:activity_detail", activity_id=activity_id)


@login_required
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = staff(request)
    activity = services.activity_cancel(
        actor=user, activity_id=activity_id, reason=request.POST.get("reason", "")[:200]
    )
    messages.success(request, _("活动已取消，已通知所有报名的长者。"))
    return redirect("community:activity_detail", activity_id=activity.id)


@login_required
@require_POST
def attendance_mark(request: HttpRequest, signup_id: int) -> HttpResponse:
    user = staff(request)
    attended = request.POST.get("attended") == "1"
    try:
        signup = services.attendance_mark(actor=user, signup_id=signup_id, attended=attended)
    except DomainError as exc:
        if is_htmx(request):
            found = Signup.objects.filter(pk=signup_id).first()
            if found is None:
                raise
            return render(
                request,
                "community/activity_detail.html#row",
                {"s": found, "can_mark": True, "error": exc.message},
            )
        raise
    if is_htmx(request):
        return render(request, "community/activity_detail.html#row", {"s": signup, "can_mark": True})
    return redirect("community:activity_detail", activity_id=signup.activity_id)


@login_required
def activity_door(request: HttpRequest, activity_id: int) -> HttpResponse:
    """A printable page for the door: the QR code and the check-in times."""
    user = staff(request)
    activity = selectors.activity_for_staff(user, activity_id)
    url = request.build_absolute_uri(reverse("community:checkin", args=[activity.checkin_code]))
    opens, closes = checkin_window(activity)
    return render(
        request,
        "community/door.html",
        {
            "activity": activity,
            "url": url,
            "svg": qr.svg(url, title=activity.title),
            "opens": opens,
            "closes": closes,
        },
    )
