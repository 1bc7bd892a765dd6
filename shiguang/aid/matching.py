"""From the database to the ranker: district policy, category requirements, the rank query of a request,
and the same hard rules checked for one volunteer (accept, direct assignment, invitations)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from shiguang.aid import dispatch
from shiguang.aid.choices import (
    CATEGORY_BITS,
    LOAD_STATES,
    Category,
    LocationSource,
    PlaceKind,
    RatingDirection,
    RequestStatus,
)
from shiguang.aid.models import AidPolicy, Block, CategoryRequirement, HelpRequest, Invitation, Rating
from shiguang.core import clock
from shiguang.people.choices import VerificationStatus

DEFAULT_POLICY = {
    "require_insurance": False,
    "checkin_radius_m": 200,
    "max_distance_km": 5.0,
    "invite_batch": 5,
    "invite_minutes": 30,
    "max_rounds": 3,
    "max_active_tasks": 3,
}


def district_of(community: Any) -> int | None:
    street = getattr(community, "street", None)
    return getattr(street, "district_id", None)


def policy_for(district_id: int | None) -> AidPolicy:
    """The district's policy, or the defaults (unsaved) when it has none yet."""
    if district_id:
        found = AidPolicy.objects.filter(district_id=district_id).first()
        if found is not None:
            return found
    return AidPolicy(**{"district_id": district_id, **DEFAULT_POLICY})


def required_certifications(district_id: int | None, category: str) -> list[str]:
    if not district_id:
        return []
    row = CategoryRequirement.objects.filter(district_id=district_id, category=category).first()
    return list(row.certifications) if row is not None else []


def needs_insurance(req: HelpRequest, policy: AidPolicy) -> bool:
    return bool(policy.require_insurance and req.place_kind == PlaceKind.HOME)


def insured_volunteer_ids(on: dt.date | None = None) -> set[int]:
    """Volunteers with a valid accident policy today (bulk has_valid_insurance)."""
    from shiguang.community.models import VolunteerInsurance

    on = on or clock.today()
    return set(
        VolunteerInsurance.objects.filter(valid_from__lte=on, valid_to__gte=on).values_list(
            "volunteer_id", flat=True
        )
    )


def need_mask(req: HelpRequest) -> tuple[int, bool]:
    """The weekly slots the request needs, and whether it has a set time (vs. a window to pick from)."""
    if req.start_at is not None and req.end_at is None:
        return dispatch.slots_between(clock.local(req.start_at), req.duration_minutes), True
    start = req.start_at if req.start_at is not None else clock.now()
    end = req.end_at or req.expires_at
    minutes = max(req.duration_minutes, int((end - start).total_seconds() // 60))
    return dispatch.slots_between(clock.local(start), minutes), False


def blocked_user_ids(elder_user_id: int) -> set[int]:
    """Users the elder blocked, and users who blocked the elder."""
    rows = Block.objects.filter(Q(blocker_id=elder_user_id) | Q(blocked_id=elder_user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {b if a == elder_user_id else a for a, b in rows}


def active_loads() -> dict[int, int]:
    return {
        row["assignee_id"]: row["n"]
        for row in HelpRequest.objects.filter(status__in=LOAD_STATES, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
    }


def familiar_volunteer_ids(elder_id: int) -> set[int]:
    """Volunteers who served this elder before and were not rated below 4 for it."""
    served = set(
        HelpRequest.objects.filter(
            elder_id=elder_id, status=RequestStatus.CONFIRMED, assignee__isnull=False
        ).values_list("assignee_id", flat=True)
    )
    if not served:
        return set()
    poor = set(
        Rating.objects.filter(
            request__elder_id=elder_id, direction=RatingDirection.ELDER_TO_VOLUNTEER, score__lt=4
        ).values_list("request__assignee_id", flat=True)
    )
    return served - poor


def _sorted(ids: set[int] | list[int]) -> np.ndarray:
    return np.array(sorted(ids), dtype=np.int64)


@dataclass
class Context:
    """Everything about a request the ranker and the single-volunteer check need."""

    query: dispatch.RankQuery
    policy: AidPolicy
    certifications: list[str]
    insurance: bool


def context_for(req: HelpRequest, arrays: dispatch.VolunteerArrays, *, exclude_invited: bool) -> Context:
    from shiguang.community.selectors import certified_volunteer_ids

    district_id = district_of(req.community)
    policy = policy_for(district_id)
    certs = required_certifications(district_id, req.category)
    insurance = needs_insurance(req, policy)
    allowed: set[int] | None = None
    if certs:
        allowed = certified_volunteer_ids(certs)
    if insurance:
        insured = insured_volunteer_ids()
        allowed = insured if allowed is None else allowed & insured
    blocked_users = blocked_user_ids(req.elder.user_id)
    excluded: set[int] = set()
    if blocked_users:
        hit = np.isin(arrays.user_ids, np.array(sorted(blocked_users), dtype=np.int64))
        excluded |= {int(v) for v in arrays.ids[hit]}
    if exclude_invited:
        excluded |= set(Invitation.objects.filter(request=req).values_list("volunteer_id", flat=True))
    loads = active_loads()
    familiar = familiar_volunteer_ids(req.elder_id)
    mask, timed = need_mask(req)
    gender = dispatch.GENDER_CODES.get(req.required_gender, -1) if req.required_gender else -1
    category_bit = CATEGORY_BITS[req.category] if req.category != Category.OTHER else 0
    lat, lng = (
        (req.lat, req.lng) if req.lat is not None and req.lng is not None else (dispatch.LAT0, dispatch.LNG0)
    )
    query = dispatch.RankQuery(
        lat=lat,
        lng=lng,
        category_bit=category_bit,
        need=mask,
        timed=timed,
        gender=gender,
        language_mask=dispatch.language_mask(req.elder.languages or ()),
        max_km=float(policy.max_distance_km),
        max_load=int(policy.max_active_tasks),
        allowed_ids=_sorted(allowed) if allowed is not None else None,
        excluded_ids=_sorted(excluded) if excluded else None,
        familiar_ids=_sorted(familiar) if familiar else None,
        load_ids=_sorted(list(loads)) if loads else None,
        load_counts=np.array([loads[k] for k in sorted(loads)], dtype=np.int64) if loads else None,
    )
    return Context(query=query, policy=policy, certifications=certs, insurance=insurance)


def rank_for(req: HelpRequest, *, top: int = 10, exclude_invited: bool = True) -> dispatch.RankResult:
    """The best volunteers for a request, from the cached index (stale entries: re-rank once)."""
    from shiguang.people.models import VolunteerProfile

    if req.location_source == LocationSource.NONE:
        return dispatch.RankResult([], 0, {"no_location": 1})
    for attempt in range(2):
        arrays = dispatch.volunteer_index()
        ctx = context_for(req, arrays, exclude_invited=exclude_invited)
        result = dispatch.rank(arrays, ctx.query, top=top)
        ids = [c.volunteer_id for c in result.candidates]
        live = set(
            VolunteerProfile.objects.filter(
                id__in=ids, verification_status=VerificationStatus.VERIFIED
            ).values_list("id", flat=True)
        )
        if len(live) == len(ids) or attempt == 1:
            result.candidates = [c for c in result.candidates if c.volunteer_id in live]
            return result
        dispatch.invalidate_index()  # a volunteer changed in another process since the index was built
    raise AssertionError("unreachable")


def eligibility_problem(volunteer: Any, req: HelpRequest) -> tuple[str, str] | None:
    """Why this volunteer may not take this request: (code, message), or None. Distance is not a hard rule
    here: a volunteer may choose to travel further than automatic dispatch would send them."""
    from shiguang.community.selectors import has_certifications, has_valid_insurance

    if volunteer.verification_status != VerificationStatus.VERIFIED:
        return "not_verified", _("社区工作人员核验您的身份后才能接单。")
    blocked = blocked_user_ids(req.elder.user_id)
    if volunteer.user_id in blocked:
        return "blocked", _("您暂时不能接这位长者的求助。")
    if req.required_gender and volunteer.gender != req.required_gender:
        return "gender", _("这位长者希望由%(gender)s志愿者提供服务。") % {
            "gender": _("女") if req.required_gender == "female" else _("男")
        }
    district_id = district_of(req.community)
    certs = required_certifications(district_id, req.category)
    if certs and not has_certifications(volunteer, certs):
        from shiguang.community.choices import CertificationKind

        labels = "、".join(str(CertificationKind(c).label) for c in certs if c in CertificationKind.values)
        return "certification", _("这类服务需要有效资质：%(certs)s。") % {"certs": labels}
    policy = policy_for(district_id)
    if needs_insurance(req, policy) and not has_valid_insurance(volunteer):
        return "insurance", _("上门服务需要有效的志愿者意外险，请联系社区工作人员登记。")
    load = HelpRequest.objects.filter(assignee=volunteer, status__in=LOAD_STATES).exclude(pk=req.pk).count()
    if load >= policy.max_active_tasks:
        return "load", _("您已有 %(n)s 个进行中的任务，请先完成后再接新任务。") % {"n": load}
    return None
