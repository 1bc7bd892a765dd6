"""Interest group pages: browse and join (elders), members and announcements, staff create."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shiguang.community import selectors, services
from shiguang.community.forms import AnnouncementForm, GroupForm
from shiguang.community.selectors import activities as activity_selectors
from shiguang.community.services._common import is_worker
from shiguang.community.services.groups import may_announce
from shiguang.community.views._helpers import staff
from shiguang.core.errors import DomainError, NotFound
from shiguang.core.forms import apply_errors
from shiguang.core.scoping import in_scope
from shiguang.places import selectors as place_selectors


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if is_worker(user):
        rows = list(selectors.groups_for_staff(user).order_by("community_id", "name"))
    else:
        rows = list(selectors.groups_for_user(user))
    mine = set(activity_selectors.groups_of(user).values_list("id", flat=True))
    return render(
        request, "community/groups.html", {"groups": rows, "mine": mine, "is_staff": is_worker(user)}
    )


@login_required
def group_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = GroupForm(
        request.POST or None,
        querysets={
            "community": place_selectors.communities_in_scope(user),
            "facility": selectors.facilities_for(user),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已创建兴趣小组：%(name)s。") % {"name": group.name})
            return redirect("community:group_detail", group_id=group.id)
    return render(
        request,
        "community/form.html",
        {"form": form, "title": _("新建兴趣小组"), "back": reverse("community:groups")},
    )


@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    user: Any = request.user
    group = activity_selectors.group_get(group_id)
    if group is None:
        raise NotFound(_("找不到该兴趣小组。"))
    staff_here = is_worker(user) and in_scope(group.community, user)
    context = {
        "group": group,
        "is_member": activity_selectors.is_member(user, group),
        "members": list(activity_selectors.members(user, group)) if staff_here else [],
        "member_count": group.memberships.filter(left_at__isnull=True).count(),
        "announcements": list(activity_selectors.announcements(user, group)[:20]),
        "can_announce": may_announce(user, group),
        "form": AnnouncementForm(),
        "staff_here": staff_here,
    }
    return render(request, "community/group_detail.html", context)


@login_required
@require_POST
def group_join(request: HttpRequest, group_id: int) -> HttpResponse:
    membership = services.group_join(actor=request.user, group_id=group_id)
    messages.success(
        request, _("已加入“%(name)s”，小组公告会发到“我的消息”。") % {"name": membership.group.name}
    )
    return redirect("community:group_detail", group_id=group_id)


@login_required
@require_POST
def group_leave(request: HttpRequest, group_id: int) -> HttpResponse:
    membership = services.group_leave(actor=request.user, group_id=group_id)
    messages.success(request, _("已退出“%(name)s”。") % {"name": membership.group.name})
    return redirect("community:group_detail", group_id=group_id)


@login_required
@require_POST
def group_announce(request: HttpRequest, group_id: int) -> HttpResponse:
    form = AnnouncementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写公告标题和内容。"))
        return redirect("community:group_detail", group_id=group_id)
    services.announcement_post(actor=request.user, group_id=group_id, **form.cleaned_data)
    messages.success(request, _("公告已发布，并已通知全体组员。"))
    return redirect("community:group_detail", group_id=group_id)
