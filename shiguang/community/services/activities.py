"""Activities: publishing (single or weekly), sign-up with a waitlist and automatic promotion, reminders,
QR check-in and attendance.

Concurrency: every change to an activity's sign-ups first locks the activity row (`select_for_update`), so
capacity counts, queue positions (`Activity.signup_seq`) and promotions are decided one at a time. On
SQLite the IMMEDIATE transaction mode gives the same serialisation. Invariant kept by every path: the
confirmed sign-ups are always the earliest (lowest `seq`) active sign-ups, and never more than capacity.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.community.choices import (
    ActivityKind,
    ActivityStatus,
    CheckinMethod,
    ReminderKind,
    ReminderOutcome,
    SignupChannel,
    SignupStatus,
)
from shiguang.community.models import Activity, ActivityReminder, ActivitySeries, Signup
from shiguang.community.services._common import (
    clean_tags,
    describe_when,
    is_worker,
    on_behalf,
    require_act_for_elder,
    require_facility_staff,
)
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.places.choices import FacilityStatus

CHECKIN_OPENS_BEFORE = dt.timedelta(minutes=30)
ATTENDANCE_EDITABLE_FOR = dt.timedelta(days=7)
REMINDER_OFFSETS: dict[str, dt.timedelta] = {
    ReminderKind.DAY_BEFORE: dt.timedelta(days=1),
    ReminderKind.HOUR_BEFORE: dt.timedelta(hours=1),
}
SERIES_HORIZON_DAYS = 28  # weekly series keep four weeks of occurrences open for sign-up
MAX_CAPACITY = 500
MAX_DURATION = dt.timedelta(hours=12)


def search_text(title: str, kind: str, tags: list[str], description: str = "") -> str:
    """What a keyword is matched against first: the title and the free keywords (kind words come second,
    see selectors.activities.keyword_filter)."""
    return " ".join(w for w in (title, *tags) if w).lower()


def _validate_common(
    *, title: str, kind: str, capacity: int, tags: Any, facility: Any
) -> tuple[dict[str, list[str]], list[str]]:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("请填写活动名称。")]
    elif len(title.strip()) > 80:
        errors["title"] = [_("活动名称不超过80个字。")]
    if kind not in ActivityKind.values:
        errors["kind"] = [_("请选择活动类别。")]
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [_("名额应在1到%(max)s之间。") % {"max": MAX_CAPACITY}]
    cleaned, tag_errors = clean_tags(tags)
    if tag_errors:
        errors["tags"] = tag_errors
    if facility.status != FacilityStatus.OPEN:
        errors["facility"] = [_("该服务点未在运营，不能安排活动。")]
    return errors, cleaned


def _new_code() -> str:
    return secrets.token_urlsafe(9)


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    facility: Any,
    title: str,
    kind: str,
    start_at: dt.datetime,
    end_at: dt.datetime,
    capacity: int,
    tags: Any = None,
    description: str = "",
    is_demo: bool = False,
) -> Activity:
    require_facility_staff(actor, facility)
    errors, cleaned = _validate_common(
        title=title, kind=kind, capacity=capacity, tags=tags, facility=facility
    )
    if start_at <= clock.now():
        errors["start_at"] = [_("开始时间必须晚于现在。")]
    if end_at <= start_at:
        errors["end_at"] = [_("结束时间必须晚于开始时间。")]
    elif end_at - start_at > MAX_DURATION:
        errors["end_at"] = [_("单次活动不超过12小时。")]
    if errors:
        raise ValidationFailed(fields=errors)
    activity = Activity.objects.create(
        title=title.strip(),
        kind=kind,
        tags=cleaned,
        description=description.strip(),
        search_text=search_text(title.strip(), kind, cleaned, description),
        facility=facility,
        community_id=facility.community_id,
        start_at=start_at,
        end_at=end_at,
        capacity=capacity,
        checkin_code=_new_code(),
        created_by=actor,
        is_demo=is_demo,
    )
    audit.record(
        "community.activity.created",
        actor=actor,
        target=activity,
        data={"facility": facility.id, "start_at": start_at, "capacity": capacity, "kind": kind},
    )
    return activity


def _occurrence_start(series: ActivitySeries, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, series.start_time, tzinfo=clock.SHANGHAI)


def _generate(series: ActivitySeries, *, until: dt.date) -> int:
    """Create the series' missing occurrences up to `until` (idempotent). Caller holds the series lock."""
    if series.ends_on is not None:
        until = min(until, series.ends_on)
    day = max(series.starts_on, series.generated_until + dt.timedelta(days=1), clock.today())
    day += dt.timedelta(days=(series.weekday - day.weekday()) % 7)
    now = clock.now()
    created = 0
    existing = set(
        Activity.objects.filter(series=series, start_at__gte=_occurrence_start(series, day)).values_list(
            "start_at", flat=True
        )
    )
    while day <= until:
        start = _occurrence_start(series, day)
        if start > now and start not in existing:
            Activity.objects.create(
                series=series,
                title=series.title,
                kind=series.kind,
                tags=series.tags,
                description=series.description,
                search_text=search_text(series.title, series.kind, series.tags, series.description),
                facility_id=series.facility_id,
                community_id=series.community_id,
                start_at=start,
                end_at=start + dt.timedelta(minutes=series.duration_minutes),
                capacity=series.capacity,
                checkin_code=_new_code(),
                created_by_id=series.created_by_id,
                is_demo=series.is_demo,
            )
            created += 1
        day += dt.timedelta(days=7)
    if until > series.generated_until:
        series.generated_until = until
        series.save(update_fields=["generated_until"])
    return created


@transaction.atomic
def series_create(
    *,
    actor: Any,
    facility: Any,
    title: str,
    kind: str,
    weekday: int,
    start_time: dt.time,
    duration_minutes: int,
    capacity: int,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    tags: Any = None,
    description: str = "",
    is_demo: bool = False,
) -> ActivitySeries:
    """A weekly activity; occurrences are generated four weeks ahead and topped up by the worker."""
    require_facility_staff(actor, facility)
    errors, cleaned = _validate_common(
        title=title, kind=kind, capacity=capacity, tags=tags, facility=facility
    )
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = [_("请选择星期几。")]
    if not isinstance(duration_minutes, int) or not 15 <= duration_minutes <= 12 * 60:
        errors["duration_minutes"] = [_("时长应在15分钟到12小时之间。")]
    if starts_on < clock.today():
        errors["starts_on"] = [_("首次日期不能早于今天。")]
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于首次日期。")]
    if errors:
        raise ValidationFailed(fields=errors)
    series = ActivitySeries.objects.create(
        title=title.strip(),
        kind=kind,
        tags=cleaned,
        description=description.strip(),
        facility=facility,
        community_id=facility.community_id,
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration_minutes,
        capacity=capacity,
        starts_on=starts_on,
        ends_on=ends_on,
        generated_until=starts_on - dt.timedelta(days=1),
        created_by=actor,
        is_demo=is_demo,
    )
    created = _generate(series, until=clock.today() + dt.timedelta(days=SERIES_HORIZON_DAYS))
    audit.record(
        "community.series.created",
        actor=actor,
        target=series,
        data={"weekday": weekday, "start_time": start_time.isoformat(), "occurrences": created},
    )
    return series


@transaction.atomic
def series_end(*, actor: Any, series_id: int, reason: str = "") -> ActivitySeries:
    """Stop a weekly activity: no new occurrences; future ones are cancelled and their sign-ups told."""
    series = (
        ActivitySeries.objects.select_for_update(of=("self",))
        .select_related("facility__street")
        .filter(pk=series_id)
        .first()
    )
    if series is None:
        raise NotFound(_("找不到该每周活动。"))
    require_facility_staff(actor, series.facility)
    if not series.active:
        raise Conflict(_("该每周活动已经停止。"))
    series.active = False
    series.ends_on = clock.today()
    series.save(update_fields=["active", "ends_on"])
    future = Activity.objects.filter(
        series=series, start_at__gt=clock.now(), status=ActivityStatus.SCHEDULED
    ).values_list("id", flat=True)
    for activity_id in list(future):
        _cancel(actor=actor, activity_id=activity_id, reason=reason or _("每周活动已停止"))
    audit.record("community.series.ended", actor=actor, target=series, data={"reason": reason[:200]})
    return series


def extend_series(worker_id: str, batch: int = 50) -> int:
    """Worker handler: keep every active weekly series generated SERIES_HORIZON_DAYS ahead."""
    today = clock.today()
    horizon = today + dt.timedelta(days=SERIES_HORIZON_DAYS)
    # Top up once a week's worth is missing, so the handler does nothing most of the time.
    stale = today + dt.timedelta(days=SERIES_HORIZON_DAYS - 7)
    with transaction.atomic():
        qs = ActivitySeries.objects.filter(active=True, generated_until__lt=stale).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        handled = 0
        for series in list(qs[:batch]):
            if series.ends_on is not None and series.generated_until >= series.ends_on:
                series.active = False
                series.save(update_fields=["active"])
                continue
            created = _generate(series, until=horizon)
            audit.record(
                "community.series.extended",
                target=series,
                data={"until": horizon.isoformat(), "created": created, "worker": worker_id},
            )
            handled += 1
    return handled


def _lock_activity(activity_id: Any) -> Activity:
    try:
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("facility__street")
            .filter(pk=int(activity_id))
            .first()
        )
    except (TypeError, ValueError):
        activity = None
    if activity is None:
        raise NotFound(_("找不到该活动。"))
    return activity


def _confirmed_count(activity: Activity) -> int:
    return Signup.objects.filter(activity=activity, status=SignupStatus.CONFIRMED).count()


def _schedule_reminders(signup: Signup, activity: Activity) -> None:
    now = clock.now()
    for kind, offset in REMINDER_OFFSETS.items():
        due = activity.start_at - offset
        if due <= now:
            continue  # too late for this one (e.g. signed up within the last hour)
        ActivityReminder.objects.update_or_create(
            signup=signup,
            kind=kind,
            defaults={"due_at": due, "done_at": None, "outcome": ReminderOutcome.PENDING, "claimed_by": ""},
        )


def _drop_reminders(signup: Signup) -> None:
    ActivityReminder.objects.filter(signup=signup, done_at__isnull=True).update(
        done_at=clock.now(), outcome=ReminderOutcome.SKIPPED
    )


def _data(activity: Activity) -> dict[str, Any]:
    return {
        "title": activity.title,
        "when": describe_when(activity.start_at, activity.end_at),
        "place": activity.facility.name,
        "activity_id": activity.id,
    }


def _notify(recipient: Any, template: str, data: dict[str, Any], dedupe_key: str, link: str = "") -> None:
    from shiguang.notify.services import enqueue

    enqueue(recipient=recipient, template=template, data=data, link=link, dedupe_key=dedupe_key)


def _link(activity: Activity) -> str:
    from django.urls import reverse

    return reverse("community:activities")


def _channel_for(actor: Any, elder: Any, channel: str) -> str:
    if channel:
        if channel not in (
            SignupChannel.ASSISTANT,
            SignupChannel.SELF,
            SignupChannel.PROXY,
            SignupChannel.FAMILY,
        ):
            raise ValidationFailed(fields={"channel": [_("未知的报名方式。")]})
        return channel
    if actor.pk == elder.user_id:
        return SignupChannel.SELF
    if actor.role == Role.FAMILY:
        return SignupChannel.FAMILY
    return SignupChannel.PROXY


@transaction.atomic
def activity_signup(*, actor: Any, activity_id: int, elder: Any, channel: str = "") -> Signup:
    """Sign `elder` up. Past capacity the sign-up goes to the waitlist (status "waitlisted", in order).

    `actor` is the elder, a linked family member, or a worker acting for the elder (audited on_behalf_of);
    the assistant passes channel="assistant".
    """
    require_act_for_elder(actor, elder)
    channel = _channel_for(actor, elder, channel)
    activity = _lock_activity(activity_id)
    now = clock.now()
    if activity.is_cancelled:
        raise Conflict(_("该活动已取消，不能报名。"))
    staff_on_site = is_worker(actor) and now < activity.end_at
    if now >= activity.start_at and not staff_on_site:
        raise Conflict(_("活动已经开始，不能再报名。如有空位，可到现场扫码签到。"))
    existing = (
        Signup.objects.filter(activity=activity, elder=elder).exclude(status=SignupStatus.CANCELLED).first()
    )
    if existing is not None:
        raise Conflict(
            _("%(name)s已报名该活动（%(status)s），无需重复报名。")
            % {"name": elder.name, "status": existing.get_status_display()},
            code="already_signed_up",
        )
    confirmed = _confirmed_count(activity) < activity.capacity
    activity.signup_seq += 1
    activity.save(update_fields=["signup_seq"])
    signup = Signup.objects.create(
        activity=activity,
        elder=elder,
        status=SignupStatus.CONFIRMED if confirmed else SignupStatus.WAITLISTED,
        seq=activity.signup_seq,
        channel=channel,
        signed_up_by=actor,
    )
    if confirmed:
        _schedule_reminders(signup, activity)
    audit.record(
        "community.signup.created",
        actor=actor,
        on_behalf_of=on_behalf(actor, elder.user),
        target=signup,
        data={"activity": activity.id, "status": signup.status, "seq": signup.seq, "channel": channel},
    )
    if actor.pk != elder.user_id:
        template = "community.signup.by_proxy" if confirmed else "community.signup.waitlisted_by_proxy"
        _notify(
            elder.user, template, _data(activity), f"community:signup:{signup.id}:created", _link(activity)
        )
    return signup


def _promote(activity: Activity, *, actor: Any, reason: str) -> list[Signup]:
    """Fill free places from the waitlist in queue order. Caller holds the activity lock."""
    promoted: list[Signup] = []
    free = activity.capacity - _confirmed_count(activity)
    if free <= 0 or activity.is_cancelled or clock.now() >= activity.end_at:
        return promoted
    queue = (
        Signup.objects.select_for_update(of=("self",))
        .select_related("elder__user")
        .filter(activity=activity, status=SignupStatus.WAITLISTED)
        .order_by("seq")[:free]
    )
    for signup in list(queue):
        signup.status = SignupStatus.CONFIRMED
        signup.promoted_at = clock.now()
        signup.save(update_fields=["status", "promoted_at"])
        _schedule_reminders(signup, activity)
        audit.record(
            "community.signup.promoted",
            actor=actor,
            on_behalf_of=signup.elder.user,
            target=signup,
            data={"activity": activity.id, "seq": signup.seq, "reason": reason},
        )
        _notify(
            signup.elder.user,
            "community.signup.promoted",
            _data(activity),
            f"community:signup:{signup.id}:promoted",
            _link(activity),
        )
        promoted.append(signup)
    return promoted


@transaction.atomic
def signup_cancel(*, actor: Any, signup_id: int, reason: str = "") -> Signup:
    """Cancel a sign-up; a freed place goes to the first person on the waitlist, at once."""
    found = Signup.objects.select_related("elder__user").filter(pk=signup_id).first()
    if found is None:
        raise NotFound(_("找不到该报名记录。"))
    require_act_for_elder(actor, found.elder)
    activity = _lock_activity(found.activity_id)  # lock order: activity, then its sign-ups
    signup = Signup.objects.select_for_update(of=("self",)).select_related("elder__user").get(pk=found.pk)
    if signup.status == SignupStatus.CANCELLED:
        raise Conflict(_("该报名已经取消。"))
    if clock.now() >= activity.start_at:
        raise Conflict(_("活动已经开始，不能取消报名。"))
    was = signup.status
    signup.status = SignupStatus.CANCELLED
    signup.cancelled_at = clock.now()
    signup.cancelled_by = actor
    signup.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    _drop_reminders(signup)
    audit.record(
        "community.signup.cancelled",
        actor=actor,
        on_behalf_of=on_behalf(actor, signup.elder.user),
        target=signup,
        data={"activity": activity.id, "was": was, "reason": reason[:200]},
    )
    if was == SignupStatus.CONFIRMED:
        _promote(activity, actor=actor, reason="cancellation")
    return signup


@transaction.atomic
def activity_set_capacity(*, actor: Any, activity_id: int, capacity: int) -> Activity:
    activity = _lock_activity(activity_id)
    require_facility_staff(actor, activity.facility)
    if activity.is_cancelled:
        raise Conflict(_("该活动已取消。"))
    confirmed = _confirmed_count(activity)
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationFailed(fields={"capacity": [_("名额应在1到%(max)s之间。") % {"max": MAX_CAPACITY}]})
    if capacity < confirmed:
        raise ValidationFailed(
            fields={"capacity": [_("已有%(n)s人报名，名额不能少于%(n)s。") % {"n": confirmed}]}
        )
    before = activity.capacity
    activity.capacity = capacity
    activity.save(update_fields=["capacity"])
    audit.record(
        "community.activity.capacity_changed",
        actor=actor,
        target=activity,
        data={"from": before, "to": capacity},
    )
    _promote(activity, actor=actor, reason="capacity")
    return activity


def _cancel(*, actor: Any, activity_id: int, reason: str) -> Activity:
    activity = _lock_activity(activity_id)
    if activity.is_cancelled:
        raise Conflict(_("该活动已经取消。"))
    if clock.now() >= activity.end_at:
        raise Conflict(_("活动已经结束，不能取消。"))
    activity.status = ActivityStatus.CANCELLED
    activity.cancel_reason = reason[:200]
    activity.save(update_fields=["status", "cancel_reason"])
    active = list(
        Signup.objects.select_related("elder__user")
        .filter(activity=activity)
        .exclude(status=SignupStatus.CANCELLED)
    )
    for signup in active:
        _drop_reminders(signup)
        _notify(
            signup.elder.user,
            "community.activity.cancelled",
            {**_data(activity), "reason": activity.cancel_reason or "—"},
            f"community:activity:{activity.id}:cancelled:{signup.elder.user_id}",
            _link(activity),
        )
    audit.record(
        "community.activity.cancelled",
        actor=actor,
        target=activity,
        data={"reason": activity.cancel_reason, "notified": len(active)},
    )
    return activity


@transaction.atomic
def activity_cancel(*, actor: Any, activity_id: int, reason: str = "") -> Activity:
    found = Activity.objects.select_related("facility__street").filter(pk=activity_id).first()
    if found is None:
        raise NotFound(_("找不到该活动。"))
    require_facility_staff(actor, found.facility)
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写取消原因，我们会通知已报名的长者。")]})
    return _cancel(actor=actor, activity_id=found.id, reason=reason.strip())


def checkin_window(activity: Activity) -> tuple[dt.datetime, dt.datetime]:
    return activity.start_at - CHECKIN_OPENS_BEFORE, activity.end_at


def _outside_window(activity: Activity) -> ValidationFailed:
    opens, closes = checkin_window(activity)
    message = _("现在不在签到时间内。本活动签到时间为 %(opens)s 至 %(closes)s。") % {
        "opens": describe_when(opens),
        "closes": f"{clock.local(closes):%H:%M}",
    }
    return ValidationFailed(message, code="outside_checkin_window", fields={"checkin": [message]})


@transaction.atomic
def activity_checkin(*, actor: Any, code: str, elder: Any = None) -> Signup:
    """Check in at the door by scanning the activity's QR code (inside the check-in window only).

    Someone who did not sign up is admitted as a walk-in while places are free.
    """
    from shiguang.people.selectors import elder_for_user

    found = Activity.objects.filter(checkin_code=str(code)[:24]).values_list("id", flat=True).first()
    if found is None:
        raise NotFound(_("签到码无效，请扫描活动现场张贴的二维码。"))
    if elder is None:
        elder = elder_for_user(actor)
        if elder is None:
            raise Forbidden(_("请用长者本人的账户扫码签到；工作人员可在报名名单中登记出勤。"))
    require_act_for_elder(actor, elder)
    activity = _lock_activity(found)
    if activity.is_cancelled:
        raise Conflict(_("该活动已取消。"))
    opens, closes = checkin_window(activity)
    now = clock.now()
    if not opens <= now <= closes:
        raise _outside_window(activity)
    signup = (
        Signup.objects.select_for_update()
        .filter(activity=activity, elder=elder)
        .exclude(status=SignupStatus.CANCELLED)
        .first()
    )
    if signup is not None and signup.checked_in_at is not None:
        raise Conflict(
            _("已经签到过了（%(time)s），无需重复签到。")
            % {"time": f"{clock.local(signup.checked_in_at):%H:%M}"}
        )
    if signup is not None and signup.status == SignupStatus.WAITLISTED:
        raise Conflict(_("您在候补名单中，目前没有空位。请联系现场工作人员。"))
    if signup is None:
        if _confirmed_count(activity) >= activity.capacity:
            raise Conflict(_("本场名额已满，请联系现场工作人员。"))
        activity.signup_seq += 1
        activity.save(update_fields=["signup_seq"])
        signup = Signup.objects.create(
            activity=activity,
            elder=elder,
            status=SignupStatus.CONFIRMED,
            seq=activity.signup_seq,
            channel=SignupChannel.WALK_IN,
            signed_up_by=actor,
        )
    signup.checked_in_at = now
    signup.checkin_method = CheckinMethod.QR
    signup.checked_in_by = actor
    signup.save(update_fields=["checked_in_at", "checkin_method", "checked_in_by"])
    _drop_reminders(signup)
    audit.record(
        "community.signup.checked_in",
        actor=actor,
        on_behalf_of=on_behalf(actor, elder.user),
        target=signup,
        data={
            "activity": activity.id,
            "method": CheckinMethod.QR,
            "walk_in": signup.channel == SignupChannel.WALK_IN,
        },
    )
    return signup


@transaction.atomic
def attendance_mark(*, actor: Any, signup_id: int, attended: bool) -> Signup:
    """Staff record (or correct) attendance from the roster: from check-in opening until 7 days after."""
    found = (
        Signup.objects.select_related("activity__facility__street", "elder__user")
        .filter(pk=signup_id)
        .first()
    )
    if found is None:
        raise NotFound(_("找不到该报名记录。"))
    require_facility_staff(actor, found.activity.facility)
    activity = _lock_activity(found.activity_id)
    signup = Signup.objects.select_for_update(of=("self",)).select_related("elder__user").get(pk=found.pk)
    now = clock.now()
    opens, closes = checkin_window(activity)
    if now < opens:
        raise _outside_window(activity)
    if now > closes + ATTENDANCE_EDITABLE_FOR:
        raise Conflict(_("活动结束已超过7天，出勤记录不能再修改。"))
    if signup.status != SignupStatus.CONFIRMED:
        raise Conflict(_("只有正式报名的长者可以登记出勤（候补或已取消的不行）。"))
    if attended and signup.checked_in_at is None:
        signup.checked_in_at = now
        signup.checkin_method = CheckinMethod.STAFF
        signup.checked_in_by = actor
    elif not attended:
        signup.checked_in_at = None
        signup.checkin_method = ""
        signup.checked_in_by = None
    signup.save(update_fields=["checked_in_at", "checkin_method", "checked_in_by"])
    if attended:
        _drop_reminders(signup)
    audit.record(
        "community.signup.attendance_marked",
        actor=actor,
        on_behalf_of=signup.elder.user,
        target=signup,
        data={"activity": activity.id, "attended": attended},
    )
    return signup


def _recipients(signup: Signup) -> list[Any]:
    """The elder; for elders without a phone also the family members who receive alerts."""
    elder = signup.elder
    people = [elder.user]
    if not elder.has_phone:
        people += [
            link.family_user
            for link in elder.family_links.select_related("family_user")
            if link.receives_alerts
        ]
    return people


def send_due_reminders(worker_id: str, batch: int = 100) -> int:
    """Worker handler: claim due reminder rows (SKIP LOCKED on PostgreSQL) and send each exactly once."""
    now = clock.now()
    with transaction.atomic():
        qs = ActivityReminder.objects.filter(done_at__isnull=True, due_at__lte=now).order_by("due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.select_related("signup__activity__facility", "signup__elder__user")[:batch])
        for row in rows:
            signup = row.signup
            activity = signup.activity
            superseded = (
                row.kind == ReminderKind.DAY_BEFORE
                and now >= activity.start_at - REMINDER_OFFSETS[ReminderKind.HOUR_BEFORE]
            )
            live = (
                signup.status == SignupStatus.CONFIRMED
                and not activity.is_cancelled
                and now < activity.start_at
                and signup.checked_in_at is None
            )
            if live and not superseded:
                data = {**_data(activity), "kind": row.kind}
                for person in _recipients(signup):
                    _notify(
                        person,
                        "community.activity.reminder",
                        data,
                        f"community:reminder:{row.id}:{person.pk}",
                        _link(activity),
                    )
                row.outcome = ReminderOutcome.SENT
            else:
                row.outcome = ReminderOutcome.SKIPPED
            row.done_at = now
            row.claimed_by = worker_id[:64]
            row.save(update_fields=["done_at", "claimed_by", "outcome"])
        return len(rows)
