"""Interest groups: creation by staff, joining and leaving, announcements that notify every member."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.community.choices import ActivityKind, GroupRole
from shiguang.community.models import GroupAnnouncement, GroupMembership, InterestGroup
from shiguang.community.services._common import (
    is_worker,
    on_behalf,
    require_community_staff,
)
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import in_scope

JOINING_ROLES = {Role.ELDER, Role.VOLUNTEER, Role.FAMILY}


@transaction.atomic
def group_create(
    *,
    actor: Any,
    community: Any,
    name: str,
    kind: str,
    description: str = "",
    facility: Any = None,
    is_demo: bool = False,
) -> InterestGroup:
    require_community_staff(actor, community)
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name.strip()) > 60:
        errors["name"] = [_("请填写小组名称（不超过60个字）。")]
    if kind not in ActivityKind.values:
        errors["kind"] = [_("请选择小组类别。")]
    if facility is not None and facility.street_id != community.street_id:
        errors["facility"] = [_("活动地点应在本街道内。")]
    if not errors and InterestGroup.objects.filter(community=community, name=name.strip()).exists():
        errors["name"] = [_("本社区已有同名小组。")]
    if errors:
        raise ValidationFailed(fields=errors)
    group = InterestGroup.objects.create(
        name=name.strip(),
        kind=kind,
        description=description.strip(),
        community=community,
        facility=facility,
        created_by=actor,
        is_demo=is_demo,
    )
    audit.record("community.group.created", actor=actor, target=group, data={"kind": kind})
    return group


def _group(group_id: Any, *, lock: bool = False) -> InterestGroup:
    qs = InterestGroup.objects.select_related("community")
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        group = qs.filter(pk=int(group_id)).first()
    except (TypeError, ValueError):
        group = None
    if group is None:
        raise NotFound(_("找不到该兴趣小组。"))
    return group


def _may_manage_member(actor: Any, group: InterestGroup, user: Any) -> bool:
    if actor.pk == user.pk:
        return True
    if is_worker(actor) and in_scope(group.community, actor):
        return in_scope(user, actor)
    if actor.role == Role.FAMILY and user.role == Role.ELDER:
        profile = getattr(user, "elder_profile", None)
        return profile is not None and in_scope(profile, actor)
    return False


@transaction.atomic
def group_join(*, actor: Any, group_id: int, user: Any = None) -> GroupMembership:
    """Join a group (yourself, or a worker/family member adds an elder)."""
    user = user or actor
    group = _group(group_id, lock=True)
    if not _may_manage_member(actor, group, user):
        raise Forbidden(_("您只能为自己、家人或本辖区的居民加入小组。"))
    if user.role not in JOINING_ROLES:
        raise ValidationFailed(fields={"user": [_("只有长者、志愿者和家属可以加入兴趣小组。")]})
    if not group.active:
        raise Conflict(_("该小组已停止活动。"))
    if GroupMembership.objects.filter(group=group, user=user, left_at__isnull=True).exists():
        raise Conflict(_("已经是该小组成员，无需重复加入。"))
    membership = GroupMembership.objects.create(group=group, user=user, added_by=actor)
    audit.record(
        "community.group.joined",
        actor=actor,
        on_behalf_of=on_behalf(actor, user),
        target=membership,
        data={"group": group.id},
    )
    return membership


@transaction.atomic
def group_leave(*, actor: Any, group_id: int, user: Any = None) -> GroupMembership:
    user = user or actor
    group = _group(group_id, lock=True)
    if not _may_manage_member(actor, group, user):
        raise Forbidden()
    membership = (
        GroupMembership.objects.select_for_update()
        .filter(group=group, user=user, left_at__isnull=True)
        .first()
    )
    if membership is None:
        raise Conflict(_("不是该小组成员。"))
    membership.left_at = clock.now()
    membership.save(update_fields=["left_at"])
    audit.record(
        "community.group.left",
        actor=actor,
        on_behalf_of=on_behalf(actor, user),
        target=membership,
        data={"group": group.id},
    )
    return membership


@transaction.atomic
def group_set_role(*, actor: Any, group_id: int, user_id: int, role: str) -> GroupMembership:
    group = _group(group_id, lock=True)
    require_community_staff(actor, group.community)
    if role not in GroupRole.values:
        raise ValidationFailed(fields={"role": [_("未知的成员身份。")]})
    membership = (
        GroupMembership.objects.select_for_update()
        .filter(group=group, user_id=user_id, left_at__isnull=True)
        .first()
    )
    if membership is None:
        raise NotFound(_("该用户不是小组成员。"))
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record("community.group.role_set", actor=actor, target=membership, data={"role": role})
    return membership


def may_announce(actor: Any, group: InterestGroup) -> bool:
    if is_worker(actor) and in_scope(group.community, actor):
        return True
    return GroupMembership.objects.filter(
        group=group, user=actor, role=GroupRole.LEADER, left_at__isnull=True
    ).exists()


@transaction.atomic
def announcement_post(*, actor: Any, group_id: int, title: str, body: str) -> GroupAnnouncement:
    """Post an announcement; every current member (except the poster) gets a notification."""
    from django.urls import reverse

    from shiguang.notify.services import enqueue

    group = _group(group_id, lock=True)
    if not may_announce(actor, group):
        raise Forbidden(_("只有组长或本社区工作人员可以发布公告。"))
    errors: dict[str, list[str]] = {}
    if not title.strip() or len(title.strip()) > 80:
        errors["title"] = [_("请填写公告标题（不超过80个字）。")]
    if not body.strip():
        errors["body"] = [_("请填写公告内容。")]
    elif len(body) > 2000:
        errors["body"] = [_("公告内容不超过2000字。")]
    if errors:
        raise ValidationFailed(fields=errors)
    announcement = GroupAnnouncement.objects.create(
        group=group, title=title.strip(), body=body.strip(), posted_by=actor
    )
    members = list(
        GroupMembership.objects.select_related("user")
        .filter(group=group, left_at__isnull=True)
        .exclude(user=actor)
    )
    link = reverse("community:group_detail", args=[group.id])
    for membership in members:
        enqueue(
            recipient=membership.user,
            template="community.group.announcement",
            data={"group": group.name, "title": announcement.title, "body": announcement.body[:200]},
            link=link,
            dedupe_key=f"community:announcement:{announcement.id}:{membership.user_id}",
        )
    audit.record(
        "community.group.announced",
        actor=actor,
        target=announcement,
        data={"group": group.id, "notified": len(members)},
    )
    return announcement
