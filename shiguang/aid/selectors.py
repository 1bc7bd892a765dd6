"""Reads of the mutual-aid square, always through the actor's scope."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value

from shiguang.accounts.choices import Role
from shiguang.aid import dispatch, matching
from shiguang.aid import permissions as perms
from shiguang.aid.choices import (
    LOAD_STATES,
    TAKEABLE,
    UNFINISHED,
    Category,
    DisputeStatus,
    InvitationStatus,
    OfferStatus,
    RequestStatus,
    Urgency,
)
from shiguang.aid.models import (
    AidPolicy,
    Block,
    CategoryRequirement,
    Dispute,
    ElderPreference,
    HelpOffer,
    HelpRequest,
    Invitation,
    Rating,
)
from shiguang.core import clock
from shiguang.core.errors import ValidationFailed
from shiguang.core.scoping import get_scoped, scope_q, scoped
from shiguang.people.models import ElderProfile, VolunteerProfile

FEED_SORTS = ("nearest", "urgent", "newest", "soonest")
URGENCY_ORDER = {Urgency.TODAY: 0, Urgency.SOON: 1, Urgency.THIS_WEEK: 2, Urgency.ANYTIME: 3}


def open_requests_for(elder: Any) -> QuerySet[HelpRequest]:
    """The elder's unfinished requests (open, offered, accepted, in service), newest first.

    `elder` is an ElderProfile (or the elder's User). Read in the elder's own scope."""
    if not isinstance(elder, ElderProfile):
        elder = ElderProfile.objects.select_related("user").get(user=elder)
    qs = HelpRequest.objects.filter(elder=elder, status__in=UNFINISHED).select_related(
        "assignee", "community"
    )
    return scoped(qs, elder.user).order_by("-created_at", "-id")


def request_get(actor: Any, request_id: Any) -> HelpRequest:
    return get_scoped(
        HelpRequest.objects.select_related(
            "elder__user", "community__street", "assignee__user", "posted_by", "confirmed_by"
        ),
        actor,
        pk=request_id,
    )


def requests_for(
    actor: Any, *, statuses: list[str] | None = None, elder_id: int | None = None, category: str = ""
) -> QuerySet[HelpRequest]:
    """Requests the actor may see: an elder's own, a family's elders', a worker's area."""
    qs = HelpRequest.objects.select_related("elder", "community", "assignee")
    if actor.role == Role.VOLUNTEER:
        qs = qs.filter(Q(assignee__user=actor) | Q(invitations__volunteer__user=actor))
    if statuses:
        qs = qs.filter(status__in=statuses)
    if elder_id:
        qs = qs.filter(elder_id=elder_id)
    if category:
        qs = qs.filter(category=category)
    return scoped(qs, actor).order_by("-created_at", "-id")


# --- the square ---------------------------------------------------------------------------------------------


@dataclass
class FeedFilters:
    category: str = ""
    urgency: str = ""
    within_km: float | None = None
    lat: float | None = None
    lng: float | None = None
    sort: str = "nearest"
    offset: int = 0
    limit: int = 20

    def validate(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.category and self.category not in Category.values:
            errors["category"] = ["unknown category"]
        if self.urgency and self.urgency not in Urgency.values:
            errors["urgency"] = ["unknown urgency"]
        if self.within_km is not None and not 0.1 <= self.within_km <= 30:
            errors["within_km"] = ["0.1–30"]
        if self.lat is not None and not 21 <= self.lat <= 24:
            errors["lat"] = ["21–24 (Shenzhen)"]
        if self.lng is not None and not 112 <= self.lng <= 116:
            errors["lng"] = ["112–116 (Shenzhen)"]
        if self.sort not in FEED_SORTS:
            errors["sort"] = [", ".join(FEED_SORTS)]
        if self.offset < 0:
            errors["offset"] = [">= 0"]
        if not 1 <= self.limit <= 50:
            errors["limit"] = ["1–50"]
        if errors:
            raise ValidationFailed(fields=errors)


@dataclass
class FeedPage:
    count: int
    items: list[dict[str, Any]]
    next_offset: int | None


def _origin_expressions(actor: Any, filters: FeedFilters) -> tuple[Any, Any] | None:
    """(x0, y0) of the point distances are measured from, as SQL expressions: a given lat/lng, else the
    volunteer's base (or a staff member's community centre) read by a subquery inside the feed's one query."""
    from django.db.models import Subquery

    from shiguang.places.models import Community

    if filters.lat is not None and filters.lng is not None:
        px, py = dispatch.project(filters.lat, filters.lng)
        return Value(px), Value(py)
    if actor.role == Role.VOLUNTEER:
        base = VolunteerProfile.objects.filter(user_id=actor.pk)
        lat, lng = Subquery(base.values("base_lat")[:1]), Subquery(base.values("base_lng")[:1])
    elif getattr(actor, "community_id", None):
        place = Community.objects.filter(pk=actor.community_id)
        lat, lng = Subquery(place.values("latitude")[:1]), Subquery(place.values("longitude")[:1])
    else:
        return None
    return (
        (lng - Value(dispatch.LNG0)) * Value(dispatch.KM_PER_DEG_LNG),
        (lat - Value(dispatch.LAT0)) * Value(dispatch.KM_PER_DEG_LAT),
    )


def feed(actor: Any, filters: FeedFilters) -> FeedPage:
    """Takeable requests for the square, nearest (or most urgent / newest / soonest) first.

    Volunteers never see requests from elders who blocked them (or whom they blocked), nor requests whose
    elder asked for a volunteer of the other gender. Distances are from the volunteer's base (or a given
    point), on the same projection as dispatch; the address is never shown here.

    Volunteers are the square's hot path and are served from a per-process snapshot (`_feed_snapshot`, see
    below); everyone else (staff in their area, elders and family for their own) goes through the ORM with
    the actor's scope. A test keeps the two in step (test_feed_snapshot_matches_the_orm)."""
    filters.validate()
    if actor.role == Role.VOLUNTEER and actor.is_authenticated and actor.is_active:
        return _feed_snapshot(actor, filters)
    return _feed_orm(actor, filters)


def _feed_orm(actor: Any, filters: FeedFilters) -> FeedPage:
    from django.db.models import Count, Subquery, Window

    qs = HelpRequest.objects.filter(status__in=TAKEABLE)
    q = scope_q(HelpRequest, actor)
    if actor.role != Role.VOLUNTEER:
        if q is not None:
            qs = qs.filter(q)  # staff: their area; elders and family: their own
    elif not (actor.is_authenticated and actor.is_active):
        qs = qs.none()
    else:
        # HelpRequest.Scoping grants a volunteer every takeable request; the feed lists only takeable ones, so
        # the scope reduces to the status filter above (and needs no join and no DISTINCT).
        gender = Subquery(VolunteerProfile.objects.filter(user_id=actor.pk).values("gender")[:1])
        qs = qs.filter(Q(required_gender="") | Q(required_gender=gender))
        blocks = Block.objects.filter(
            Q(blocker_id=actor.pk, blocked_id=OuterRef("elder__user_id"))
            | Q(blocked_id=actor.pk, blocker_id=OuterRef("elder__user_id"))
        )
        qs = qs.exclude(Exists(blocks))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    origin = _origin_expressions(actor, filters)
    if origin is not None:
        x0, y0 = origin
        dx = (F("lng") - Value(dispatch.LNG0)) * Value(dispatch.KM_PER_DEG_LNG) - x0
        dy = (F("lat") - Value(dispatch.LAT0)) * Value(dispatch.KM_PER_DEG_LAT) - y0
        qs = qs.annotate(d2=dx * dx + dy * dy)
        if filters.within_km is not None:
            qs = qs.filter(d2__lte=filters.within_km**2)
    elif filters.within_km is not None:
        qs = qs.none()  # no point to measure from: nothing is "within"
    if filters.sort == "nearest" and origin is not None:
        qs = qs.order_by(F("d2").asc(nulls_last=True), "-created_at", "-id")
    elif filters.sort == "soonest":
        qs = qs.order_by(F("start_at").asc(nulls_last=True), "expires_at", "id")
    elif filters.sort == "urgent" or (filters.sort == "nearest" and origin is None):
        qs = qs.order_by("expires_at", "id")
    else:
        qs = qs.order_by("-created_at", "-id")
    fields = [
        "id",
        "category",
        "description",
        "urgency",
        "start_at",
        "end_at",
        "duration_minutes",
        "place_kind",
        "status",
        "created_at",
        "expires_at",
        "community__name",
        "required_gender",
    ]
    if origin is not None:
        fields.append("d2")
    page = qs.annotate(total=Window(Count("id"))).values(*fields, "total")
    rows = list(page[filters.offset : filters.offset + filters.limit])
    count = rows[0]["total"] if rows else (qs.count() if filters.offset else 0)
    items = [_feed_item(row) for row in rows]
    end = filters.offset + len(items)
    return FeedPage(count=count, items=items, next_offset=end if end < count else None)


# --- the volunteer's square: a per-process snapshot of the takeable requests -------------------------------
# The square is read far more often than requests change (a few posts and accepts a minute in a district), so
# each web process keeps the takeable requests in memory and rebuilds them when they are older than
# AID_FEED_SNAPSHOT_SECONDS (default 2 s) or when this process changed a request. Each volunteer's own facts
# (gender, base, blocks) are cached for AID_FEED_FACTS_SECONDS (default 30 s). A request taken meanwhile may
# show for at most that long; accepting is decided by the database, so it then gets a clear 409. Filtering,
# distances and ordering are the same as the ORM query (`_feed_orm`, used for staff);
# test_feed_snapshot_matches_the_orm keeps them equal.

_SNAPSHOT_FIELDS = (
    "id",
    "category",
    "description",
    "urgency",
    "start_at",
    "end_at",
    "duration_minutes",
    "place_kind",
    "status",
    "created_at",
    "expires_at",
    "community__name",
    "required_gender",
    "lat",
    "lng",
    "elder__user_id",
)
_GENDER_CODES = {"": 0, "female": 1, "male": 2}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_NEVER = np.iinfo(np.int64).max


def _micros(value: dt.datetime | None) -> int:
    return _NEVER if value is None else (value - _EPOCH) // _MICRO


@dataclass
class _Snapshot:
    """The takeable requests as rows (for the page) and as columns (for filtering, distances and sorting)."""

    built_at: float
    rows: list[dict[str, Any]]
    ids: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    gender: np.ndarray
    elder_user: np.ndarray
    category: np.ndarray
    urgency: np.ndarray
    created: np.ndarray
    expires: np.ndarray
    start: np.ndarray

    @classmethod
    def load(cls) -> _Snapshot:
        rows = list(HelpRequest.objects.filter(status__in=TAKEABLE).values(*_SNAPSHOT_FIELDS))
        nan = float("nan")
        return cls(
            built_at=time.monotonic(),
            rows=rows,
            ids=np.array([r["id"] for r in rows], dtype=np.int64),
            lat=np.array([nan if r["lat"] is None else r["lat"] for r in rows], dtype=np.float64),
            lng=np.array([nan if r["lng"] is None else r["lng"] for r in rows], dtype=np.float64),
            gender=np.array([_GENDER_CODES.get(r["required_gender"], 3) for r in rows], dtype=np.int8),
            elder_user=np.array([r["elder__user_id"] for r in rows], dtype=np.int64),
            category=np.array([r["category"] for r in rows], dtype=object),
            urgency=np.array([r["urgency"] for r in rows], dtype=object),
            created=np.array([_micros(r["created_at"]) for r in rows], dtype=np.int64),
            expires=np.array([_micros(r["expires_at"]) for r in rows], dtype=np.int64),
            start=np.array([_micros(r["start_at"]) for r in rows], dtype=np.int64),
        )


_snapshot_lock = threading.Lock()
_snapshot: _Snapshot | None = None
_volunteer_facts: dict[int, tuple[float, tuple[str, float | None, float | None, frozenset[int]]]] = {}
_VOLUNTEER_FACTS_MAX = 20_000


def _snapshot_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "AID_FEED_SNAPSHOT_SECONDS", 2.0))


def invalidate_feed(*args: Any, **kwargs: Any) -> None:
    """Forget this process's snapshot and volunteer facts (a request, block or profile changed here)."""
    global _snapshot
    _snapshot = None
    _volunteer_facts.clear()


def _takeable() -> _Snapshot:
    global _snapshot
    current = _snapshot
    if current is not None and time.monotonic() - current.built_at < _snapshot_seconds():
        return current
    with _snapshot_lock:
        current = _snapshot
        if current is None or time.monotonic() - current.built_at >= _snapshot_seconds():
            current = _Snapshot.load()
            _snapshot = current
    return current


def _facts_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "AID_FEED_FACTS_SECONDS", 30.0))


_FACTS_SQL = """
SELECT 'p', v.gender, v.base_lat, v.base_lng, NULL FROM people_volunteerprofile v WHERE v.user_id = %s
UNION ALL
SELECT 'b', NULL, NULL, NULL, CASE WHEN b.blocker_id = %s THEN b.blocked_id ELSE b.blocker_id END
FROM aid_block b WHERE b.blocker_id = %s OR b.blocked_id = %s
"""


def _facts(actor: Any) -> tuple[str, float | None, float | None, frozenset[int]]:
    """(gender, base lat, base lng, users blocked either way) of a volunteer: one small query, cached per
    process for AID_FEED_FACTS_SECONDS (default 30 s; this process forgets at once when a block or profile
    changes here). A block made elsewhere may take that long to hide a request from the square; accepting and
    dispatch always check blocks in the database."""
    from django.db import connection

    now = time.monotonic()
    cached = _volunteer_facts.get(actor.pk)
    if cached is not None and now - cached[0] < _facts_seconds():
        return cached[1]
    gender, base_lat, base_lng, blocked = "", None, None, set()
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_SQL, [actor.pk] * 4)
        for kind, g, lat, lng, other in cursor.fetchall():
            if kind == "p":
                gender, base_lat, base_lng = g or "", lat, lng
            elif other is not None:
                blocked.add(int(other))
    facts = (gender, base_lat, base_lng, frozenset(blocked))
    if len(_volunteer_facts) >= _VOLUNTEER_FACTS_MAX:
        _volunteer_facts.clear()
    _volunteer_facts[actor.pk] = (now, facts)
    return facts


def _feed_snapshot(actor: Any, filters: FeedFilters) -> FeedPage:
    snap = _takeable()
    gender, base_lat, base_lng, blocked = _facts(actor)
    x0: float | None
    y0: float | None
    if filters.lat is not None and filters.lng is not None:
        x0, y0 = dispatch.project(filters.lat, filters.lng)
    elif base_lat is not None and base_lng is not None:
        # Same operations, in the same order, as the SQL the ORM path generates, so distances agree exactly.
        x0 = (base_lng - dispatch.LNG0) * dispatch.KM_PER_DEG_LNG
        y0 = (base_lat - dispatch.LAT0) * dispatch.KM_PER_DEG_LAT
    else:
        x0 = y0 = None
    keep = (snap.gender == 0) | (snap.gender == _GENDER_CODES.get(gender, 3))
    if blocked:
        keep &= ~np.isin(snap.elder_user, np.fromiter(blocked, dtype=np.int64))
    if filters.category:
        keep &= snap.category == filters.category
    if filters.urgency:
        keep &= snap.urgency == filters.urgency
    if x0 is not None and y0 is not None:
        dx = (snap.lng - dispatch.LNG0) * dispatch.KM_PER_DEG_LNG - x0
        dy = (snap.lat - dispatch.LAT0) * dispatch.KM_PER_DEG_LAT - y0
        d2 = dx * dx + dy * dy  # NaN where the request has no location
    else:
        d2 = np.full(len(snap.rows), np.nan)
    if filters.within_km is not None:
        keep &= d2 <= filters.within_km**2  # NaN compares false: no location, not within
    idx = np.nonzero(keep)[0]
    missing = np.isnan(d2[idx])
    # np.lexsort: the last key is the primary one. Mirrors the SQL ORDER BY of `_feed_orm` exactly.
    keys: tuple[np.ndarray, ...]
    if filters.sort == "nearest":
        keys = (-snap.ids[idx], -snap.created[idx], np.where(missing, 0.0, d2[idx]), missing)
    elif filters.sort == "urgent":
        keys = (snap.ids[idx], snap.expires[idx])
    elif filters.sort == "soonest":
        keys = (snap.ids[idx], snap.expires[idx], snap.start[idx])
    else:
        keys = (-snap.ids[idx], -snap.created[idx])
    ordered = idx[np.lexsort(keys)] if len(idx) else idx
    count = len(ordered)
    page = ordered[filters.offset : filters.offset + filters.limit]
    items = [_feed_item({**snap.rows[i], "d2": None if np.isnan(d2[i]) else float(d2[i])}) for i in page]
    end = filters.offset + len(items)
    return FeedPage(count=count, items=items, next_offset=end if end < count else None)


_CATEGORY_LABELS = dict(Category.choices)
_URGENCY_LABELS = dict(Urgency.choices)


def _feed_item(row: dict[str, Any]) -> dict[str, Any]:
    d2 = row.get("d2")
    return {
        "id": row["id"],
        "category": row["category"],
        "category_label": str(_CATEGORY_LABELS.get(row["category"], row["category"])),
        "description": row["description"],
        "urgency": row["urgency"],
        "urgency_label": str(_URGENCY_LABELS.get(row["urgency"], row["urgency"])),
        "start_at": row["start_at"],
        "end_at": row["end_at"],
        "duration_minutes": row["duration_minutes"],
        "place_kind": row["place_kind"],
        "community": row["community__name"],
        "status": row["status"],
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "distance_km": round(d2**0.5, 1) if d2 is not None else None,
        "required_gender": row["required_gender"],
    }


# --- volunteers' tasks --------------------------------------------------------------------------------------


def tasks_for(actor: Any) -> dict[str, list[Any]]:
    volunteer = perms.volunteer_of(actor)
    if volunteer is None:
        return {"invitations": [], "active": [], "recent": []}
    invitations = list(
        scoped(
            Invitation.objects.filter(volunteer=volunteer, status=InvitationStatus.PENDING),
            actor,
        )
        .select_related("request__community", "request__elder")
        .order_by("due_at")
    )
    base = scoped(HelpRequest.objects.filter(assignee=volunteer), actor).select_related("community", "elder")
    active = list(
        base.filter(status__in=[*LOAD_STATES, RequestStatus.DONE]).order_by("start_at", "accepted_at")
    )
    recent = list(
        base.exclude(status__in=[*LOAD_STATES, RequestStatus.DONE]).order_by("-status_changed_at")[:20]
    )
    return {"invitations": invitations, "active": active, "recent": recent}


# --- the worker's console -----------------------------------------------------------------------------------


def console_queue(actor: Any) -> dict[str, list[HelpRequest]]:
    """What needs a human in the worker's area, most pressing first."""
    now = clock.now()
    base = scoped(HelpRequest.objects.all(), actor).select_related("elder", "community", "assignee")
    unmatched = list(base.filter(status=RequestStatus.OPEN).order_by("expires_at")[:100])
    waiting = list(base.filter(status=RequestStatus.OFFERED).order_by("expires_at")[:100])
    late = list(
        base.filter(status=RequestStatus.ACCEPTED, start_at__lt=now - dt.timedelta(minutes=30)).order_by(
            "start_at"
        )[:100]
    )
    unconfirmed = list(
        base.filter(status=RequestStatus.DONE, status_changed_at__lt=now - dt.timedelta(hours=24)).order_by(
            "status_changed_at"
        )[:100]
    )
    no_show = list(
        base.filter(status=RequestStatus.NO_SHOW, status_changed_at__gte=now - dt.timedelta(days=7)).order_by(
            "-status_changed_at"
        )[:50]
    )
    return {
        "unmatched": unmatched,
        "waiting": waiting,
        "late": late,
        "unconfirmed": unconfirmed,
        "no_show": no_show,
    }


def disputes_for(actor: Any, *, status: str = DisputeStatus.OPEN) -> QuerySet[Dispute]:
    qs = Dispute.objects.select_related("request__elder", "request__assignee", "raised_by")
    if status:
        qs = qs.filter(status=status)
    return scoped(qs, actor).order_by("created_at", "id")


def dispute_get(actor: Any, dispute_id: Any) -> Dispute:
    return get_scoped(
        Dispute.objects.select_related("request__elder", "request__assignee", "request__record", "raised_by"),
        actor,
        pk=dispute_id,
    )


@dataclass
class CandidateRow:
    volunteer: VolunteerProfile
    score: float
    distance_km: float
    factors: dict[str, float]
    details: dict[str, Any]
    problem: str = ""


def candidates(actor: Any, req: HelpRequest, *, top: int = 10) -> tuple[list[CandidateRow], dict[str, Any]]:
    """Ranked candidates with each factor's points, for the dispatch console (workers only)."""
    from shiguang.core.errors import Forbidden

    if not perms.is_worker_for(actor, req.elder):
        raise Forbidden()
    result = matching.rank_for(req, top=top, exclude_invited=False)
    by_id = VolunteerProfile.objects.select_related("user", "community").in_bulk(
        [c.volunteer_id for c in result.candidates]
    )
    rows = [
        CandidateRow(by_id[c.volunteer_id], c.score, c.distance_km, c.factors, c.details)
        for c in result.candidates
        if c.volunteer_id in by_id
    ]
    invited = {
        inv.volunteer_id: inv for inv in Invitation.objects.filter(request=req).select_related("volunteer")
    }
    for row in rows:
        inv = invited.get(row.volunteer.pk)
        if inv is not None:
            row.details["invitation"] = inv.get_status_display()
    policy = matching.policy_for(matching.district_of(req.community))
    summary = {
        "examined": result.examined,
        "excluded": result.excluded,
        "max_distance_km": policy.max_distance_km,
        "certifications": matching.required_certifications(matching.district_of(req.community), req.category),
        "insurance": matching.needs_insurance(req, policy),
        "weights": dispatch.WEIGHTS,
        "location_source": req.location_source,
    }
    return rows, summary


def explain_volunteer(actor: Any, req: HelpRequest, volunteer: VolunteerProfile) -> dict[str, Any]:
    """Score one volunteer the worker typed in, with the reason they would not be dispatched automatically."""
    from shiguang.core.errors import Forbidden

    if not perms.is_worker_for(actor, req.elder):
        raise Forbidden()
    arrays = dispatch.volunteer_index()
    ctx = matching.context_for(req, arrays, exclude_invited=False)
    explained = dispatch.explain_one(arrays, ctx.query, volunteer.pk)
    problem = matching.eligibility_problem(volunteer, req)
    return {
        "candidate": explained,
        "problem": problem[1] if problem else "",
    }


def volunteer_search(actor: Any, query: str) -> QuerySet[VolunteerProfile]:
    qs = scoped(VolunteerProfile.objects.select_related("community"), actor).filter(
        verification_status="verified"
    )
    query = (query or "").strip()
    if query:
        qs = qs.filter(name__icontains=query)
    return qs.order_by("name", "id")


# --- offers, blocks, preferences, rules ---------------------------------------------------------------------


def offers_for(actor: Any, *, mine: bool = False, category: str = "") -> QuerySet[HelpOffer]:
    qs = HelpOffer.objects.select_related("volunteer__community")
    if mine:
        qs = qs.filter(volunteer__user=actor)
    else:
        qs = qs.filter(status=OfferStatus.ACTIVE, available_to__gt=clock.now())
    if category:
        qs = qs.filter(categories__contains=[category]) if _json_contains_supported() else qs
    rows = scoped(qs, actor).order_by("available_from", "id")
    if category and not _json_contains_supported():
        ids = [o.pk for o in rows if category in o.categories]
        rows = rows.filter(pk__in=ids)
    return rows


def _json_contains_supported() -> bool:
    from django.db import connection

    return bool(connection.features.supports_json_field_contains)


def blocks_for(actor: Any, user: Any) -> QuerySet[Block]:
    return scoped(Block.objects.filter(blocker=user).select_related("blocked"), actor).order_by("-created_at")


def preference_for(elder: ElderProfile) -> ElderPreference | None:
    return ElderPreference.objects.filter(elder=elder).first()


def elders_actor_can_post_for(actor: Any) -> QuerySet[ElderProfile]:
    """Whom the actor may post a request for: themselves, their elders (family), their area (staff)."""
    qs = ElderProfile.objects.select_related("community", "user")
    if actor.role == Role.ELDER:
        return qs.filter(user=actor)
    if actor.role == Role.FAMILY:
        return scoped(qs.filter(family_links__family_user=actor), actor)
    if perms.is_worker(actor):
        return scoped(qs, actor).order_by("community_id", "name")
    return qs.none()


def rules_for(district_id: int | None) -> dict[str, Any]:
    policy = matching.policy_for(district_id)
    requirements = (
        {r.category: r for r in CategoryRequirement.objects.filter(district_id=district_id)}
        if district_id
        else {}
    )
    return {"policy": policy, "requirements": requirements}


def policy_row(policy: AidPolicy) -> dict[str, Any]:
    return {
        "district_id": policy.district_id,
        "require_insurance": policy.require_insurance,
        "checkin_radius_m": policy.checkin_radius_m,
        "max_distance_km": policy.max_distance_km,
        "invite_batch": policy.invite_batch,
        "invite_minutes": policy.invite_minutes,
        "max_rounds": policy.max_rounds,
        "max_active_tasks": policy.max_active_tasks,
    }


def ratings_for(req: HelpRequest) -> list[Rating]:
    return list(Rating.objects.filter(request=req).select_related("rater"))


def volunteer_rating(volunteer: VolunteerProfile) -> tuple[float | None, int]:
    from django.db.models import Avg, Count

    agg = Rating.objects.filter(ratee=volunteer.user, direction="elder_to_volunteer").aggregate(
        avg=Avg("score"), n=Count("id")
    )
    return (round(agg["avg"], 1) if agg["avg"] is not None else None), agg["n"]


def open_dispute(req: HelpRequest) -> Dispute | None:
    return Dispute.objects.filter(request=req, status=DisputeStatus.OPEN).first()


def pending_invitation(actor: Any, req: HelpRequest) -> Invitation | None:
    volunteer = perms.volunteer_of(actor)
    if volunteer is None:
        return None
    return Invitation.objects.filter(
        request=req, volunteer=volunteer, status=InvitationStatus.PENDING
    ).first()


def takeable_for_elder(actor: Any, elder: ElderProfile) -> QuerySet[HelpRequest]:
    return scoped(HelpRequest.objects.filter(elder=elder, status__in=TAKEABLE), actor).order_by("-created_at")


def rules_summary() -> dict[str, Any]:
    return {"weights": dispatch.WEIGHTS, "urgency_order": URGENCY_ORDER, "offer_statuses": OfferStatus.values}
