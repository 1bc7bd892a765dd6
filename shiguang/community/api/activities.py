"""Activities, sign-ups, check-in and interest groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from shiguang.accounts.choices import Role
from shiguang.community import qr, schemas, selectors, services
from shiguang.community.models import Activity, Signup
from shiguang.community.selectors import activities as activity_selectors
from shiguang.community.services._common import is_worker
from shiguang.community.services.activities import checkin_window
from shiguang.core.api import responses, user_of
from shiguang.core.errors import Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import get_scoped
from shiguang.people import selectors as people
from shiguang.places.models import Community, Facility

router = Router(tags=["community · activities"])


def _elder_for(user: Any, elder_id: int | None) -> Any:
    """The signed-in elder, or (family, staff) the elder named by `elder_id` within their scope."""
    if user.role == Role.ELDER:
        elder = people.elder_for_user(user)
        if elder is None or (elder_id is not None and elder_id != elder.id):
            raise Forbidden()
        return elder
    if elder_id is None:
        if user.role == Role.FAMILY:
            linked = list(people.family_elders(user)[:2])
            if len(linked) == 1:
                return linked[0]
        raise ValidationFailed(fields={"elder_id": [_("请指定长者。")]})
    return people.elder_get(user, elder_id)


def _staff(user: Any) -> Any:
    if not is_worker(user):
        raise Forbidden()
    return user


def _facility(user: Any, facility_id: int) -> Facility:
    facility = selectors.facilities_for(user).filter(pk=facility_id).first()
    if facility is None:
        raise ValidationFailed(fields={"facility_id": [_("找不到该服务点，或不在您的辖区。")]})
    return facility


@router.get(
    "/activities", response=responses(list[schemas.ActivityCardOut]), summary="Activities near an elder"
)
def activities_near(
    request: HttpRequest, keyword: str = "", days: int = 7, elder_id: int | None = None
) -> list[dict[str, Any]]:
    elder = _elder_for(user_of(request), elder_id)
    found = list(
        selectors.activities_for_elder(elder, keyword=keyword[:20], days=max(1, min(days, 60)))[:100]
    )
    return [schemas.card_row(c) for c in selectors.cards(found, elder)]


@router.get(
    "/activities/manage", response=responses(list[schemas.ActivityOut]), summary="Activities in my place"
)
def activities_manage(
    request: HttpRequest, start: dt.date | None = None, end: dt.date | None = None, status: str = ""
) -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    return [
        schemas.activity_row(a)
        for a in selectors.activities_for_staff(user, start=start, end=end, status=status)[:500]
    ]


@router.post("/activities", response=responses(schemas.ActivityOut, 201), summary="Publish an activity")
def activity_create(request: HttpRequest, payload: schemas.ActivityIn) -> Any:
    user = _staff(user_of(request))
    data = payload.dict()
    facility = _facility(user, data.pop("facility_id"))
    activity = services.activity_create(actor=user, facility=facility, **data)
    return Status(201, schemas.activity_row(activity, {"confirmed": 0, "waitlisted": 0}))


def _public(activity_id: int) -> Activity:
    activity = selectors.activity_public(activity_id)
    if activity is None:
        raise NotFound()
    return activity


def _counted(activity: Activity) -> dict[str, Any]:
    return schemas.activity_row(activity, activity_selectors.confirmed_counts([activity.id])[activity.id])


@router.get("/activities/{activity_id}", response=responses(schemas.ActivityOut), summary="One activity")
def activity_get(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    return _counted(_public(activity_id))


@router.patch("/activities/{activity_id}", response=responses(schemas.ActivityOut), summary="Change capacity")
def activity_capacity(request: HttpRequest, activity_id: int, payload: schemas.CapacityIn) -> dict[str, Any]:
    user = _staff(user_of(request))
    activity = services.activity_set_capacity(actor=user, activity_id=activity_id, capacity=payload.capacity)
    return _counted(activity)


@router.post(
    "/activities/{activity_id}/cancel", response=responses(schemas.ActivityOut), summary="Cancel an activity"
)
def activity_cancel(
    request: HttpRequest, activity_id: int, payload: schemas.CommunityReasonIn
) -> dict[str, Any]:
    user = _staff(user_of(request))
    return _counted(services.activity_cancel(actor=user, activity_id=activity_id, reason=payload.reason))


@router.get(
    "/activities/{activity_id}/signups", response=responses(list[schemas.SignupOut]), summary="Roster (staff)"
)
def activity_roster(request: HttpRequest, activity_id: int) -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    activity = selectors.activity_for_staff(user, activity_id)
    return [schemas.signup_row(s) for s in selectors.roster(user, activity)]


@router.post(
    "/activities/{activity_id}/signups",
    response=responses(schemas.SignupResultOut, 201),
    summary="Sign up (past capacity: waitlist)",
)
def activity_signup(request: HttpRequest, activity_id: int, payload: schemas.SignupIn) -> Any:
    user = user_of(request)
    elder = _elder_for(user, payload.elder_id)
    signup = services.activity_signup(
        actor=user, activity_id=activity_id, elder=elder, channel=payload.channel
    )
    return Status(201, {"signup": schemas.signup_row(signup), "message": selectors.signup_message(signup)})


@router.get(
    "/activities/{activity_id}/checkin-qr",
    response=responses(schemas.CheckinQrOut),
    summary="Door QR code (staff)",
)
def activity_qr(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    user = _staff(user_of(request))
    activity = selectors.activity_for_staff(user, activity_id)
    url = request.build_absolute_uri(reverse("community:checkin", args=[activity.checkin_code]))
    opens, closes = checkin_window(activity)
    return {
        "code": activity.checkin_code,
        "url": url,
        "svg": str(qr.svg(url, title=activity.title)),
        "opens_at": opens,
        "closes_at": closes,
    }


@router.get("/series", response=responses(list[schemas.SeriesOut]), summary="Weekly activities in my place")
def series_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    return [schemas.series_row(s) for s in activity_selectors.series_for_staff(user)]


@router.post("/series", response=responses(schemas.SeriesOut, 201), summary="Publish a weekly activity")
def series_create(request: HttpRequest, payload: schemas.SeriesIn) -> Any:
    user = _staff(user_of(request))
    data = payload.dict()
    facility = _facility(user, data.pop("facility_id"))
    series = services.series_create(actor=user, facility=facility, **data)
    return Status(201, schemas.series_row(series))


@router.post(
    "/series/{series_id}/end", response=responses(schemas.SeriesOut), summary="Stop a weekly activity"
)
def series_end(
    request: HttpRequest, series_id: int, payload: schemas.CommunityOptionalReasonIn
) -> dict[str, Any]:
    user = _staff(user_of(request))
    return schemas.series_row(services.series_end(actor=user, series_id=series_id, reason=payload.reason))


@router.get("/signups", response=responses(list[schemas.SignupOut]), summary="An elder's upcoming sign-ups")
def signups(request: HttpRequest, elder_id: int | None = None) -> list[dict[str, Any]]:
    user = user_of(request)
    elder = _elder_for(user, elder_id)
    return [schemas.signup_row(s) for s in activity_selectors.signups_for(user, elder)]


def _signup_in_scope(user: Any, signup_id: int) -> Signup:
    return get_scoped(Signup.objects.select_related("activity", "elder"), user, pk=signup_id)


@router.post("/signups/{signup_id}/cancel", response=responses(schemas.SignupOut), summary="Cancel a sign-up")
def signup_cancel(
    request: HttpRequest, signup_id: int, payload: schemas.CommunityOptionalReasonIn
) -> dict[str, Any]:
    user = user_of(request)
    _signup_in_scope(user, signup_id)
    return schemas.signup_row(services.signup_cancel(actor=user, signup_id=signup_id, reason=payload.reason))


@router.post(
    "/signups/{signup_id}/attendance",
    response=responses(schemas.SignupOut),
    summary="Record attendance (staff)",
)
def signup_attendance(request: HttpRequest, signup_id: int, payload: schemas.AttendanceIn) -> dict[str, Any]:
    user = _staff(user_of(request))
    _signup_in_scope(user, signup_id)
    return schemas.signup_row(
        services.attendance_mark(actor=user, signup_id=signup_id, attended=payload.attended)
    )


@router.post("/checkin", response=responses(schemas.SignupOut), summary="QR check-in at the door")
def checkin(request: HttpRequest, payload: schemas.CheckinIn) -> dict[str, Any]:
    user = user_of(request)
    elder = _elder_for(user, payload.elder_id) if payload.elder_id or user.role != Role.ELDER else None
    return schemas.signup_row(services.activity_checkin(actor=user, code=payload.code, elder=elder))


# --- groups -------------------------------------------------------------------------------------------------


def _group_row(g: Any, user: Any) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "kind": g.kind,
        "kind_label": str(g.get_kind_display()),
        "description": g.description,
        "community_id": g.community_id,
        "community": str(g.community),
        "facility_id": g.facility_id,
        "members": getattr(g, "n_members", None) or g.memberships.filter(left_at__isnull=True).count(),
        "is_member": activity_selectors.is_member(user, g),
        "active": g.active,
    }


def _group(group_id: int) -> Any:
    group = activity_selectors.group_get(group_id)
    if group is None:
        raise NotFound()
    return group


@router.get("/groups", response=responses(list[schemas.GroupOut]), summary="Interest groups")
def groups(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    rows = selectors.groups_for_staff(user) if is_worker(user) else selectors.groups_for_user(user)
    return [_group_row(g, user) for g in rows[:200]]


@router.post("/groups", response=responses(schemas.GroupOut, 201), summary="Create an interest group (staff)")
def group_create(request: HttpRequest, payload: schemas.GroupIn) -> Any:
    user = _staff(user_of(request))
    community = Community.objects.filter(pk=payload.community_id).first()
    if community is None:
        raise ValidationFailed(fields={"community_id": [_("找不到该社区。")]})
    facility = _facility(user, payload.facility_id) if payload.facility_id else None
    group = services.group_create(
        actor=user,
        community=community,
        name=payload.name,
        kind=payload.kind,
        description=payload.description,
        facility=facility,
    )
    return Status(201, _group_row(group, user))


@router.get("/groups/{group_id}", response=responses(schemas.GroupOut), summary="One interest group")
def group_get(request: HttpRequest, group_id: int) -> dict[str, Any]:
    return _group_row(_group(group_id), user_of(request))


def _member_user(actor: Any, user_id: int | None) -> Any:
    if user_id is None or user_id == actor.pk:
        return actor
    from shiguang.accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(fields={"user_id": [_("找不到该用户。")]})
    return user


@router.post(
    "/groups/{group_id}/join", response=responses(schemas.MembershipOut, 201), summary="Join a group"
)
def group_join(request: HttpRequest, group_id: int, payload: schemas.MemberIn) -> Any:
    actor = user_of(request)
    membership = services.group_join(
        actor=actor, group_id=group_id, user=_member_user(actor, payload.user_id)
    )
    return Status(201, schemas.membership_row(membership))


@router.post("/groups/{group_id}/leave", response=responses(schemas.MembershipOut), summary="Leave a group")
def group_leave(request: HttpRequest, group_id: int, payload: schemas.MemberIn) -> dict[str, Any]:
    actor = user_of(request)
    membership = services.group_leave(
        actor=actor, group_id=group_id, user=_member_user(actor, payload.user_id)
    )
    return schemas.membership_row(membership)


@router.get(
    "/groups/{group_id}/members", response=responses(list[schemas.MembershipOut]), summary="Members (staff)"
)
def group_members(request: HttpRequest, group_id: int) -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    return [schemas.membership_row(m) for m in activity_selectors.members(user, _group(group_id))]


@router.put(
    "/groups/{group_id}/members/{user_id}/role",
    response=responses(schemas.MembershipOut),
    summary="Make a member group leader (staff)",
)
def group_role(request: HttpRequest, group_id: int, user_id: int, payload: schemas.RoleIn) -> dict[str, Any]:
    user = _staff(user_of(request))
    return schemas.membership_row(
        services.group_set_role(actor=user, group_id=group_id, user_id=user_id, role=payload.role)
    )


@router.get(
    "/groups/{group_id}/announcements",
    response=responses(list[schemas.AnnouncementOut]),
    summary="Announcements (members and staff)",
)
def group_announcements(request: HttpRequest, group_id: int) -> list[dict[str, Any]]:
    user = user_of(request)
    return [
        schemas.announcement_row(a) for a in activity_selectors.announcements(user, _group(group_id))[:100]
    ]


@router.post(
    "/groups/{group_id}/announcements",
    response=responses(schemas.AnnouncementOut, 201),
    summary="Post an announcement (notifies members)",
)
def group_announce(request: HttpRequest, group_id: int, payload: schemas.AnnouncementIn) -> Any:
    user = user_of(request)
    announcement = services.announcement_post(
        actor=user, group_id=group_id, title=payload.title, body=payload.body
    )
    return Status(201, schemas.announcement_row(announcement))
