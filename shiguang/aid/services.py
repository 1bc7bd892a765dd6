"""Every write of the mutual-aid square: requests and their life cycle, dispatch, visits, confirmation (which
posts hours to the time bank), ratings, disputes, offers, blocks, preferences and the district's rules, and
the
due-time handler that sends reminders and closes what expired."""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from shiguang.accounts.choices import ConsentCategory, Role
from shiguang.accounts.services import has_consent
from shiguang.aid import checkin, matching
from shiguang.aid import permissions as perms
from shiguang.aid.choices import (
    LOAD_STATES,
    TAKEABLE,
    Category,
    CheckinMethod,
    DisputeOutcome,
    DisputeStatus,
    InvitationStatus,
    LocationSource,
    OfferStatus,
    PlaceKind,
    PreferredGender,
    RatingDirection,
    RequestStatus,
    Side,
    TimerKind,
    Urgency,
)
from shiguang.aid.models import (
    MAX_DURATION_MINUTES,
    AidPolicy,
    AidTimer,
    Block,
    CategoryRequirement,
    CheckinFailure,
    Dispute,
    ElderPreference,
    HelpOffer,
    HelpRequest,
    Invitation,
    Rating,
    ServiceRecord,
)
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from shiguang.core.scoping import get_scoped
from shiguang.notify import services as notify
from shiguang.people.choices import VerificationStatus
from shiguang.people.models import ElderProfile, VolunteerProfile

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 500
MAX_ACTIVE_PER_ELDER = 5
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
MAX_AHEAD = dt.timedelta(days=90)
MAX_WINDOW = dt.timedelta(days=14)
CHECKIN_FAILURE_LIMIT = 5
CHECKIN_FAILURE_WINDOW = dt.timedelta(minutes=10)
MAX_GEO_ACCURACY_M = 300
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_MAX_SIDE = 1600
TIMER_CLAIM_SECONDS = 60
TIMER_MAX_ATTEMPTS = 5


# --- small helpers ------------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return clock.now()


def _when_text(req: HelpRequest) -> str:
    if req.start_at is not None:
        text = clock.local(req.start_at).strftime("%m-%d %H:%M")
        if req.end_at is not None:
            text += "–" + clock.local(req.end_at).strftime("%m-%d %H:%M")
        return text
    return str(Urgency(req.urgency).label)


def _data(req: HelpRequest, **extra: Any) -> dict[str, Any]:
    data = {
        "request_id": req.pk,
        "category": str(Category(req.category).label),
        "elder": req.elder.name,
        "area": str(req.community),
        "when": _when_text(req),
        "volunteer": req.assignee.name if req.assignee is not None else "",
    }
    data.update({k: str(v) if not isinstance(v, int | float) else v for k, v in extra.items()})
    return data


def _link(req: HelpRequest) -> str:
    return f"/aid/requests/{req.pk}/"


def _elder_side_users(elder: ElderProfile, *, also: Iterable[Any] = ()) -> list[Any]:
    users: dict[int, Any] = {}
    if elder.has_phone and elder.user.is_active:
        users[elder.user_id] = elder.user
    for link in elder.family_links.select_related("family_user").filter(receives_alerts=True):
        if link.family_user.is_active:
            users[link.family_user_id] = link.family_user
    for user in also:
        if user is not None and user.is_active:
            users.setdefault(user.pk, user)
    return list(users.values())


def _workers_of(community_id: int) -> list[Any]:
    from shiguang.accounts.models import User

    return list(User.objects.filter(role=Role.COMMUNITY_WORKER, community_id=community_id, is_active=True))


def _notify(
    users: Iterable[Any],
    template: str,
    req: HelpRequest | None,
    data: dict[str, Any],
    *,
    key: str = "",
    link: str = "",
    priority: int = 5,
) -> None:
    for user in users:
        notify.enqueue(
            recipient=user,
            template=template,
            data=data,
            link=link or (_link(req) if req is not None else ""),
            dedupe_key=f"{key}:{user.pk}" if key else None,
            priority=priority,
        )


def _schedule(
    kind: str,
    due_at: dt.datetime,
    *,
    request: HelpRequest | None = None,
    offer: HelpOffer | None = None,
    round: int | None = None,
) -> AidTimer:
    return AidTimer.objects.create(kind=kind, due_at=due_at, request=request, offer=offer, round=round)


def _cancel_timers(
    *, request: HelpRequest | None = None, offer: HelpOffer | None = None, kinds: Iterable[str]
) -> None:
    qs = AidTimer.objects.filter(done_at__isnull=True, kind__in=list(kinds))
    qs = qs.filter(request=request) if request is not None else qs.filter(offer=offer)
    qs.update(done_at=_now(), last_error="cancelled")


def _feed_changed() -> None:
    """The square's per-process snapshot (selectors.feed) must not keep what this transaction changed."""
    from shiguang.aid.selectors import invalidate_feed

    invalidate_feed()
    transaction.on_commit(invalidate_feed)


def _set_status(req: HelpRequest, status: str, **fields: Any) -> None:
    _feed_changed()
    req.status = status
    req.status_changed_at = _now()
    for key, value in fields.items():
        setattr(req, key, value)
    req.save()


def _lock(actor: Any, request_id: Any) -> HelpRequest:
    """The request, if the actor may see it (404 otherwise), locked for this transaction."""
    visible = get_scoped(HelpRequest.objects.all(), actor, pk=request_id)
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("elder__user", "community__street", "assignee__user")
        .get(pk=visible.pk)
    )


def _reason(reason: str, field: str = "reason", *, required: bool = True, limit: int = 300) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed(fields={field: [_("请说明原因。")]})
    if len(text) > limit:
        raise ValidationFailed(fields={field: [_("请不要超过 %(n)s 个字。") % {"n": limit}]})
    return text


def _require_volunteer(actor: Any) -> VolunteerProfile:
    volunteer = perms.volunteer_of(actor)
    if volunteer is None:
        raise Forbidden(_("只有志愿者可以接单。"))
    return volunteer  # type: ignore[no-any-return]


def _require_elder_side(actor: Any, req: HelpRequest, message: str) -> None:
    if not perms.acts_for_elder(actor, req.elder):
        raise Forbidden(message)


def _expiry(
    urgency: str, start_at: dt.datetime | None, end_at: dt.datetime | None, minutes: int, now: dt.datetime
) -> dt.datetime:
    if end_at is not None:
        return end_at
    if start_at is not None:
        return start_at + dt.timedelta(minutes=minutes)
    if urgency == Urgency.TODAY:
        local = clock.local(now)
        end_of_day = local.replace(hour=23, minute=59, second=0, microsecond=0)
        return max(end_of_day, now + dt.timedelta(hours=2))
    days = {Urgency.SOON: 2, Urgency.THIS_WEEK: 7}.get(Urgency(urgency), 30)
    return now + dt.timedelta(days=days)


def _schedule_request_timers(req: HelpRequest, now: dt.datetime) -> None:
    _schedule(TimerKind.DISPATCH, now, request=req)
    _schedule(TimerKind.REQUEST_EXPIRE, req.expires_at, request=req)
    remaining = req.expires_at - now
    lead = min(dt.timedelta(hours=12), remaining / 4) if remaining > dt.timedelta(hours=24) else remaining / 3
    if lead >= dt.timedelta(minutes=20):
        _schedule(TimerKind.REQUEST_REMIND, req.expires_at - lead, request=req)


def _elder_point(elder: ElderProfile) -> tuple[float | None, float | None, str]:
    """Dispatch uses the elder's coarse home only with location consent; otherwise the community centre."""
    if (
        elder.home_lat is not None
        and elder.home_lng is not None
        and has_consent(elder.user, ConsentCategory.LOCATION)
    ):
        return elder.home_lat, elder.home_lng, LocationSource.HOME
    if elder.community.latitude is not None and elder.community.longitude is not None:
        return elder.community.latitude, elder.community.longitude, LocationSource.COMMUNITY
    return None, None, LocationSource.NONE


def validate_duration(minutes: Any, field: str = "duration_minutes") -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        try:
            minutes = int(str(minutes))
        except (TypeError, ValueError):
            raise ValidationFailed(fields={field: [_("时长应为整数分钟。")]}) from None
    if minutes <= 0:
        raise ValidationFailed(fields={field: [_("时长必须大于0分钟。")]})
    if minutes > MAX_DURATION_MINUTES:
        raise ValidationFailed(fields={field: [_("单次服务不能超过8小时（480分钟）。")]})
    return int(minutes)


# --- requests: create and cancel (cross-app contract) ------------------------------------------------------


@transaction.atomic
def help_request_create(
    *,
    actor: Any,
    elder: ElderProfile,
    category: str,
    description: str,
    urgency: str,
    start_at: dt.datetime | None = None,
    end_at: dt.datetime | None = None,
    duration_minutes: int = 60,
    place: str = "",
) -> HelpRequest:
    """The elder, a linked family member or a worker for the elder posts a request; dispatch starts at once.

    `place` empty means the elder's home; anything else is where the help is needed (e.g. a hospital)."""
    if not perms.acts_for_elder(actor, elder):
        raise Forbidden(_("您只能为自己、家人或本辖区的长者发布求助。"))
    now = _now()
    errors: dict[str, list[str]] = {}
    if category not in Category.values:
        errors["category"] = [_("请选择需要哪类帮助。")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("请选择什么时候需要帮助。")]
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("说明请不要超过 %(n)s 个字。") % {"n": MAX_DESCRIPTION}]
    elif category == Category.OTHER and not description:
        errors["description"] = [_("选“其他”时请简单说明需要什么帮助。")]
    try:
        minutes = validate_duration(duration_minutes)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        minutes = 60
    place = (place or "").strip()
    if len(place) > 200:
        errors["place"] = [_("地点请不要超过 200 个字。")]
    for name, value in (("start_at", start_at), ("end_at", end_at)):
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            errors[name] = [_("时间格式不正确。")]
    if not errors:
        if end_at is not None and start_at is None:
            errors["end_at"] = [_("请同时填写开始时间。")]
        elif start_at is not None:
            if start_at < now - dt.timedelta(minutes=10):
                errors["start_at"] = [_("开始时间已经过去了。")]
            elif start_at > now + MAX_AHEAD:
                errors["start_at"] = [_("只能预约90天以内的服务。")]
            if end_at is not None:
                if end_at <= start_at:
                    errors["end_at"] = [_("结束时间必须晚于开始时间。")]
                elif end_at - start_at > MAX_WINDOW:
                    errors["end_at"] = [_("时间段请不要超过14天。")]
                elif (end_at - start_at) < dt.timedelta(minutes=minutes):
                    errors["duration_minutes"] = [_("预计时长超过了所选时间段。")]
    if errors:
        raise ValidationFailed(fields=errors)
    if not elder.user.is_active:
        raise Conflict(_("该长者账户已停用。"))
    ElderProfile.objects.select_for_update().filter(pk=elder.pk).first()  # one post at a time per elder
    active = HelpRequest.objects.filter(elder=elder, status__in=TAKEABLE)
    if active.filter(category=category, created_at__gte=now - DUPLICATE_WINDOW).exists():
        raise Conflict(_("刚刚已经发布过同样的求助，不用重复发布。"), code="duplicate")
    if (
        HelpRequest.objects.filter(elder=elder, status__in=[*TAKEABLE, *LOAD_STATES]).count()
        >= MAX_ACTIVE_PER_ELDER
    ):
        raise Conflict(_("进行中的求助已有 %(n)s 条，请先完成或取消一些。") % {"n": MAX_ACTIVE_PER_ELDER})
    lat, lng, source = _elder_point(elder)
    preference = ElderPreference.objects.filter(elder=elder).first()
    req = HelpRequest.objects.create(
        elder=elder,
        community=elder.community,
        posted_by=actor,
        category=category,
        description=description,
        urgency=urgency,
        start_at=start_at,
        end_at=end_at,
        duration_minutes=minutes,
        place_kind=PlaceKind.OTHER if place else PlaceKind.HOME,
        place=place,
        lat=lat,
        lng=lng,
        location_source=source,
        required_gender=preference.volunteer_gender if preference else "",
        status=RequestStatus.OPEN,
        status_changed_at=now,
        expires_at=_expiry(urgency, start_at, end_at, minutes, now),
    )
    audit.record(
        "aid.request.created",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, elder),
        target=req,
        data={"category": category, "urgency": urgency, "minutes": minutes, "place_kind": req.place_kind},
    )
    _schedule_request_timers(req, now)
    if actor.pk != elder.user_id:
        _notify(_elder_side_users(elder), "aid.request.posted", req, _data(req), key=f"aid:{req.pk}:posted")
    transaction.on_commit(lambda: run_request_timers(req.pk))
    return req


@transaction.atomic
def help_request_cancel(*, actor: Any, request_id: int, reason: str) -> HelpRequest:
    """The elder side withdraws a request that has not started (the volunteer side uses `release`)."""
    reason = _reason(reason)
    req = _lock(actor, request_id)
    _require_elder_side(actor, req, _("只有长者本人、家属或社区工作人员可以取消求助。"))
    if req.status == RequestStatus.CANCELLED:
        raise Conflict(_("这条求助已经取消了。"))
    if req.status not in (*TAKEABLE, RequestStatus.ACCEPTED):
        raise Conflict(_("服务已开始或已结束，不能取消；如有问题请提出异议。"))
    assignee_user = req.assignee.user if req.assignee is not None else None
    pending = list(
        Invitation.objects.filter(request=req, status=InvitationStatus.PENDING).select_related(
            "volunteer__user"
        )
    )
    Invitation.objects.filter(request=req, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.WITHDRAWN, responded_at=_now()
    )
    _cancel_timers(request=req, kinds=TimerKind.values)
    _set_status(req, RequestStatus.CANCELLED, closed_at=_now(), closed_by=actor, closed_reason=reason)
    audit.record(
        "aid.request.cancelled",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, req.elder),
        target=req,
        data={"reason": reason},
    )
    recipients = [inv.volunteer.user for inv in pending]
    if assignee_user is not None:
        recipients.append(assignee_user)
    _notify(
        recipients, "aid.request.cancelled", req, _data(req, reason=reason), key=f"aid:{req.pk}:cancelled"
    )
    return req


# --- dispatch -----------------------------------------------------------------------------------------------


def _dispatch_round(
    req: HelpRequest, *, actor: Any = None, only: VolunteerProfile | None = None
) -> list[Invitation]:
    """Invite the next best volunteers (or just `only`); the request is locked by the caller."""
    policy = matching.policy_for(matching.district_of(req.community))
    now = _now()
    if only is not None:
        volunteers = [only]
        explanation: dict[int, dict[str, Any]] = {only.pk: {}}
        scores = {only.pk: 0.0}
    else:
        result = matching.rank_for(req, top=policy.invite_batch, exclude_invited=True)
        ids = [c.volunteer_id for c in result.candidates]
        by_id = VolunteerProfile.objects.select_related("user").in_bulk(ids)
        volunteers = [by_id[i] for i in ids if i in by_id]
        explanation = {
            c.volunteer_id: {"factors": c.factors, "distance_km": c.distance_km} for c in result.candidates
        }
        scores = {c.volunteer_id: c.score for c in result.candidates}
    if not volunteers:
        return []
    round_no = req.dispatch_round + 1
    due = min(
        now + dt.timedelta(minutes=policy.invite_minutes), max(req.expires_at, now + dt.timedelta(minutes=5))
    )
    invitations = [
        Invitation.objects.create(
            request=req,
            volunteer=v,
            round=round_no,
            rank=rank,
            score=scores.get(v.pk, 0.0),
            factors=explanation.get(v.pk, {}),
            due_at=due,
            invited_by=actor,
        )
        for rank, v in enumerate(volunteers, start=1)
    ]
    _set_status(req, RequestStatus.OFFERED, dispatch_round=round_no)
    _schedule(TimerKind.ROUND_EXPIRE, due, request=req, round=round_no)
    audit.record(
        "aid.dispatch.round",
        actor=actor,
        target=req,
        data={"round": round_no, "volunteers": [v.pk for v in volunteers], "direct": only is not None},
    )
    template = "aid.invite.direct" if only is not None else "aid.invite"
    minutes = max(1, int((due - now).total_seconds() // 60))
    for v in volunteers:
        _notify(
            [v.user],
            template,
            req,
            _data(req, minutes=minutes),
            key=f"aid:{req.pk}:invite:{v.pk}",
            priority=3,
        )
    return invitations


def _give_up_dispatch(req: HelpRequest) -> None:
    """Automatic rounds are used up: leave the request in the square and ask the community worker."""
    if req.status == RequestStatus.OFFERED:
        _set_status(req, RequestStatus.OPEN)
    audit.record("aid.dispatch.unmatched", target=req, data={"rounds": req.dispatch_round})
    _notify(
        _workers_of(req.community_id),
        "aid.request.unmatched",
        req,
        _data(req),
        key=f"aid:{req.pk}:unmatched:{req.dispatch_round}",
        link=f"/aid/console/{req.pk}/",
    )


def _next_round_or_give_up(req: HelpRequest) -> None:
    policy = matching.policy_for(matching.district_of(req.community))
    if req.dispatch_round < policy.max_rounds and _dispatch_round(req):
        return
    _give_up_dispatch(req)


@transaction.atomic
def dispatch_now(*, actor: Any, request_id: int) -> list[Invitation]:
    """A worker starts another round of invitations (after changing rules, or when nobody answered)."""
    req = _lock(actor, request_id)
    if not perms.is_worker_for(actor, req.elder):
        raise Forbidden(_("只有本辖区工作人员可以派单。"))
    if req.status not in TAKEABLE:
        raise Conflict(_("这条求助已经有人接了或已关闭。"))
    invited = _dispatch_round(req, actor=actor)
    if not invited:
        raise Conflict(_("暂时没有符合条件的志愿者，可以从候选名单中直接指派。"), code="no_candidates")
    return invited


@transaction.atomic
def invitation_decline(*, actor: Any, request_id: int, reason: str = "") -> Invitation:
    volunteer = _require_volunteer(actor)
    reason = _reason(reason, required=False, limit=200)
    req = _lock(actor, request_id)
    invitation = Invitation.objects.select_for_update().filter(request=req, volunteer=volunteer).first()
    if invitation is None:
        raise NotFound(_("您没有收到这条求助的邀请。"))
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(_("这个邀请已经处理过了。"))
    invitation.status = InvitationStatus.DECLINED
    invitation.responded_at = _now()
    invitation.save(update_fields=["status", "responded_at", "updated_at"])
    audit.record("aid.invitation.declined", actor=actor, target=req, data={"reason": reason})
    still_pending = Invitation.objects.filter(request=req, status=InvitationStatus.PENDING).exists()
    if req.status == RequestStatus.OFFERED and not still_pending:
        _cancel_timers(request=req, kinds=[TimerKind.ROUND_EXPIRE])
        _next_round_or_give_up(req)
    return invitation


def _take(req: HelpRequest, volunteer: VolunteerProfile, *, actor: Any, assigned: bool) -> HelpRequest:
    """Hand a takeable, locked request to `volunteer`; the conditional update is the last line of defence."""
    now = _now()
    updated = HelpRequest.objects.filter(pk=req.pk, status__in=TAKEABLE).update(
        status=RequestStatus.ACCEPTED,
        assignee=volunteer,
        assigned_by=actor if assigned else None,
        accepted_at=now,
        status_changed_at=now,
        updated_at=now,
    )
    if updated != 1:
        raise Conflict(_("这条求助已被其他志愿者接走。"), code="taken")
    _feed_changed()
    req.refresh_from_db()
    mine = Invitation.objects.filter(request=req, volunteer=volunteer).first()
    if mine is not None:
        Invitation.objects.filter(pk=mine.pk).update(status=InvitationStatus.ACCEPTED, responded_at=now)
    others = list(
        Invitation.objects.filter(request=req, status=InvitationStatus.PENDING)
        .exclude(volunteer=volunteer)
        .select_related("volunteer__user")
    )
    Invitation.objects.filter(pk__in=[i.pk for i in others]).update(
        status=InvitationStatus.TAKEN, responded_at=now
    )
    _cancel_timers(request=req, kinds=[TimerKind.DISPATCH, TimerKind.ROUND_EXPIRE, TimerKind.REQUEST_REMIND])
    if req.start_at is not None and req.start_at - dt.timedelta(hours=1) > now:
        _schedule(TimerKind.SERVICE_REMIND, req.start_at - dt.timedelta(hours=1), request=req)
    data = _data(req)
    _notify(
        _elder_side_users(req.elder, also=[req.posted_by]),
        "aid.request.accepted",
        req,
        data,
        key=f"aid:{req.pk}:accepted:{volunteer.pk}",
    )
    _notify([i.volunteer.user for i in others], "aid.invite.taken", req, data, key=f"aid:{req.pk}:taken")
    if assigned:
        _notify(
            [volunteer.user],
            "aid.request.assigned",
            req,
            data,
            key=f"aid:{req.pk}:assigned:{volunteer.pk}",
            priority=3,
        )
    return req


@transaction.atomic
def help_request_accept(*, actor: Any, request_id: int) -> HelpRequest:
    """First to accept gets it: the row lock serialises accepts, so exactly one wins; the rest get a 409."""
    volunteer = _require_volunteer(actor)
    try:
        req = _lock(actor, request_id)
    except NotFound:
        # Out of a volunteer's scope once taken: say it is gone (as the square showed it), nothing more.
        if HelpRequest.objects.filter(pk=request_id).exclude(status__in=TAKEABLE).exists():
            raise Conflict(_("这条求助已被其他志愿者接走或已关闭。"), code="taken") from None
        raise
    if req.status not in TAKEABLE:
        if req.assignee_id == volunteer.pk and req.status == RequestStatus.ACCEPTED:
            raise Conflict(_("您已经接下这条求助了。"), code="already_yours")
        raise Conflict(_("这条求助已被其他志愿者接走或已关闭。"), code="taken")
    problem = matching.eligibility_problem(volunteer, req)
    if problem is not None:
        code, message = problem
        if code == "load":
            raise Conflict(message, code=code)
        raise Forbidden(message, code=code)
    req = _take(req, volunteer, actor=actor, assigned=False)
    audit.record("aid.request.accepted", actor=actor, target=req, data={"volunteer": volunteer.pk})
    return req


@transaction.atomic
def help_request_assign(*, actor: Any, request_id: int, volunteer_id: int, note: str = "") -> HelpRequest:
    """A worker assigns a volunteer directly (after a phone call, say). The hard rules still apply."""
    note = _reason(note, "note", required=False, limit=200)
    req = _lock(actor, request_id)
    if not perms.is_worker_for(actor, req.elder):
        raise Forbidden(_("只有本辖区工作人员可以直接派单。"))
    volunteer = VolunteerProfile.objects.select_related("user").filter(pk=volunteer_id).first()
    if volunteer is None:
        raise ValidationFailed(fields={"volunteer_id": [_("找不到该志愿者。")]})
    if req.status not in TAKEABLE:
        raise Conflict(_("这条求助已被其他志愿者接走或已关闭。"), code="taken")
    problem = matching.eligibility_problem(volunteer, req)
    if problem is not None:
        code, message = problem
        raise Conflict(message, code=code)
    req = _take(req, volunteer, actor=actor, assigned=True)
    audit.record(
        "aid.request.assigned",
        actor=actor,
        on_behalf_of=req.elder.user,
        target=req,
        data={"volunteer": volunteer.pk, "note": note},
    )
    return req


@transaction.atomic
def help_request_release(*, actor: Any, request_id: int, reason: str) -> HelpRequest:
    """The volunteer can no longer come (or a worker unassigns them) before check-in: back to the square."""
    reason = _reason(reason)
    req = _lock(actor, request_id)
    if not (perms.is_assignee(actor, req) or perms.is_worker_for(actor, req.elder)):
        raise Forbidden(_("只有接单的志愿者或社区工作人员可以退回任务。"))
    if req.status != RequestStatus.ACCEPTED:
        raise Conflict(_("只有已接单、尚未签到的任务可以退回。"))
    volunteer = req.assignee
    assert volunteer is not None
    data = _data(req, reason=reason)
    Invitation.objects.update_or_create(
        request=req,
        volunteer=volunteer,
        defaults={"status": InvitationStatus.WITHDRAWN, "responded_at": _now(), "due_at": _now()},
    )
    _cancel_timers(request=req, kinds=[TimerKind.SERVICE_REMIND])
    _set_status(req, RequestStatus.OPEN, assignee=None, assigned_by=None, accepted_at=None, dispatch_round=0)
    audit.record(
        "aid.request.released", actor=actor, target=req, data={"volunteer": volunteer.pk, "reason": reason}
    )
    _notify(
        _elder_side_users(req.elder, also=[req.posted_by]),
        "aid.request.released",
        req,
        data,
        key=f"aid:{req.pk}:released:{volunteer.pk}",
    )
    if req.expires_at > _now():
        _schedule(TimerKind.DISPATCH, _now(), request=req)
        transaction.on_commit(lambda: run_request_timers(req.pk))
    return req


@transaction.atomic
def offer_invite(*, actor: Any, offer_id: int, request_id: int) -> Invitation:
    """Ask the volunteer behind an offer to take one of the elder's open requests."""
    offer = get_scoped(HelpOffer.objects.select_related("volunteer__user"), actor, pk=offer_id)
    req = _lock(actor, request_id)
    _require_elder_side(actor, req, _("只有长者本人、家属或社区工作人员可以邀请志愿者。"))
    if offer.status != OfferStatus.ACTIVE or offer.available_to <= _now():
        raise Conflict(_("这个服务意向已经结束了。"))
    if req.status not in TAKEABLE:
        raise Conflict(_("这条求助已被接走或已关闭。"))
    if Invitation.objects.filter(request=req, volunteer=offer.volunteer).exists():
        raise Conflict(_("已经邀请过这位志愿者了。"))
    problem = matching.eligibility_problem(offer.volunteer, req)
    if problem is not None:
        raise Conflict(problem[1], code=problem[0])
    invitations = _dispatch_round(req, actor=actor, only=offer.volunteer)
    return invitations[0]


# --- the visit ----------------------------------------------------------------------------------------------


def _check_code(
    req: HelpRequest, method: str, code: str, token: str, lat: Any, lng: Any, accuracy_m: Any
) -> int | None:
    """Validate the proof of presence; returns the distance in metres for a position check-in."""
    if method == CheckinMethod.CODE:
        if not checkin.verify_code(req.elder, code):
            raise ValidationFailed(
                fields={"code": [_("签到码不正确或已过期，请看长者手机上最新的6位数字。")]}, code="bad_code"
            )
        return None
    if method == CheckinMethod.QR:
        if not checkin.verify_token(req.elder, token):
            raise ValidationFailed(
                fields={"token": [_("二维码已过期或不是这位长者的，请重新扫码。")]}, code="bad_code"
            )
        return None
    if method == CheckinMethod.GEO:
        if req.place_kind != PlaceKind.HOME:
            raise ValidationFailed(fields={"method": [_("服务地点不在长者家中，请用签到码签到。")]})
        if req.location_source != LocationSource.HOME:
            raise ValidationFailed(fields={"method": [_("长者未同意使用位置信息，请用签到码签到。")]})
        try:
            lat_f, lng_f = float(lat), float(lng)
        except (TypeError, ValueError):
            raise ValidationFailed(
                fields={"lat": [_("没有收到定位，请允许浏览器获取位置，或用签到码签到。")]}
            ) from None
        if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
            raise ValidationFailed(fields={"lat": [_("定位数据无效。")]})
        if accuracy_m is not None and float(accuracy_m) > MAX_GEO_ACCURACY_M:
            raise ValidationFailed(
                fields={
                    "lat": [
                        _("定位不够准确（误差约%(m)s米），请到室外重试或用签到码。")
                        % {"m": int(float(accuracy_m))}
                    ]
                },
                code="bad_position",
            )
        assert req.elder.home_lat is not None and req.elder.home_lng is not None
        distance = matching.dispatch.haversine_m(lat_f, lng_f, req.elder.home_lat, req.elder.home_lng)
        radius = matching.policy_for(matching.district_of(req.community)).checkin_radius_m
        if distance > radius:
            raise ValidationFailed(
                fields={
                    "lat": [
                        _("您离长者家约%(d)s米，需在%(r)s米以内才能定位签到。")
                        % {"d": int(distance), "r": radius}
                    ]
                },
                code="bad_position",
            )
        return int(distance)
    raise ValidationFailed(fields={"method": [_("请选择签到方式。")]})


def help_request_check_in(
    *,
    actor: Any,
    request_id: int,
    method: str,
    code: str = "",
    token: str = "",
    lat: float | None = None,
    lng: float | None = None,
    accuracy_m: float | None = None,
) -> HelpRequest:
    """The volunteer proves presence: the elder's QR, the 6-digit code, or a position near the home (a worker
    may
    check in for them). Wrong codes are counted, outside the failed transaction, to stop guessing."""
    visible = get_scoped(HelpRequest.objects.all(), actor, pk=request_id)
    since = _now() - CHECKIN_FAILURE_WINDOW
    if (
        CheckinFailure.objects.filter(request_id=visible.pk, created_at__gte=since).count()
        >= CHECKIN_FAILURE_LIMIT
    ):
        raise RateLimited(_("签到码错误次数过多，请10分钟后再试，或请社区工作人员协助。"))
    try:
        return _check_in(
            actor=actor,
            request_id=visible.pk,
            method=method,
            code=code,
            token=token,
            lat=lat,
            lng=lng,
            accuracy_m=accuracy_m,
        )
    except ValidationFailed as exc:
        if exc.code in ("bad_code", "bad_position"):
            with transaction.atomic():
                CheckinFailure.objects.create(request_id=visible.pk, actor=actor, method=method)
        raise


@transaction.atomic
def _check_in(
    *, actor: Any, request_id: int, method: str, code: str, token: str, lat: Any, lng: Any, accuracy_m: Any
) -> HelpRequest:
    req = _lock(actor, request_id)
    worker = perms.is_worker_for(actor, req.elder)
    if not (perms.is_assignee(actor, req) or worker):
        raise Forbidden(_("只有接单的志愿者可以签到。"))
    if method == CheckinMethod.WORKER and not worker:
        raise Forbidden(_("只有社区工作人员可以代为签到。"))
    if req.status == RequestStatus.IN_SERVICE:
        raise Conflict(_("已经签到过了。"), code="already_checked_in")
    if req.status != RequestStatus.ACCEPTED:
        raise Conflict(_("这项任务现在不能签到（%(status)s）。") % {"status": req.get_status_display()})
    if method not in CheckinMethod.values:
        raise ValidationFailed(fields={"method": [_("请选择签到方式。")]})
    distance = (
        None
        if method == CheckinMethod.WORKER
        else _check_code(req, method, code, token, lat, lng, accuracy_m)
    )
    _set_status(
        req,
        RequestStatus.IN_SERVICE,
        checked_in_at=_now(),
        checkin_method=method,
        checkin_distance_m=distance,
    )
    _cancel_timers(request=req, kinds=[TimerKind.SERVICE_REMIND])
    acting_for = None if perms.is_assignee(actor, req) or req.assignee is None else req.assignee.user
    audit.record(
        "aid.request.checked_in",
        actor=actor,
        on_behalf_of=acting_for,
        target=req,
        data={"method": method, "distance_m": distance},
    )
    family = [
        link.family_user
        for link in req.elder.family_links.select_related("family_user")
        if link.receives_alerts
    ]
    _notify(family, "aid.request.checked_in", req, _data(req), key=f"aid:{req.pk}:checked_in")
    return req


def clean_photo(upload: Any) -> ContentFile[bytes]:
    """Accept JPEG, PNG or WebP up to 5 MB; re-encode as JPEG at most 1600 px (drops EXIF, e.g. GPS)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    size = getattr(upload, "size", None)
    if size is None or size <= 0:
        raise ValidationFailed(fields={"photo": [_("照片是空的。")]})
    if size > PHOTO_MAX_BYTES:
        raise ValidationFailed(fields={"photo": [_("照片不能超过5MB。")]})
    raw = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format
                probe.verify()
            if fmt not in PHOTO_FORMATS:
                raise ValidationFailed(fields={"photo": [_("只能上传 JPG、PNG 或 WebP 格式的照片。")]})
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                picture = image.convert("RGB")
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise ValidationFailed(fields={"photo": [_("无法识别这张照片，请换一张 JPG 或 PNG。")]}) from None
    picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


@transaction.atomic
def help_request_check_out(*, actor: Any, request_id: int, summary: str, photo: Any = None) -> HelpRequest:
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed(fields={"summary": [_("请简单记录做了什么。")]})
    if len(summary) > 1000:
        raise ValidationFailed(fields={"summary": [_("请不要超过1000字。")]})
    cleaned = clean_photo(photo) if photo is not None else None
    req = _lock(actor, request_id)
    if not (perms.is_assignee(actor, req) or perms.is_worker_for(actor, req.elder)):
        raise Forbidden(_("只有接单的志愿者可以签退。"))
    if req.status in (RequestStatus.ACCEPTED, RequestStatus.OPEN, RequestStatus.OFFERED):
        raise Conflict(_("还没有签到，不能签退。"), code="not_checked_in")
    if req.status != RequestStatus.IN_SERVICE:
        raise Conflict(_("已经签退过了。"), code="already_checked_out")
    now = _now()
    assert req.checked_in_at is not None
    served = max(1, math.ceil((now - req.checked_in_at).total_seconds() / 60))
    proposed = min(MAX_DURATION_MINUTES, max(5, 5 * math.ceil(served / 5)))
    record = ServiceRecord(request=req, summary=summary, minutes_served=served, written_by=actor)
    if cleaned is not None:
        record.photo.save(cleaned.name or "photo.jpg", cleaned, save=False)
    record.save()
    _set_status(req, RequestStatus.DONE, checked_out_at=now, proposed_minutes=proposed)
    _schedule(TimerKind.CONFIRM_REMIND, now + dt.timedelta(hours=24), request=req)
    audit.record(
        "aid.request.checked_out",
        actor=actor,
        target=req,
        data={"minutes_served": served, "proposed": proposed, "photo": cleaned is not None},
    )
    _notify(
        _elder_side_users(req.elder, also=[req.posted_by]),
        "aid.request.done",
        req,
        _data(req, minutes=proposed),
        key=f"aid:{req.pk}:done",
    )
    return req


def credit_limit(req: HelpRequest) -> int:
    """The most minutes a confirmation may credit: the recorded or the planned time, never over 8 h."""
    return min(MAX_DURATION_MINUTES, max(req.proposed_minutes or 0, req.duration_minutes))


def _post_hours(req: HelpRequest, *, actor: Any, minutes: int) -> Any:
    from shiguang.timebank.services import post_service

    assert req.assignee is not None
    tx = post_service(
        actor=actor,
        idempotency_key=f"aid:{req.pk}",
        provider=req.assignee.user,
        receiver=req.elder.user,
        minutes=minutes,
        category=req.category,
        source="aid",
    )
    return tx


@transaction.atomic
def help_request_confirm(*, actor: Any, request_id: int, minutes: int | None = None) -> HelpRequest:
    """The elder (or family / a worker for the elder) confirms: the hours are posted exactly once."""
    req = _lock(actor, request_id)
    _require_elder_side(actor, req, _("只有长者本人、家属或社区工作人员可以确认服务。"))
    if req.status == RequestStatus.CONFIRMED:
        raise Conflict(_("这次服务已经确认过了，时长已记入，不会重复记入。"), code="already_confirmed")
    if req.status != RequestStatus.DONE:
        raise Conflict(_("志愿者签退后才能确认服务。"), code="not_done")
    limit = credit_limit(req)
    value = validate_duration(
        minutes if minutes is not None else (req.proposed_minutes or req.duration_minutes), "minutes"
    )
    if value > limit:
        raise ValidationFailed(
            fields={"minutes": [_("确认时长不能超过 %(n)s 分钟（服务记录或预计时长）。") % {"n": limit}]}
        )
    tx = _post_hours(req, actor=actor, minutes=value)
    _set_status(
        req,
        RequestStatus.CONFIRMED,
        confirmed_at=_now(),
        confirmed_by=actor,
        credited_minutes=value,
        ledger_transaction=str(getattr(tx, "pk", "") or ""),
    )
    _cancel_timers(request=req, kinds=[TimerKind.CONFIRM_REMIND])
    audit.record(
        "aid.request.confirmed",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, req.elder),
        target=req,
        data={"minutes": value, "ledger_transaction": req.ledger_transaction},
    )
    assert req.assignee is not None
    _notify(
        [req.assignee.user],
        "aid.request.confirmed",
        req,
        _data(req, hours=round(value / 60, 2)),
        key=f"aid:{req.pk}:confirmed",
    )
    return req


@transaction.atomic
def help_request_no_show(*, actor: Any, request_id: int, reason: str) -> HelpRequest:
    """Either side reports that the visit did not happen: the volunteer did not come, or nobody was home."""
    reason = _reason(reason)
    req = _lock(actor, request_id)
    side = perms.side_of(actor, req)
    if side is None:
        raise Forbidden(_("只有服务双方或社区工作人员可以登记未到场。"))
    if req.status != RequestStatus.ACCEPTED:
        raise Conflict(_("只有已接单、尚未签到的任务可以登记未到场。"))
    if side == Side.ELDER and req.start_at is not None and req.start_at > _now():
        raise Conflict(_("约定时间还没到，不能登记志愿者未到场。"))
    party = Side.VOLUNTEER if side == Side.ELDER else Side.ELDER
    _cancel_timers(request=req, kinds=[TimerKind.SERVICE_REMIND])
    _set_status(
        req,
        RequestStatus.NO_SHOW,
        closed_at=_now(),
        closed_by=actor,
        closed_reason=reason,
        no_show_party=party,
    )
    audit.record(
        "aid.request.no_show",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, req.elder) if side == Side.ELDER else None,
        target=req,
        data={"party": party, "reason": reason},
    )
    recipients = _workers_of(req.community_id)
    if side == Side.ELDER and req.assignee is not None:
        recipients.append(req.assignee.user)
    else:
        recipients += _elder_side_users(req.elder)
    _notify(
        recipients,
        "aid.request.no_show",
        req,
        _data(req, party=Side(party).label, reason=reason),
        key=f"aid:{req.pk}:no_show",
    )
    return req


@transaction.atomic
def help_request_reopen(*, actor: Any, request_id: int) -> HelpRequest:
    """Post an expired request again; a past time becomes 'as soon as possible'."""
    req = _lock(actor, request_id)
    _require_elder_side(actor, req, _("只有长者本人、家属或社区工作人员可以重新发布。"))
    missed = req.status == RequestStatus.NO_SHOW and req.no_show_party == Side.VOLUNTEER
    if not (req.status == RequestStatus.EXPIRED or missed):
        raise Conflict(_("只有已过期或志愿者未到场的求助可以重新发布。"))
    now = _now()
    if req.start_at is not None and req.start_at < now:
        req.start_at = None
        req.end_at = None
    if missed and req.assignee is not None:
        Invitation.objects.update_or_create(
            request=req,
            volunteer=req.assignee,
            defaults={"status": InvitationStatus.WITHDRAWN, "responded_at": now, "due_at": now},
        )
    _set_status(
        req,
        RequestStatus.OPEN,
        assignee=None,
        assigned_by=None,
        accepted_at=None,
        closed_at=None,
        closed_by=None,
        closed_reason="",
        no_show_party="",
        dispatch_round=0,
        expires_at=_expiry(req.urgency, req.start_at, req.end_at, req.duration_minutes, now),
    )
    _cancel_timers(request=req, kinds=TimerKind.values)
    _schedule_request_timers(req, now)
    audit.record(
        "aid.request.reopened", actor=actor, on_behalf_of=perms.on_behalf(actor, req.elder), target=req
    )
    transaction.on_commit(lambda: run_request_timers(req.pk))
    return req


@transaction.atomic
def contact_reveal(*, actor: Any, request_id: int) -> dict[str, str]:
    """The assignee sees the elder's address and phone (with the elder's consent); the read is audited."""
    req = _lock(actor, request_id)
    if not perms.is_assignee(actor, req) or req.status not in (
        RequestStatus.ACCEPTED,
        RequestStatus.IN_SERVICE,
    ):
        raise Forbidden(_("接单后、服务结束前才能查看长者的联系方式。"))
    if not has_consent(req.elder.user, ConsentCategory.SHARE_CONTACT):
        raise Forbidden(
            _("长者尚未同意向志愿者提供联系方式，请联系社区工作人员带您上门。"), code="consent_required"
        )
    audit.record(
        "aid.contact.revealed",
        actor=actor,
        on_behalf_of=None,
        target=req,
        data={"fields": ["address", "phone"]},
    )
    return {
        "address": req.elder.address if req.place_kind == PlaceKind.HOME else req.place,
        "phone": req.elder.user.phone,
    }


# --- ratings and disputes -----------------------------------------------------------------------------------


@transaction.atomic
def rating_submit(*, actor: Any, request_id: int, score: int, comment: str = "") -> Rating:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(fields={"score": [_("评分应为1到5星。")]})
    comment = _reason(comment, "comment", required=False, limit=300)
    req = _lock(actor, request_id)
    side = perms.side_of(actor, req)
    if side is None:
        raise Forbidden(_("只有服务双方可以评价。"))
    if req.checked_in_at is None or req.status not in (
        RequestStatus.DONE,
        RequestStatus.CONFIRMED,
        RequestStatus.DISPUTED,
    ):
        raise Conflict(_("服务完成后才能评价。"))
    assert req.assignee is not None
    if side == Side.ELDER:
        direction, ratee = RatingDirection.ELDER_TO_VOLUNTEER, req.assignee.user
    else:
        direction, ratee = RatingDirection.VOLUNTEER_TO_ELDER, req.elder.user
    if Rating.objects.filter(request=req, direction=direction).exists():
        raise Conflict(_("这次服务您已经评价过了。"), code="already_rated")
    rating = Rating.objects.create(
        request=req, direction=direction, rater=actor, ratee=ratee, score=score, comment=comment
    )
    audit.record(
        "aid.rating.submitted",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, req.elder) if side == Side.ELDER else None,
        target=rating,
        data={"direction": direction, "score": score},
    )
    transaction.on_commit(matching.dispatch.invalidate_index)
    return rating


@transaction.atomic
def dispute_open(*, actor: Any, request_id: int, reason: str) -> Dispute:
    reason = _reason(reason, limit=1000)
    req = _lock(actor, request_id)
    side = perms.side_of(actor, req)
    if side is None:
        raise Forbidden(_("只有服务双方可以提出异议。"))
    if req.status == RequestStatus.DISPUTED:
        raise Conflict(_("已经有一个待处理的异议。"))
    if req.status not in (
        RequestStatus.ACCEPTED,
        RequestStatus.IN_SERVICE,
        RequestStatus.DONE,
        RequestStatus.NO_SHOW,
    ):
        raise Conflict(_("这条求助现在不能提出异议；已确认的服务如需更正，请联系社区工作人员。"))
    dispute = Dispute.objects.create(
        request=req, raised_by=actor, raised_side=side, reason=reason, from_status=req.status
    )
    _cancel_timers(request=req, kinds=[TimerKind.CONFIRM_REMIND, TimerKind.SERVICE_REMIND])
    _set_status(req, RequestStatus.DISPUTED)
    audit.record(
        "aid.dispute.opened",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, req.elder) if side == Side.ELDER else None,
        target=dispute,
        data={"request": req.pk, "side": side},
    )
    _notify(
        _workers_of(req.community_id),
        "aid.dispute.opened",
        req,
        _data(req, reason=reason),
        key=f"aid:dispute:{dispute.pk}:opened",
        link=f"/aid/console/disputes/{dispute.pk}/",
        priority=3,
    )
    return dispute


@transaction.atomic
def dispute_resolve(
    *, actor: Any, dispute_id: int, outcome: str, note: str, minutes: int | None = None
) -> Dispute:
    """The community worker decides: credit the service (posting hours once) or close it without hours."""
    note = _reason(note, "note", limit=1000)
    dispute = get_scoped(Dispute.objects.all(), actor, pk=dispute_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    req = (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("elder__user", "assignee__user", "community")
        .get(pk=dispute.request_id)
    )
    if not perms.is_worker_for(actor, req.elder):
        raise Forbidden(_("只有本辖区工作人员可以处理争议。"))
    if dispute.status != DisputeStatus.OPEN:
        raise Conflict(_("这个争议已经处理过了。"))
    if outcome not in DisputeOutcome.values:
        raise ValidationFailed(fields={"outcome": [_("请选择处理结果。")]})
    now = _now()
    if outcome == DisputeOutcome.CREDIT:
        if req.assignee is None:
            raise ValidationFailed(fields={"outcome": [_("没有接单的志愿者，无法记入时长。")]})
        value = validate_duration(
            minutes if minutes is not None else (req.proposed_minutes or req.duration_minutes), "minutes"
        )
        if value > credit_limit(req):
            raise ValidationFailed(
                fields={"minutes": [_("记入时长不能超过 %(n)s 分钟。") % {"n": credit_limit(req)}]}
            )
        tx = _post_hours(req, actor=actor, minutes=value)
        _set_status(
            req,
            RequestStatus.CONFIRMED,
            confirmed_at=now,
            confirmed_by=actor,
            credited_minutes=value,
            ledger_transaction=str(getattr(tx, "pk", "") or ""),
        )
        dispute.minutes = value
    else:
        _set_status(
            req,
            RequestStatus.CANCELLED,
            closed_at=now,
            closed_by=actor,
            closed_reason=_("争议处理：%(note)s") % {"note": note[:200]},
        )
    dispute.status = DisputeStatus.RESOLVED
    dispute.outcome = outcome
    dispute.resolution_note = note
    dispute.resolved_by = actor
    dispute.resolved_at = now
    dispute.save()
    audit.record(
        "aid.dispute.resolved",
        actor=actor,
        on_behalf_of=req.elder.user,
        target=dispute,
        data={"request": req.pk, "outcome": outcome, "minutes": dispute.minutes},
    )
    recipients = _elder_side_users(req.elder, also=[dispute.raised_by])
    if req.assignee is not None:
        recipients.append(req.assignee.user)
    _notify(
        recipients,
        "aid.dispute.resolved",
        req,
        _data(req, outcome=DisputeOutcome(outcome).label),
        key=f"aid:dispute:{dispute.pk}:resolved",
    )
    return dispute


# --- offers -------------------------------------------------------------------------------------------------


def _validate_offer(
    categories: Any,
    available_from: Any,
    available_to: Any,
    place: str,
    radius_km: Any,
    note: str,
    now: dt.datetime,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if (
        not isinstance(categories, list | tuple)
        or not categories
        or any(c not in Category.values for c in categories)
    ):
        errors["categories"] = [_("请至少选择一类可以提供的帮助。")]
    if not isinstance(available_from, dt.datetime) or not isinstance(available_to, dt.datetime):
        errors["available_to"] = [_("请填写开始和结束时间。")]
    elif available_to <= available_from:
        errors["available_to"] = [_("结束时间必须晚于开始时间。")]
    elif available_to <= now:
        errors["available_to"] = [_("结束时间已经过去了。")]
    elif available_to - available_from > dt.timedelta(days=30):
        errors["available_to"] = [_("一次最多发布30天的服务意向。")]
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        radius = -1
    if not 0.5 <= radius <= 20:
        errors["radius_km"] = [_("服务半径应在0.5到20公里之间。")]
    if len(place or "") > 200:
        errors["place"] = [_("请不要超过200字。")]
    if len(note or "") > 300:
        errors["note"] = [_("请不要超过300字。")]
    return errors


def _schedule_offer_timers(offer: HelpOffer, now: dt.datetime) -> None:
    _schedule(TimerKind.OFFER_EXPIRE, offer.available_to, offer=offer)
    remind = offer.available_to - dt.timedelta(hours=12)
    if remind > now + dt.timedelta(hours=1):
        _schedule(TimerKind.OFFER_REMIND, remind, offer=offer)


@transaction.atomic
def offer_create(
    *,
    actor: Any,
    categories: list[str],
    available_from: dt.datetime,
    available_to: dt.datetime,
    place: str = "",
    radius_km: float = 2.0,
    note: str = "",
) -> HelpOffer:
    volunteer = _require_volunteer(actor)
    if volunteer.verification_status != VerificationStatus.VERIFIED:
        raise Forbidden(_("社区工作人员核验您的身份后才能发布服务意向。"))
    now = _now()
    errors = _validate_offer(categories, available_from, available_to, place, radius_km, note, now)
    if errors:
        raise ValidationFailed(fields=errors)
    offer = HelpOffer.objects.create(
        volunteer=volunteer,
        categories=sorted(set(categories)),
        available_from=available_from,
        available_to=available_to,
        place=(place or "").strip(),
        radius_km=float(radius_km),
        note=(note or "").strip(),
    )
    _schedule_offer_timers(offer, now)
    audit.record("aid.offer.created", actor=actor, target=offer, data={"categories": offer.categories})
    return offer


def _own_offer(actor: Any, offer_id: int) -> HelpOffer:
    offer = get_scoped(HelpOffer.objects.all(), actor, pk=offer_id)
    if offer.volunteer.user_id != actor.pk:
        raise Forbidden(_("只能修改自己的服务意向。"))
    return HelpOffer.objects.select_for_update().get(pk=offer.pk)


@transaction.atomic
def offer_withdraw(*, actor: Any, offer_id: int) -> HelpOffer:
    offer = _own_offer(actor, offer_id)
    if offer.status != OfferStatus.ACTIVE:
        raise Conflict(_("这个服务意向已经结束了。"))
    offer.status = OfferStatus.WITHDRAWN
    offer.save(update_fields=["status", "updated_at"])
    _cancel_timers(offer=offer, kinds=[TimerKind.OFFER_REMIND, TimerKind.OFFER_EXPIRE])
    audit.record("aid.offer.withdrawn", actor=actor, target=offer)
    return offer


@transaction.atomic
def offer_extend(*, actor: Any, offer_id: int, days: int = 7) -> HelpOffer:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
        raise ValidationFailed(fields={"days": [_("延长天数应在1到30天之间。")]})
    offer = _own_offer(actor, offer_id)
    if offer.status != OfferStatus.ACTIVE:
        raise Conflict(_("这个服务意向已经结束了，请重新发布。"))
    new_to = max(offer.available_to, _now()) + dt.timedelta(days=days)
    if new_to - offer.available_from > dt.timedelta(days=60):
        raise ValidationFailed(fields={"days": [_("一个服务意向最长60天，请重新发布。")]})
    offer.available_to = new_to
    offer.save(update_fields=["available_to", "updated_at"])
    _cancel_timers(offer=offer, kinds=[TimerKind.OFFER_REMIND, TimerKind.OFFER_EXPIRE])
    _schedule_offer_timers(offer, _now())
    audit.record("aid.offer.extended", actor=actor, target=offer, data={"until": new_to.isoformat()})
    return offer


# --- blocks and preferences ---------------------------------------------------------------------------------


@transaction.atomic
def block_create(*, actor: Any, blocker: Any, blocked: Any, reason: str = "") -> Block:
    """An elder (or family / worker) blocks a volunteer; a volunteer blocks an elder they were sent to."""
    reason = _reason(reason, required=False, limit=200)
    if blocker.pk == blocked.pk:
        raise ValidationFailed(fields={"blocked": [_("不能屏蔽自己。")]})
    if blocker.role == Role.ELDER:
        elder = ElderProfile.objects.filter(user=blocker).first()
        if elder is None or not perms.acts_for_elder(actor, elder):
            raise Forbidden(_("只有长者本人、家属或社区工作人员可以为长者设置屏蔽。"))
        if blocked.role != Role.VOLUNTEER:
            raise ValidationFailed(fields={"blocked": [_("只能屏蔽志愿者。")]})
    elif blocker.role == Role.VOLUNTEER:
        if actor.pk != blocker.pk:
            raise Forbidden(_("志愿者只能自己设置屏蔽。"))
        if blocked.role != Role.ELDER:
            raise ValidationFailed(fields={"blocked": [_("只能屏蔽长者。")]})
        met = HelpRequest.objects.filter(elder__user=blocked).filter(
            Q(assignee__user=blocker) | Q(invitations__volunteer__user=blocker)
        )
        if not met.exists():
            raise Forbidden(_("只能屏蔽为您派过单的长者。"))
    else:
        raise ValidationFailed(fields={"blocker": [_("只有长者和志愿者之间可以屏蔽。")]})
    if Block.objects.filter(blocker=blocker, blocked=blocked).exists():
        raise Conflict(_("已经屏蔽过了。"))
    block = Block.objects.create(blocker=blocker, blocked=blocked, reason=reason, recorded_by=actor)
    audit.record(
        "aid.block.created",
        actor=actor,
        on_behalf_of=blocker if actor.pk != blocker.pk else None,
        target=block,
        data={"blocked": blocked.pk},
    )
    return block


@transaction.atomic
def block_remove(*, actor: Any, block_id: int) -> None:
    block = get_scoped(Block.objects.select_related("blocker"), actor, pk=block_id)
    blocker = block.blocker
    allowed = actor.pk == blocker.pk
    if not allowed and blocker.role == Role.ELDER:
        elder = ElderProfile.objects.filter(user=blocker).first()
        allowed = elder is not None and perms.acts_for_elder(actor, elder)
    if not allowed:
        raise Forbidden()
    audit.record(
        "aid.block.removed",
        actor=actor,
        on_behalf_of=blocker if actor.pk != blocker.pk else None,
        target=block,
        data={"blocked": block.blocked_id},
    )
    Block.objects.filter(pk=block.pk).delete()


@transaction.atomic
def preference_set(
    *, actor: Any, elder: ElderProfile, volunteer_gender: str, note: str = ""
) -> ElderPreference:
    if not perms.acts_for_elder(actor, elder):
        raise Forbidden()
    if volunteer_gender not in PreferredGender.values:
        raise ValidationFailed(fields={"volunteer_gender": [_("请选择志愿者性别要求。")]})
    note = _reason(note, "note", required=False, limit=200)
    pref, _created = ElderPreference.objects.update_or_create(
        elder=elder, defaults={"volunteer_gender": volunteer_gender, "note": note, "updated_by": actor}
    )
    audit.record(
        "aid.preference.set",
        actor=actor,
        on_behalf_of=perms.on_behalf(actor, elder),
        target=pref,
        data={"volunteer_gender": volunteer_gender},
    )
    return pref


@transaction.atomic
def checkin_code_rotate(*, actor: Any, elder: ElderProfile) -> None:
    """Invalidate every code and QR the elder has shown (e.g. a printed card was lost)."""
    if not perms.acts_for_elder(actor, elder):
        raise Forbidden()
    checkin.rotate_secret(elder)
    audit.record(
        "aid.checkin_key.rotated", actor=actor, on_behalf_of=perms.on_behalf(actor, elder), target=elder
    )


# --- district rules -----------------------------------------------------------------------------------------

POLICY_LIMITS: dict[str, tuple[float, float]] = {
    "checkin_radius_m": (50, 2000),
    "max_distance_km": (0.5, 30),
    "invite_batch": (1, 50),
    "invite_minutes": (5, 1440),
    "max_rounds": (1, 10),
    "max_active_tasks": (1, 20),
}


def _require_district_staff(actor: Any, district: Any) -> None:
    if not (
        actor.is_superuser
        or actor.role == Role.ADMIN
        or (actor.role == Role.DISTRICT_STAFF and actor.district_id == district.pk)
    ):
        raise Forbidden(_("只有区民政局工作人员可以修改派单规则。"))


@transaction.atomic
def policy_update(*, actor: Any, district: Any, changes: dict[str, Any]) -> AidPolicy:
    _require_district_staff(actor, district)
    unknown = set(changes) - set(POLICY_LIMITS) - {"require_insurance"}
    errors: dict[str, list[str]] = {k: [_("该项不可修改。")] for k in unknown}
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "require_insurance":
            if not isinstance(value, bool):
                errors[key] = [_("请选择是或否。")]
            clean[key] = value
        elif key in POLICY_LIMITS:
            low, high = POLICY_LIMITS[key]
            try:
                number = float(value) if key == "max_distance_km" else int(value)
            except (TypeError, ValueError):
                errors[key] = [_("请填写数字。")]
                continue
            if isinstance(value, bool) or not low <= number <= high:
                errors[key] = [_("应在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high}]
            clean[key] = number
    if errors:
        raise ValidationFailed(fields=errors)
    policy = AidPolicy.objects.select_for_update().filter(district=district).first()
    if policy is None:
        policy = AidPolicy(district=district, **matching.DEFAULT_POLICY)
    for key, value in clean.items():
        setattr(policy, key, value)
    policy.updated_by = actor
    policy.save()
    audit.record("aid.policy.updated", actor=actor, target=policy, data=clean)
    return policy


@transaction.atomic
def requirement_set(
    *, actor: Any, district: Any, category: str, certifications: list[str], note: str = ""
) -> CategoryRequirement | None:
    """Set the certifications a category requires in a district (an empty list removes the rule)."""
    from shiguang.community.choices import CertificationKind

    _require_district_staff(actor, district)
    errors: dict[str, list[str]] = {}
    if category not in Category.values:
        errors["category"] = [_("未知的类别。")]
    if not isinstance(certifications, list | tuple) or any(
        c not in CertificationKind.values for c in certifications
    ):
        errors["certifications"] = [_("未知的资质类别。")]
    if len(note or "") > 200:
        errors["note"] = [_("请不要超过200字。")]
    if errors:
        raise ValidationFailed(fields=errors)
    kinds = sorted(set(certifications))
    if not kinds:
        CategoryRequirement.objects.filter(district=district, category=category).delete()
        audit.record(
            "aid.requirement.removed", actor=actor, data={"district": district.pk, "category": category}
        )
        return None
    row, _created = CategoryRequirement.objects.update_or_create(
        district=district,
        category=category,
        defaults={"certifications": kinds, "note": (note or "").strip(), "updated_by": actor},
    )
    audit.record(
        "aid.requirement.set", actor=actor, target=row, data={"category": category, "certifications": kinds}
    )
    return row


# --- due-time work ------------------------------------------------------------------------------------------


def _target(pk: int | None) -> int:
    if pk is None:
        raise ValueError("timer without a target")
    return pk


def _timer_dispatch(timer: AidTimer) -> None:
    req = (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("elder__user", "community__street")
        .get(pk=_target(timer.request_id))
    )
    if req.status != RequestStatus.OPEN or req.expires_at <= _now():
        return
    if Invitation.objects.filter(request=req, status=InvitationStatus.PENDING).exists():
        return
    if not _dispatch_round(req):
        _give_up_dispatch(req)


def _timer_round_expire(timer: AidTimer) -> None:
    req = (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("elder__user", "community__street")
        .get(pk=_target(timer.request_id))
    )
    if req.status != RequestStatus.OFFERED or req.dispatch_round != timer.round:
        return
    Invitation.objects.filter(request=req, round=timer.round, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.EXPIRED, responded_at=_now()
    )
    if req.expires_at <= _now():
        return  # the request's own expiry closes it
    _next_round_or_give_up(req)


def _timer_request_remind(timer: AidTimer) -> None:
    req = HelpRequest.objects.select_related("elder__user", "community").get(pk=_target(timer.request_id))
    if req.status not in TAKEABLE:
        return
    expires = clock.local(req.expires_at).strftime("%m-%d %H:%M")
    _notify(
        _elder_side_users(req.elder, also=[req.posted_by]),
        "aid.request.expiring",
        req,
        _data(req, expires=expires),
        key=f"aid:{req.pk}:expiring:{timer.pk}",
    )


def _timer_request_expire(timer: AidTimer) -> None:
    req = (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("elder__user", "community")
        .get(pk=_target(timer.request_id))
    )
    if req.status not in TAKEABLE or req.expires_at > _now():
        return
    Invitation.objects.filter(request=req, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.EXPIRED, responded_at=_now()
    )
    _cancel_timers(request=req, kinds=[TimerKind.DISPATCH, TimerKind.ROUND_EXPIRE, TimerKind.REQUEST_REMIND])
    _set_status(req, RequestStatus.EXPIRED, closed_at=_now())
    audit.record("aid.request.expired", target=req)
    _notify(
        _elder_side_users(req.elder, also=[req.posted_by]),
        "aid.request.expired",
        req,
        _data(req),
        key=f"aid:{req.pk}:expired:{timer.pk}",
    )


def _timer_service_remind(timer: AidTimer) -> None:
    req = HelpRequest.objects.select_related("assignee__user", "elder", "community").get(
        pk=_target(timer.request_id)
    )
    if req.status != RequestStatus.ACCEPTED or req.assignee is None:
        return
    _notify(
        [req.assignee.user], "aid.service.upcoming", req, _data(req), key=f"aid:{req.pk}:upcoming:{timer.pk}"
    )


def _timer_confirm_remind(timer: AidTimer) -> None:
    req = HelpRequest.objects.select_related("elder__user", "assignee", "community").get(
        pk=_target(timer.request_id)
    )
    if req.status != RequestStatus.DONE:
        return
    recipients = _elder_side_users(req.elder, also=[req.posted_by]) + _workers_of(req.community_id)
    _notify(
        recipients, "aid.confirm.reminder", req, _data(req), key=f"aid:{req.pk}:confirm_remind:{timer.pk}"
    )


def _timer_offer_remind(timer: AidTimer) -> None:
    offer = HelpOffer.objects.select_related("volunteer__user").get(pk=_target(timer.offer_id))
    if offer.status != OfferStatus.ACTIVE:
        return
    _notify(
        [offer.volunteer.user],
        "aid.offer.expiring",
        None,
        {"expires": clock.local(offer.available_to).strftime("%m-%d %H:%M")},
        key=f"aid:offer:{offer.pk}:expiring:{timer.pk}",
        link="/aid/offers/",
    )


def _timer_offer_expire(timer: AidTimer) -> None:
    offer = (
        HelpOffer.objects.select_for_update(of=("self",))
        .select_related("volunteer__user")
        .get(pk=_target(timer.offer_id))
    )
    if offer.status != OfferStatus.ACTIVE or offer.available_to > _now():
        return
    offer.status = OfferStatus.EXPIRED
    offer.save(update_fields=["status", "updated_at"])
    audit.record("aid.offer.expired", target=offer)
    _notify(
        [offer.volunteer.user],
        "aid.offer.expired",
        None,
        {},
        key=f"aid:offer:{offer.pk}:expired",
        link="/aid/offers/",
    )


TIMER_HANDLERS: dict[str, Callable[[AidTimer], None]] = {
    TimerKind.DISPATCH: _timer_dispatch,
    TimerKind.ROUND_EXPIRE: _timer_round_expire,
    TimerKind.REQUEST_REMIND: _timer_request_remind,
    TimerKind.REQUEST_EXPIRE: _timer_request_expire,
    TimerKind.SERVICE_REMIND: _timer_service_remind,
    TimerKind.CONFIRM_REMIND: _timer_confirm_remind,
    TimerKind.OFFER_REMIND: _timer_offer_remind,
    TimerKind.OFFER_EXPIRE: _timer_offer_expire,
}


def _claim_timers(worker_id: str, batch: int, *, request_id: int | None = None) -> list[int]:
    now = _now()
    due = Q(done_at__isnull=True, due_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    with transaction.atomic():
        qs = AidTimer.objects.filter(due).order_by("due_at", "id")
        if request_id is not None:
            qs = qs.filter(request_id=request_id)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[:batch])
        if ids:
            AidTimer.objects.filter(id__in=ids).update(
                claimed_by=worker_id[:64],
                claimed_until=now + dt.timedelta(seconds=TIMER_CLAIM_SECONDS),
                attempts=F("attempts") + 1,
            )
    return ids


def _run_timer(timer_id: int, worker_id: str) -> bool:
    try:
        with transaction.atomic():
            timer = AidTimer.objects.select_for_update().get(pk=timer_id)
            if timer.done_at is not None or timer.claimed_by != worker_id[:64]:
                return False
            TIMER_HANDLERS[timer.kind](timer)
            AidTimer.objects.filter(pk=timer.pk).update(done_at=_now(), claimed_until=None, last_error="")
        return True
    except Exception as exc:  # one bad row must not stop the others; it is retried after its claim lapses
        log.exception("aid timer %s failed", timer_id)
        with transaction.atomic():
            timer = AidTimer.objects.select_for_update().get(pk=timer_id)
            fields: dict[str, Any] = {"last_error": f"{type(exc).__name__}: {exc}"[:300]}
            if timer.attempts >= TIMER_MAX_ATTEMPTS:
                fields["done_at"] = _now()
            AidTimer.objects.filter(pk=timer_id).update(**fields)
        return False


def run_due_timers(worker_id: str, batch: int = 50) -> int:
    """Worker handler (`aid.timers`): claim due rows (SKIP LOCKED on PostgreSQL), act on each, record."""
    ids = _claim_timers(worker_id, batch)
    for timer_id in ids:
        _run_timer(timer_id, worker_id)
    return len(ids)


def run_request_timers(request_id: int) -> int:
    """Run what is already due for one request right after its commit (e.g. the first dispatch round), so the
    elder does not wait for the worker loop; the worker picks up anything this misses."""
    from shiguang.core.worker import worker_id as current_worker

    wid = f"{current_worker()}:web"
    try:
        ids = _claim_timers(wid, 10, request_id=request_id)
        for timer_id in ids:
            _run_timer(timer_id, wid)
    except Exception:  # the commit already happened; the worker loop retries whatever is left
        log.exception("running timers of request %s after commit failed", request_id)
        return 0
    return len(ids)
