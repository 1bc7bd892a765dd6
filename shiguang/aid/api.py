"""The mutual-aid square's JSON API (mounted at /api/v1/aid/).

Handlers stay thin: services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, Form, Query, Router, Status, UploadedFile

from shiguang.accounts.models import User
from shiguang.aid import checkin, selectors, services
from shiguang.aid import permissions as perms
from shiguang.aid.choices import Category, DisputeStatus, FeedSort, Urgency
from shiguang.aid.schemas import (
    AssignIn,
    BlockIn,
    BlockOut,
    CandidatesOut,
    CheckinCodeOut,
    CheckInIn,
    ConfirmIn,
    ContactOut,
    DispatchPolicyIn,
    DispatchPolicyOut,
    DisputeOut,
    ExtendIn,
    FeedOut,
    InvitationOut,
    InviteIn,
    OfferIn,
    OfferOut,
    OptionalReasonIn,
    PreferenceIn,
    PreferenceOut,
    RateIn,
    RatingOut,
    ReasonIn,
    RequestIn,
    RequestOut,
    RequestPage,
    RequirementIn,
    RequirementOut,
    ResolveIn,
    RulesOut,
    TasksOut,
    block_row,
    dispute_row,
    invitation_row,
    offer_row,
    request_row,
)
from shiguang.core.api import page_limit, page_offset, responses, user_of
from shiguang.core.errors import Forbidden, NotFound, ValidationFailed
from shiguang.people import selectors as people_selectors

router = Router()


def _row(request: HttpRequest, req: Any) -> dict[str, Any]:
    return request_row(user_of(request), selectors.request_get(user_of(request), req.pk))


# --- the square and requests --------------------------------------------------------------------------------


@router.get("/feed", response=responses(FeedOut), summary="The square: takeable requests near me, filtered")
def feed(
    request: HttpRequest,
    category: Category | None = Query(None, description="only this kind of help"),  # noqa: B008 (ninja parameter)
    urgency: Urgency | None = Query(None, description="only this urgency"),  # noqa: B008 (ninja parameter)
    within_km: float | None = Query(None, ge=0.1, le=30, description="only within this distance"),
    lat: float | None = Query(
        None, ge=21, le=24, description="measure from here (with lng) instead of my base"
    ),
    lng: float | None = Query(None, ge=112, le=116, description="measure from here (with lat)"),
    sort: FeedSort = Query(FeedSort.NEAREST),  # noqa: B008 (ninja parameter)
    offset: int = page_offset(),
    limit: int = page_limit(20, 50),
) -> HttpResponse:
    both = lat is not None and lng is not None  # a point needs both; one alone is ignored
    filters = selectors.FeedFilters(
        category=category.value if category else "",
        urgency=urgency.value if urgency else "",
        within_km=within_km,
        lat=lat if both else None,
        lng=lng if both else None,
        sort=sort.value,
        offset=offset,
        limit=limit,
    )
    page = selectors.feed(user_of(request), filters)
    # The square's hot path: the selector already builds exactly FeedOut's shape (a test validates it), so the
    # rows go straight to JSON instead of through a second round of schema validation.
    body = {"count": page.count, "next_offset": page.next_offset, "items": page.items}
    return JsonResponse(body, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False})


@router.get(
    "/requests", response=responses(RequestPage), summary="Requests I may see (mine, my elders', my area)"
)
def requests_list(
    request: HttpRequest,
    status: str = Query("", max_length=200, description="comma-separated statuses"),
    elder_id: int | None = None,
    category: Category | None = None,
    offset: int = page_offset(),
    limit: int = page_limit(20, 100),
) -> dict[str, Any]:
    actor = user_of(request)
    statuses = [s for s in status.split(",") if s] if status else None
    qs = selectors.requests_for(
        actor, statuses=statuses, elder_id=elder_id, category=category.value if category else ""
    )
    return {"count": qs.count(), "items": [request_row(actor, r) for r in qs[offset : offset + limit]]}


@router.post(
    "/requests", response=responses(RequestOut, 201), summary="Post a help request (elder, family or worker)"
)
def request_create(request: HttpRequest, payload: RequestIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    if payload.elder_id is None:
        elder = people_selectors.elder_for_user(actor)
        if elder is None:
            raise ValidationFailed(fields={"elder_id": ["请选择为哪位长者发布求助。"]})
    else:
        try:
            elder = people_selectors.elder_get(actor, payload.elder_id)
        except NotFound:
            raise Forbidden("您只能为自己、家人或本辖区的长者发布求助。") from None
    req = services.help_request_create(
        actor=actor,
        elder=elder,
        category=payload.category,
        description=payload.description,
        urgency=payload.urgency,
        start_at=payload.start_at,
        end_at=payload.end_at,
        duration_minutes=payload.duration_minutes,
        place=payload.place,
    )
    return Status(201, _row(request, req))


@router.get(
    "/requests/{request_id}",
    response=responses(RequestOut),
    summary="One request, with what I may do",
    url_name="aid_request_detail",
)
def request_detail(request: HttpRequest, request_id: int) -> dict[str, Any]:
    actor = user_of(request)
    return request_row(actor, selectors.request_get(actor, request_id))


@router.post("/requests/{request_id}/cancel", response=responses(RequestOut), summary="Cancel (elder side)")
def request_cancel(request: HttpRequest, request_id: int, payload: ReasonIn) -> dict[str, Any]:
    req = services.help_request_cancel(actor=user_of(request), request_id=request_id, reason=payload.reason)
    return _row(request, req)


@router.post(
    "/requests/{request_id}/accept", response=responses(RequestOut), summary="Accept (volunteer; first wins)"
)
def request_accept(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return _row(request, services.help_request_accept(actor=user_of(request), request_id=request_id))


@router.post(
    "/requests/{request_id}/decline",
    response=responses(InvitationOut),
    summary="Decline an invitation (volunteer)",
)
def request_decline(request: HttpRequest, request_id: int, payload: OptionalReasonIn) -> dict[str, Any]:
    inv = services.invitation_decline(actor=user_of(request), request_id=request_id, reason=payload.reason)
    return invitation_row(inv)


@router.post(
    "/requests/{request_id}/release",
    response=responses(RequestOut),
    summary="Give a task back before check-in (volunteer) or unassign (worker)",
)
def request_release(request: HttpRequest, request_id: int, payload: ReasonIn) -> dict[str, Any]:
    req = services.help_request_release(actor=user_of(request), request_id=request_id, reason=payload.reason)
    return _row(request, req)


@router.post(
    "/requests/{request_id}/assign", response=responses(RequestOut), summary="Assign directly (worker)"
)
def request_assign(request: HttpRequest, request_id: int, payload: AssignIn) -> dict[str, Any]:
    req = services.help_request_assign(
        actor=user_of(request), request_id=request_id, volunteer_id=payload.volunteer_id, note=payload.note
    )
    return _row(request, req)


@router.post(
    "/requests/{request_id}/dispatch",
    response=responses(list[InvitationOut]),
    summary="Invite the next best volunteers now (worker)",
)
def request_dispatch(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    return [invitation_row(i) for i in services.dispatch_now(actor=user_of(request), request_id=request_id)]


@router.get(
    "/requests/{request_id}/candidates",
    response=responses(CandidatesOut),
    summary="Ranked volunteers with each factor's points (worker)",
)
def request_candidates(
    request: HttpRequest, request_id: int, top: int = Query(10, ge=1, le=50)
) -> dict[str, Any]:
    actor = user_of(request)
    req = selectors.request_get(actor, request_id)
    rows, summary = selectors.candidates(actor, req, top=top)
    return {
        "candidates": [
            {
                "volunteer": {"id": r.volunteer.pk, "name": r.volunteer.name},
                "community": str(r.volunteer.community),
                "score": r.score,
                "distance_km": r.distance_km,
                "factors": r.factors,
                "details": r.details,
            }
            for r in rows
        ],
        "examined": summary["examined"],
        "excluded": summary["excluded"],
        "weights": summary["weights"],
        "certifications": summary["certifications"],
        "insurance": summary["insurance"],
        "location_source": summary["location_source"],
    }


@router.post(
    "/requests/{request_id}/check-in", response=responses(RequestOut), summary="Check in at the elder's"
)
def request_check_in(request: HttpRequest, request_id: int, payload: CheckInIn) -> dict[str, Any]:
    req = services.help_request_check_in(
        actor=user_of(request),
        request_id=request_id,
        method=payload.method,
        code=payload.code,
        token=payload.token,
        lat=payload.lat,
        lng=payload.lng,
        accuracy_m=payload.accuracy_m,
    )
    return _row(request, req)


@router.post(
    "/requests/{request_id}/check-out",
    response=responses(RequestOut),
    summary="Check out with what was done (multipart: summary, optional photo)",
)
def request_check_out(
    request: HttpRequest,
    request_id: int,
    summary: str = Form(...),
    photo: UploadedFile | None = File(None),  # noqa: B008 (ninja's parameter marker)
) -> dict[str, Any]:
    req = services.help_request_check_out(
        actor=user_of(request), request_id=request_id, summary=summary, photo=photo
    )
    return _row(request, req)


@router.post(
    "/requests/{request_id}/confirm",
    response=responses(RequestOut),
    summary="Confirm the service (elder side): posts the hours to the time bank once",
)
def request_confirm(request: HttpRequest, request_id: int, payload: ConfirmIn) -> dict[str, Any]:
    req = services.help_request_confirm(
        actor=user_of(request), request_id=request_id, minutes=payload.minutes
    )
    return _row(request, req)


@router.post(
    "/requests/{request_id}/no-show",
    response=responses(RequestOut),
    summary="Report that nobody came / was home",
)
def request_no_show(request: HttpRequest, request_id: int, payload: ReasonIn) -> dict[str, Any]:
    req = services.help_request_no_show(actor=user_of(request), request_id=request_id, reason=payload.reason)
    return _row(request, req)


@router.post(
    "/requests/{request_id}/reopen", response=responses(RequestOut), summary="Post an expired request again"
)
def request_reopen(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return _row(request, services.help_request_reopen(actor=user_of(request), request_id=request_id))


@router.post(
    "/requests/{request_id}/rate", response=responses(RatingOut, 201), summary="Rate the other side (1–5)"
)
def request_rate(request: HttpRequest, request_id: int, payload: RateIn) -> Status[dict[str, Any]]:
    rating = services.rating_submit(
        actor=user_of(request), request_id=request_id, score=payload.score, comment=payload.comment
    )
    return Status(
        201,
        {"id": rating.pk, "direction": rating.direction, "score": rating.score, "comment": rating.comment},
    )


@router.post("/requests/{request_id}/dispute", response=responses(DisputeOut, 201), summary="Raise a dispute")
def request_dispute(request: HttpRequest, request_id: int, payload: ReasonIn) -> Status[dict[str, Any]]:
    dispute = services.dispute_open(actor=user_of(request), request_id=request_id, reason=payload.reason)
    return Status(201, dispute_row(dispute))


@router.post(
    "/requests/{request_id}/contact",
    response=responses(ContactOut),
    summary="The elder's address and phone for the assigned volunteer (consent; audited)",
)
def request_contact(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return services.contact_reveal(actor=user_of(request), request_id=request_id)


# --- volunteers ---------------------------------------------------------------------------------------------


@router.get(
    "/tasks", response=responses(TasksOut), summary="My invitations, active and recent tasks (volunteer)"
)
def tasks(request: HttpRequest) -> dict[str, Any]:
    actor = user_of(request)
    data = selectors.tasks_for(actor)
    return {
        "invitations": [
            {"request": request_row(actor, i.request), "due_at": i.due_at} for i in data["invitations"]
        ],
        "active": [request_row(actor, r) for r in data["active"]],
        "recent": [request_row(actor, r) for r in data["recent"]],
    }


@router.get("/offers", response=responses(list[OfferOut]), summary="Active offers (or mine with mine=true)")
def offers(
    request: HttpRequest,
    mine: bool = False,
    category: Category | None = None,
    offset: int = page_offset(),
    limit: int = page_limit(20, 100),
) -> list[dict[str, Any]]:
    qs = selectors.offers_for(user_of(request), mine=mine, category=category.value if category else "")
    return [offer_row(o) for o in qs[offset : offset + limit]]


@router.post("/offers", response=responses(OfferOut, 201), summary="Offer help (verified volunteers)")
def offer_create(request: HttpRequest, payload: OfferIn) -> Status[dict[str, Any]]:
    offer = services.offer_create(actor=user_of(request), **payload.dict())
    return Status(201, offer_row(offer))


@router.post("/offers/{offer_id}/withdraw", response=responses(OfferOut), summary="Withdraw my offer")
def offer_withdraw(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    return offer_row(services.offer_withdraw(actor=user_of(request), offer_id=offer_id))


@router.post("/offers/{offer_id}/extend", response=responses(OfferOut), summary="Extend my offer")
def offer_extend(request: HttpRequest, offer_id: int, payload: ExtendIn) -> dict[str, Any]:
    return offer_row(services.offer_extend(actor=user_of(request), offer_id=offer_id, days=payload.days))


@router.post(
    "/offers/{offer_id}/invite",
    response=responses(InvitationOut, 201),
    summary="Ask the volunteer behind an offer to take an elder's request",
)
def offer_invite(request: HttpRequest, offer_id: int, payload: InviteIn) -> Status[dict[str, Any]]:
    inv = services.offer_invite(actor=user_of(request), offer_id=offer_id, request_id=payload.request_id)
    return Status(201, invitation_row(inv))


# --- disputes -----------------------------------------------------------------------------------------------


@router.get(
    "/disputes", response=responses(list[DisputeOut]), summary="Disputes in my area (workers) or mine"
)
def disputes(
    request: HttpRequest,
    status: DisputeStatus | None = Query(DisputeStatus.OPEN, description="omit for all"),  # noqa: B008 (ninja parameter)
    offset: int = page_offset(),
    limit: int = page_limit(20, 100),
) -> list[dict[str, Any]]:
    qs = selectors.disputes_for(user_of(request), status=status.value if status else "")
    return [dispute_row(d) for d in qs[offset : offset + limit]]


@router.post(
    "/disputes/{dispute_id}/resolve", response=responses(DisputeOut), summary="Resolve a dispute (worker)"
)
def dispute_resolve(request: HttpRequest, dispute_id: int, payload: ResolveIn) -> dict[str, Any]:
    dispute = services.dispute_resolve(
        actor=user_of(request),
        dispute_id=dispute_id,
        outcome=payload.outcome,
        note=payload.note,
        minutes=payload.minutes,
    )
    return dispute_row(dispute)


# --- the elder's side: check-in code, preferences, blocks ---------------------------------------------------


def _elder_for(request: HttpRequest, elder_id: int) -> Any:
    actor = user_of(request)
    elder = people_selectors.elder_get(actor, elder_id)
    if not perms.acts_for_elder(actor, elder):
        raise Forbidden()
    return elder


@router.get(
    "/elders/{elder_id}/checkin-code",
    response=responses(CheckinCodeOut),
    summary="The elder's current check-in code and QR token (elder, family, worker)",
)
def checkin_code(request: HttpRequest, elder_id: int) -> dict[str, Any]:
    elder = _elder_for(request, elder_id)
    current = checkin.current(elder)
    return {
        "elder_id": elder.pk,
        "code": current.code,
        "token": current.token,
        "scan_url": request.build_absolute_uri(f"/aid/scan/?t={current.token}"),
        "valid_until": current.valid_until,
    }


@router.post(
    "/elders/{elder_id}/checkin-code/rotate",
    response=responses(CheckinCodeOut),
    summary="Invalidate every code shown so far",
)
def checkin_code_rotate(request: HttpRequest, elder_id: int) -> dict[str, Any]:
    elder = _elder_for(request, elder_id)
    services.checkin_code_rotate(actor=user_of(request), elder=elder)
    return checkin_code(request, elder_id)


@router.get(
    "/elders/{elder_id}/preferences", response=responses(PreferenceOut), summary="Matching preferences"
)
def preference_get(request: HttpRequest, elder_id: int) -> dict[str, Any]:
    elder = _elder_for(request, elder_id)
    pref = selectors.preference_for(elder)
    return {
        "elder_id": elder.pk,
        "volunteer_gender": pref.volunteer_gender if pref else "",
        "note": pref.note if pref else "",
    }


@router.put(
    "/elders/{elder_id}/preferences", response=responses(PreferenceOut), summary="Set matching preferences"
)
def preference_put(request: HttpRequest, elder_id: int, payload: PreferenceIn) -> dict[str, Any]:
    elder = _elder_for(request, elder_id)
    pref = services.preference_set(
        actor=user_of(request), elder=elder, volunteer_gender=payload.volunteer_gender, note=payload.note
    )
    return {"elder_id": elder.pk, "volunteer_gender": pref.volunteer_gender, "note": pref.note}


@router.get(
    "/blocks", response=responses(list[BlockOut]), summary="Blocks I set (or an elder's, with elder_id)"
)
def blocks(request: HttpRequest, elder_id: int | None = None) -> list[dict[str, Any]]:
    actor = user_of(request)
    owner = _elder_for(request, elder_id).user if elder_id else actor
    return [block_row(b) for b in selectors.blocks_for(actor, owner)]


@router.post(
    "/blocks", response=responses(BlockOut, 201), summary="Block a volunteer (elder side) or an elder"
)
def block_create(request: HttpRequest, payload: BlockIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    blocker = _elder_for(request, payload.elder_id).user if payload.elder_id else actor
    blocked = User.objects.filter(pk=payload.blocked_user_id, is_active=True).first()
    if blocked is None:
        raise ValidationFailed(fields={"blocked_user_id": ["找不到该用户。"]})
    block = services.block_create(actor=actor, blocker=blocker, blocked=blocked, reason=payload.reason)
    return Status(201, block_row(block))


@router.delete("/blocks/{block_id}", response=responses(None, 204), summary="Remove a block")
def block_delete(request: HttpRequest, block_id: int) -> Status[None]:
    services.block_remove(actor=user_of(request), block_id=block_id)
    return Status(204, None)


# --- district rules -----------------------------------------------------------------------------------------


def _district(request: HttpRequest) -> Any:
    actor = user_of(request)
    if not perms.is_worker(actor) or actor.district is None:
        raise Forbidden("只有工作人员可以查看派单规则。")
    return actor.district


@router.get("/rules", response=responses(RulesOut), summary="The district's dispatch rules")
def rules(request: HttpRequest) -> dict[str, Any]:
    district = _district(request)
    data = selectors.rules_for(district.pk)
    return {
        "policy": selectors.policy_row(data["policy"]),
        "requirements": [
            {"category": r.category, "certifications": r.certifications, "note": r.note}
            for r in data["requirements"].values()
        ],
    }


@router.put(
    "/rules/policy",
    response=responses(DispatchPolicyOut),
    summary="Change the district's switches (district staff)",
)
def rules_policy(request: HttpRequest, payload: DispatchPolicyIn) -> dict[str, Any]:
    district = _district(request)
    changes = payload.dict(exclude_none=True)
    return selectors.policy_row(
        services.policy_update(actor=user_of(request), district=district, changes=changes)
    )


@router.put(
    "/rules/requirements/{category}",
    response=responses(RequirementOut),
    summary="Certifications a category requires (district staff; empty list removes)",
)
def rules_requirement(request: HttpRequest, category: Category, payload: RequirementIn) -> dict[str, Any]:
    district = _district(request)
    row = services.requirement_set(
        actor=user_of(request),
        district=district,
        category=category.value,
        certifications=payload.certifications,
        note=payload.note,
    )
    return {
        "category": category.value,
        "certifications": row.certifications if row else [],
        "note": row.note if row else "",
    }
