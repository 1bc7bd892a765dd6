"""Reads of activities, sign-ups and interest groups.

Activities and groups are public notices (no personal data): elders browse them without scoping. Sign-ups,
reminders and memberships hold personal data and are always read through `scoped()`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.utils.translation import gettext as _

from shiguang.community.choices import (
    KIND_KEYWORDS,
    ActivityKind,
    ActivityStatus,
    RuleKey,
    SignupStatus,
)
from shiguang.community.models import (
    Activity,
    ActivitySeries,
    GroupAnnouncement,
    GroupMembership,
    InterestGroup,
    Signup,
)
from shiguang.community.selectors.rules import rule_value
from shiguang.core import clock
from shiguang.core.scoping import scoped

KM_PER_DEG_LAT = 110.574
KEYWORD_SUFFIXES = ("活动", "比赛", "班", "课", "队", "社", "拳")


def _km_per_deg_lng(lat: float) -> float:
    return 111.320 * math.cos(math.radians(lat))


def elder_origin(elder: Any) -> tuple[float, float] | None:
    """Where "near" is measured from: the elder's coarse home location, else the community centre."""
    if elder.home_lat is not None and elder.home_lng is not None:
        return float(elder.home_lat), float(elder.home_lng)
    community = elder.community
    if community.latitude is not None and community.longitude is not None:
        return float(community.latitude), float(community.longitude)
    return None


def with_distance(qs: QuerySet[Activity], origin: tuple[float, float] | None) -> QuerySet[Activity]:
    """Annotate `dist2` (km², equirectangular; exact enough within a district) from `origin`."""
    if origin is None:
        return qs.annotate(dist2=Value(None, output_field=FloatField()))
    lat0, lng0 = origin
    return qs.annotate(
        _dx=ExpressionWrapper((F("facility__longitude") - lng0) * _km_per_deg_lng(lat0), FloatField()),
        _dy=ExpressionWrapper((F("facility__latitude") - lat0) * KM_PER_DEG_LAT, FloatField()),
    ).annotate(dist2=ExpressionWrapper(F("_dx") * F("_dx") + F("_dy") * F("_dy"), FloatField()))


def kinds_for_keyword(keyword: str) -> list[str]:
    word = keyword.strip().lower()
    kinds = []
    for kind, words in KIND_KEYWORDS.items():
        if word in (kind, str(ActivityKind(kind).label).lower()) or word in words:
            kinds.append(str(kind))
    return kinds


def keyword_filter(qs: QuerySet[Activity], keyword: str) -> QuerySet[Activity]:
    """Match what an elder says ("太极", "手机课", "讲座"): the title and free keywords first; if nothing
    matches, the activity kind the word belongs to (e.g. "跳舞" → exercise)."""
    word = keyword.strip().lower()[:20]
    if not word:
        return qs
    candidates = [word]
    for suffix in KEYWORD_SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            candidates.append(word[: -len(suffix)])
    for candidate in candidates:
        direct = qs.filter(search_text__icontains=candidate)
        if direct.exists():
            return direct
    kinds = kinds_for_keyword(word)
    if kinds:
        return qs.filter(kind__in=kinds)
    return qs.none()


def activities_for_elder(elder: Any, *, keyword: str = "", days: int = 7) -> QuerySet[Activity]:
    """Upcoming (not yet ended) activities in the next `days` days near the elder: within the district's
    radius (default 3 km) of their home, or at a facility in their own community. Soonest first."""
    now = clock.now()
    days = max(1, min(int(days), 60))
    qs = Activity.objects.filter(
        status=ActivityStatus.SCHEDULED, end_at__gt=now, start_at__lte=now + dt.timedelta(days=days)
    ).select_related("facility", "community")
    origin = elder_origin(elder)
    qs = with_distance(qs, origin)
    own = Q(facility__community_id=elder.community_id)
    if origin is not None:
        radius = float(rule_value(RuleKey.ACTIVITY_RADIUS_KM, elder.community.street.district_id))
        qs = qs.filter(Q(dist2__lte=radius * radius) | own)
    else:
        qs = qs.filter(
            own | Q(facility__street_id=elder.community.street_id, facility__community__isnull=True)
        )
    if keyword:
        qs = keyword_filter(qs, keyword)
    return qs.order_by("start_at", "dist2", "id")


def confirmed_counts(activity_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = (
        Signup.objects.filter(activity_id__in=activity_ids)
        .exclude(status=SignupStatus.CANCELLED)
        .values("activity_id", "status")
        .annotate(n=Count("id"))
    )
    counts: dict[int, dict[str, int]] = {i: {"confirmed": 0, "waitlisted": 0} for i in activity_ids}
    for row in rows:
        counts[row["activity_id"]][row["status"]] = row["n"]
    return counts


def waitlist_position(signup: Signup) -> int | None:
    if signup.status != SignupStatus.WAITLISTED:
        return None
    return (
        Signup.objects.filter(
            activity_id=signup.activity_id, status=SignupStatus.WAITLISTED, seq__lt=signup.seq
        ).count()
        + 1
    )


@dataclass
class Card:
    """What an elder's activity card shows."""

    activity: Activity
    confirmed: int
    waitlisted: int
    distance_km: float | None
    signup: Signup | None
    position: int | None

    @property
    def seats_left(self) -> int:
        return max(self.activity.capacity - self.confirmed, 0)

    @property
    def full(self) -> bool:
        return self.seats_left == 0


def cards(activities: list[Activity], elder: Any) -> list[Card]:
    ids = [a.id for a in activities]
    counts = confirmed_counts(ids)
    mine = {
        s.activity_id: s
        for s in Signup.objects.filter(activity_id__in=ids, elder=elder).exclude(
            status=SignupStatus.CANCELLED
        )
    }
    result = []
    for a in activities:
        dist2 = getattr(a, "dist2", None)
        signup = mine.get(a.id)
        result.append(
            Card(
                activity=a,
                confirmed=counts[a.id]["confirmed"],
                waitlisted=counts[a.id]["waitlisted"],
                distance_km=round(math.sqrt(dist2), 1) if dist2 is not None else None,
                signup=signup,
                position=waitlist_position(signup) if signup is not None else None,
            )
        )
    return result


def card_for(activity_id: int, elder: Any) -> Card | None:
    activity = with_distance(
        Activity.objects.select_related("facility", "community").filter(pk=activity_id), elder_origin(elder)
    ).first()
    return cards([activity], elder)[0] if activity is not None else None


def signup_message(signup: Signup) -> str:
    """The sentence an elder (or the assistant) hears after signing up."""
    activity = signup.activity
    from shiguang.community.services._common import describe_when

    when = describe_when(activity.start_at, activity.end_at)
    if signup.status == SignupStatus.CONFIRMED:
        return _("报名成功！“%(title)s”，%(when)s，地点：%(place)s。活动前一天和前一小时会提醒您。") % {
            "title": activity.title,
            "when": when,
            "place": activity.facility.name,
        }
    if signup.status == SignupStatus.WAITLISTED:
        return _("名额已满，已为您登记候补第%(n)s位。有人取消时会按顺序自动递补，并通知您。") % {
            "n": waitlist_position(signup)
        }
    return _("报名已取消。")


def my_signups(elder: Any, *, upcoming: bool = True) -> QuerySet[Signup]:
    qs = (
        Signup.objects.filter(elder=elder)
        .exclude(status=SignupStatus.CANCELLED)
        .select_related("activity__facility")
        .order_by("activity__start_at")
    )
    if upcoming:
        qs = qs.filter(activity__end_at__gt=clock.now(), activity__status=ActivityStatus.SCHEDULED)
    return qs


def signups_for(actor: Any, elder: Any, *, upcoming: bool = True) -> QuerySet[Signup]:
    return scoped(my_signups(elder, upcoming=upcoming), actor)


def activities_for_staff(
    actor: Any, *, start: dt.date | None = None, end: dt.date | None = None, status: str = ""
) -> QuerySet[Activity]:
    qs = scoped(Activity.objects.select_related("facility", "community", "series"), actor)
    if start is not None:
        qs = qs.filter(start_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=clock.SHANGHAI))
    if end is not None:
        qs = qs.filter(
            start_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=clock.SHANGHAI)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        n_confirmed=Count("signups", filter=Q(signups__status=SignupStatus.CONFIRMED)),
        n_waitlisted=Count("signups", filter=Q(signups__status=SignupStatus.WAITLISTED)),
        n_attended=Count("signups", filter=Q(signups__checked_in_at__isnull=False)),
    ).order_by("start_at", "id")


def series_for_staff(actor: Any) -> QuerySet[ActivitySeries]:
    return scoped(ActivitySeries.objects.select_related("facility"), actor).filter(active=True)


def activity_for_staff(actor: Any, activity_id: int) -> Activity:
    from shiguang.core.scoping import get_scoped

    return get_scoped(
        Activity.objects.select_related("facility__street", "community", "series"), actor, pk=activity_id
    )


def activity_public(activity_id: Any) -> Activity | None:
    try:
        return Activity.objects.select_related("facility", "community").filter(pk=int(activity_id)).first()
    except (TypeError, ValueError):
        return None


def roster(actor: Any, activity: Activity) -> QuerySet[Signup]:
    """Everyone signed up (confirmed first, then the waitlist in order, then cancellations)."""
    return (
        scoped(Signup.objects.filter(activity=activity), actor)
        .select_related("elder__community", "elder__user", "signed_up_by", "checked_in_by")
        .order_by("seq")
    )


def attendance_summary(actor: Any, *, start: dt.date, end: dt.date) -> dict[str, Any]:
    rows = list(activities_for_staff(actor, start=start, end=end).exclude(status=ActivityStatus.CANCELLED))
    by_kind: dict[str, dict[str, Any]] = {}
    for a in rows:
        entry = by_kind.setdefault(
            a.kind, {"label": str(a.get_kind_display()), "activities": 0, "signed": 0, "attended": 0}
        )
        entry["activities"] += 1
        entry["signed"] += a.n_confirmed  # type: ignore[attr-defined]
        entry["attended"] += a.n_attended  # type: ignore[attr-defined]
    return {
        "activities": len(rows),
        "signed": sum(r["signed"] for r in by_kind.values()),
        "attended": sum(r["attended"] for r in by_kind.values()),
        "by_kind": list(by_kind.values()),
    }


# --- interest groups ----------------------------------------------------------------------------------------


def groups_for_user(user: Any) -> QuerySet[InterestGroup]:
    """Groups an elder/volunteer/family member can join: in their community and street (their own first)."""
    community = user.community
    qs = InterestGroup.objects.filter(active=True).select_related("community", "facility")
    if community is None:
        profile = getattr(user, "elder_profile", None) or getattr(user, "volunteer_profile", None)
        community = getattr(profile, "community", None)
    if community is not None:
        qs = qs.filter(community__street_id=community.street_id)
    return qs.annotate(n_members=Count("memberships", filter=Q(memberships__left_at__isnull=True))).order_by(
        "name"
    )


def groups_for_staff(actor: Any) -> QuerySet[InterestGroup]:
    return scoped(InterestGroup.objects.select_related("community", "facility"), actor).annotate(
        n_members=Count("memberships", filter=Q(memberships__left_at__isnull=True))
    )


def group_get(group_id: Any) -> InterestGroup | None:
    try:
        return InterestGroup.objects.select_related("community", "facility").filter(pk=int(group_id)).first()
    except (TypeError, ValueError):
        return None


def is_member(user: Any, group: InterestGroup) -> bool:
    return GroupMembership.objects.filter(group=group, user=user, left_at__isnull=True).exists()


def members(actor: Any, group: InterestGroup) -> QuerySet[GroupMembership]:
    return (
        scoped(GroupMembership.objects.filter(group=group, left_at__isnull=True), actor)
        .select_related("user")
        .order_by("-role", "created_at")
    )


def announcements(actor: Any, group: InterestGroup) -> QuerySet[GroupAnnouncement]:
    """Members and staff in scope read a group's announcements."""
    from shiguang.community.services._common import is_worker
    from shiguang.core.scoping import in_scope

    qs = GroupAnnouncement.objects.filter(group=group).select_related("posted_by")
    if is_member(actor, group) or (is_worker(actor) and in_scope(group.community, actor)):
        return qs
    return qs.none()


def groups_of(user: Any) -> QuerySet[InterestGroup]:
    return InterestGroup.objects.filter(memberships__user=user, memberships__left_at__isnull=True).distinct()


def facilities_for(actor: Any) -> QuerySet[Any]:
    """Open facilities where the actor may schedule activities or training (same rule as the services)."""
    from shiguang.accounts.choices import Role
    from shiguang.places.choices import FacilityStatus
    from shiguang.places.models import Facility

    qs = Facility.objects.filter(status=FacilityStatus.OPEN).select_related("street", "community")
    if actor.is_superuser or actor.role == Role.ADMIN:
        return qs.order_by("street_id", "level", "name")
    if actor.role == Role.DISTRICT_STAFF and actor.district_id:
        qs = qs.filter(street__district_id=actor.district_id)
    elif actor.role == Role.STREET_STAFF and actor.street_id:
        qs = qs.filter(street_id=actor.street_id)
    elif actor.role == Role.COMMUNITY_WORKER and actor.community_id:
        qs = qs.filter(community_id=actor.community_id)
    else:
        return qs.none()
    return qs.order_by("street_id", "level", "name")
