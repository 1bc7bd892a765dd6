"""API schemas of the mutual-aid square, and the one function that turns a request into its JSON/page row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from shiguang.aid import permissions as perms
from shiguang.aid.choices import Category, RequestStatus, Urgency
from shiguang.aid.models import HelpOffer, HelpRequest, Invitation


class FeedItem(Schema):
    id: int
    category: str
    category_label: str
    description: str
    urgency: str
    urgency_label: str
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    duration_minutes: int
    place_kind: str
    community: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    distance_km: float | None
    required_gender: str


class FeedOut(Schema):
    count: int
    next_offset: int | None
    items: list[FeedItem]


class VolunteerRef(Schema):
    id: int
    name: str


class RecordOut(Schema):
    summary: str
    minutes_served: int
    has_photo: bool


class RequestOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    community: str
    category: str
    category_label: str
    description: str
    urgency: str
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    duration_minutes: int
    place_kind: str
    place: str
    required_gender: str
    status: str
    status_label: str
    created_at: dt.datetime
    expires_at: dt.datetime
    assignee: VolunteerRef | None
    accepted_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    checkin_method: str
    checked_out_at: dt.datetime | None
    proposed_minutes: int | None
    credited_minutes: int | None
    confirmed_at: dt.datetime | None
    ledger_transaction: str
    closed_reason: str
    no_show_party: str
    record: RecordOut | None
    actions: list[str]


class RequestPage(Schema):
    count: int
    items: list[RequestOut]


class RequestIn(Schema):
    elder_id: int | None = Field(None, description="the elder (omit when the elder posts for themselves)")
    category: str = Field(..., description=", ".join(Category.values))
    description: str = Field("", max_length=500)
    urgency: str = Field(Urgency.ANYTIME, description=", ".join(Urgency.values))
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    duration_minutes: int = Field(60, description="expected minutes, 1–480")
    place: str = Field("", max_length=200, description="empty: the elder's home")


class ReasonIn(Schema):
    reason: str = Field(..., max_length=1000)


class OptionalReasonIn(Schema):
    reason: str = Field("", max_length=300)


class AssignIn(Schema):
    volunteer_id: int
    note: str = Field("", max_length=200)


class CheckInIn(Schema):
    method: str = Field(..., description="qr, code, geo or worker")
    code: str = Field("", max_length=12)
    token: str = Field("", max_length=120)
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


class ConfirmIn(Schema):
    minutes: int | None = Field(None, description="minutes to credit (default: the recorded time)")


class RateIn(Schema):
    score: int
    comment: str = Field("", max_length=300)


class ResolveIn(Schema):
    outcome: str = Field(..., description="credit or no_credit")
    note: str = Field(..., max_length=1000)
    minutes: int | None = None


class InvitationOut(Schema):
    id: int
    request_id: int
    volunteer: VolunteerRef
    round: int
    rank: int
    score: float
    status: str
    due_at: dt.datetime


class CandidateOut(Schema):
    volunteer: VolunteerRef
    community: str
    score: float
    distance_km: float
    factors: dict[str, float]
    details: dict[str, Any]


class CandidatesOut(Schema):
    candidates: list[CandidateOut]
    examined: int
    excluded: dict[str, int]
    weights: dict[str, float]
    certifications: list[str]
    insurance: bool
    location_source: str


class TaskInvitation(Schema):
    request: RequestOut
    due_at: dt.datetime


class TasksOut(Schema):
    invitations: list[TaskInvitation]
    active: list[RequestOut]
    recent: list[RequestOut]


class OfferIn(Schema):
    categories: list[str]
    available_from: dt.datetime
    available_to: dt.datetime
    place: str = Field("", max_length=200)
    radius_km: float = 2.0
    note: str = Field("", max_length=300)


class OfferOut(Schema):
    id: int
    volunteer: VolunteerRef
    community: str
    categories: list[str]
    available_from: dt.datetime
    available_to: dt.datetime
    place: str
    radius_km: float
    note: str
    status: str


class ExtendIn(Schema):
    days: int = 7


class InviteIn(Schema):
    request_id: int


class DisputeOut(Schema):
    id: int
    request_id: int
    raised_side: str
    reason: str
    from_status: str
    status: str
    outcome: str
    minutes: int | None
    resolution_note: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class CheckinCodeOut(Schema):
    elder_id: int
    code: str
    token: str
    scan_url: str
    valid_until: dt.datetime


class PreferenceIn(Schema):
    volunteer_gender: str = Field("", description="'', female or male")
    note: str = Field("", max_length=200)


class PreferenceOut(Schema):
    elder_id: int
    volunteer_gender: str
    note: str


class BlockIn(Schema):
    blocked_user_id: int
    elder_id: int | None = Field(None, description="block on behalf of this elder (elder side)")
    reason: str = Field("", max_length=200)


class BlockOut(Schema):
    id: int
    blocker_id: int
    blocked_id: int
    blocked_name: str
    reason: str
    created_at: dt.datetime


class DispatchPolicyOut(Schema):
    district_id: int | None
    require_insurance: bool
    checkin_radius_m: int
    max_distance_km: float
    invite_batch: int
    invite_minutes: int
    max_rounds: int
    max_active_tasks: int


class DispatchPolicyIn(Schema):
    require_insurance: bool | None = None
    checkin_radius_m: int | None = None
    max_distance_km: float | None = None
    invite_batch: int | None = None
    invite_minutes: int | None = None
    max_rounds: int | None = None
    max_active_tasks: int | None = None


class RequirementIn(Schema):
    certifications: list[str]
    note: str = Field("", max_length=200)


class RequirementOut(Schema):
    category: str
    certifications: list[str]
    note: str


class RulesOut(Schema):
    policy: DispatchPolicyOut
    requirements: list[RequirementOut]


class ContactOut(Schema):
    address: str
    phone: str


class RatingOut(Schema):
    id: int
    direction: str
    score: int
    comment: str


def _elder_name(actor: Any, req: HelpRequest) -> str:
    """Volunteers see the elder's full name once the request is theirs; before that only the surname."""
    name = req.elder.name
    if perms.volunteer_of(actor) is None or perms.is_assignee(actor, req):
        return name
    return (name[:1] + "**") if name else ""


def request_row(actor: Any, req: HelpRequest, *, actions: list[str] | None = None) -> dict[str, Any]:
    record = (
        getattr(req, "record", None)
        if req.status
        in (
            RequestStatus.DONE,
            RequestStatus.CONFIRMED,
            RequestStatus.DISPUTED,
        )
        else None
    )
    show_record = record is not None and (
        perms.side_of(actor, req) is not None or perms.is_worker_for(actor, req.elder)
    )
    return {
        "id": req.pk,
        "elder_id": req.elder_id,
        "elder_name": _elder_name(actor, req),
        "community": str(req.community),
        "category": req.category,
        "category_label": str(req.get_category_display()),
        "description": req.description,
        "urgency": req.urgency,
        "start_at": req.start_at,
        "end_at": req.end_at,
        "duration_minutes": req.duration_minutes,
        "place_kind": req.place_kind,
        "place": req.place,
        "required_gender": req.required_gender,
        "status": req.status,
        "status_label": str(req.get_status_display()),
        "created_at": req.created_at,
        "expires_at": req.expires_at,
        "assignee": {"id": req.assignee.pk, "name": req.assignee.name}
        if req.assignee_id and req.assignee
        else None,
        "accepted_at": req.accepted_at,
        "checked_in_at": req.checked_in_at,
        "checkin_method": req.checkin_method,
        "checked_out_at": req.checked_out_at,
        "proposed_minutes": req.proposed_minutes,
        "credited_minutes": req.credited_minutes,
        "confirmed_at": req.confirmed_at,
        "ledger_transaction": req.ledger_transaction,
        "closed_reason": req.closed_reason,
        "no_show_party": req.no_show_party,
        "record": {
            "summary": record.summary,
            "minutes_served": record.minutes_served,
            "has_photo": bool(record.photo),
        }
        if show_record and record is not None
        else None,
        "actions": actions if actions is not None else perms.allowed_actions(actor, req),
    }


def invitation_row(inv: Invitation) -> dict[str, Any]:
    return {
        "id": inv.pk,
        "request_id": inv.request_id,
        "volunteer": {"id": inv.volunteer_id, "name": inv.volunteer.name},
        "round": inv.round,
        "rank": inv.rank,
        "score": inv.score,
        "status": inv.status,
        "due_at": inv.due_at,
    }


def offer_row(offer: HelpOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "volunteer": {"id": offer.volunteer_id, "name": offer.volunteer.name},
        "community": str(offer.volunteer.community),
        "categories": list(offer.categories),
        "available_from": offer.available_from,
        "available_to": offer.available_to,
        "place": offer.place,
        "radius_km": offer.radius_km,
        "note": offer.note,
        "status": offer.status,
    }


def dispute_row(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "request_id": d.request_id,
        "raised_side": d.raised_side,
        "reason": d.reason,
        "from_status": d.from_status,
        "status": d.status,
        "outcome": d.outcome,
        "minutes": d.minutes,
        "resolution_note": d.resolution_note,
        "created_at": d.created_at,
        "resolved_at": d.resolved_at,
    }


def block_row(b: Any) -> dict[str, Any]:
    return {
        "id": b.pk,
        "blocker_id": b.blocker_id,
        "blocked_id": b.blocked_id,
        "blocked_name": str(b.blocked),
        "reason": b.reason,
        "created_at": b.created_at,
    }
