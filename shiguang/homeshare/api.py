"""Homeshare API: offers, applications, vetting, the funnel, matching, agreements, monitoring, KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from shiguang.core.api import ERRORS, page_limit, page_offset, responses, user_of
from shiguang.core.errors import Forbidden, NotFound
from shiguang.homeshare import documents, selectors, services
from shiguang.homeshare.models import AgreementVersion, Application, HelpLog, Match, Offer, Reference, Visit
from shiguang.people import selectors as people_selectors

router = Router()
ID = Query(None, ge=1, le=2**31 - 1)


# --- schemas ------------------------------------------------------------------------------------------------


class HomeshareOfferIn(Schema):
    elder_id: int = Field(..., ge=1, le=2**31 - 1)
    stage: str = Field("interested", max_length=12)
    room_size_m2: float = Field(..., ge=0, le=1000)
    floor: int = Field(..., ge=-10, le=200)
    has_lift: bool = False
    rent_yuan: int = Field(0, ge=0, le=100000)
    included: list[str] = []
    room_note: str = Field("", max_length=300)
    smoking_allowed: bool = False
    elder_smokes: bool = False
    pets_allowed: bool = False
    elder_has_pets: bool = False
    visitors: str = Field("daytime", max_length=10)
    quiet_from: dt.time = dt.time(22, 0)
    quiet_to: dt.time = dt.time(7, 0)
    cooking: str = Field("shared", max_length=10)
    rules_note: str = Field("", max_length=300)
    help_kinds: list[str]
    help_hours_per_week: int = Field(..., ge=0, le=168)
    evenings_wanted: int = Field(3, ge=0, le=7)
    languages: list[str]
    interests: list[str] = []
    pref_gender: str = Field("any", max_length=8)
    age_min: int = Field(20, ge=0, le=120)
    age_max: int = Field(35, ge=0, le=120)


class OfferPatch(Schema):
    room_size_m2: float | None = Field(None, ge=0, le=1000)
    floor: int | None = Field(None, ge=-10, le=200)
    has_lift: bool | None = None
    rent_yuan: int | None = Field(None, ge=0, le=100000)
    included: list[str] | None = None
    room_note: str | None = Field(None, max_length=300)
    smoking_allowed: bool | None = None
    elder_smokes: bool | None = None
    pets_allowed: bool | None = None
    elder_has_pets: bool | None = None
    visitors: str | None = Field(None, max_length=10)
    quiet_from: dt.time | None = None
    quiet_to: dt.time | None = None
    cooking: str | None = Field(None, max_length=10)
    rules_note: str | None = Field(None, max_length=300)
    help_kinds: list[str] | None = None
    help_hours_per_week: int | None = Field(None, ge=0, le=168)
    evenings_wanted: int | None = Field(None, ge=0, le=7)
    languages: list[str] | None = None
    interests: list[str] | None = None
    pref_gender: str | None = Field(None, max_length=8)
    age_min: int | None = Field(None, ge=0, le=120)
    age_max: int | None = Field(None, ge=0, le=120)


class HomeshareOfferOut(Schema):
    id: int
    elder_id: int = Field(..., ge=1, le=2**31 - 1)
    elder: str
    community: str
    street: str
    stage: str
    stage_label: str
    registered_on: dt.date
    dropped: bool
    dropout_reason: str
    room_size_m2: float
    floor: int
    has_lift: bool
    rent_yuan: int
    included: list[str]
    smoking_allowed: bool
    elder_smokes: bool
    pets_allowed: bool
    elder_has_pets: bool
    visitors: str
    quiet_from: dt.time
    quiet_to: dt.time
    cooking: str
    help_kinds: list[str]
    help_hours_per_week: int
    evenings_wanted: int
    languages: list[str]
    interests: list[str]
    pref_gender: str
    age_min: int
    age_max: int
    consents: list[str]
    vetting_problems: list[str]


class HomeshareConsentIn(Schema):
    key: str = Field(..., max_length=20)
    method: str = Field("online", max_length=10)


class ApplicationIn(Schema):
    volunteer_id: int | None = Field(None, ge=1, le=2**31 - 1)
    workplace: str = Field(..., max_length=100)
    work_lat: float
    work_lng: float
    budget_yuan: int = Field(0, ge=0, le=100000)
    schedule: str = Field(..., max_length=200)
    evenings_home: int = Field(4, ge=0, le=7)
    help_kinds: list[str]
    help_hours_per_week: int = Field(..., ge=0, le=168)
    skills_note: str = Field("", max_length=300)
    smoker: bool = False
    has_pets: bool = False
    accepts_pets: bool = True
    accepts_smoke: bool = False
    languages: list[str]
    interests: list[str] = []
    motivation: str = Field(..., max_length=3000)
    id_number: str = Field("", max_length=20)


class ApplicationPatch(Schema):
    workplace: str | None = Field(None, max_length=100)
    work_lat: float | None = None
    work_lng: float | None = None
    budget_yuan: int | None = Field(None, ge=0, le=100000)
    schedule: str | None = Field(None, max_length=200)
    evenings_home: int | None = Field(None, ge=0, le=7)
    help_kinds: list[str] | None = None
    help_hours_per_week: int | None = Field(None, ge=0, le=168)
    skills_note: str | None = Field(None, max_length=300)
    smoker: bool | None = None
    has_pets: bool | None = None
    accepts_pets: bool | None = None
    accepts_smoke: bool | None = None
    languages: list[str] | None = None
    interests: list[str] | None = None
    motivation: str | None = Field(None, max_length=3000)
    id_number: str | None = Field(None, max_length=20)


class ReferenceOut(Schema):
    id: int
    name: str
    relation: str
    organisation: str
    phone_masked: str
    status: str
    note: str
    checked_at: dt.datetime | None


class ApplicationOut(Schema):
    id: int
    volunteer_id: int
    youth: str
    kind: str
    community: str
    stage: str
    stage_label: str
    registered_on: dt.date
    dropped: bool
    dropout_reason: str
    workplace: str
    budget_yuan: int
    schedule: str
    evenings_home: int
    help_kinds: list[str]
    help_hours_per_week: int
    smoker: bool
    has_pets: bool
    accepts_pets: bool
    accepts_smoke: bool
    languages: list[str]
    interests: list[str]
    motivation: str
    id_number_masked: str
    id_verified_at: dt.datetime | None
    background_outcome: str
    background_checked_on: dt.date | None
    background_recorded_by: str
    references: list[ReferenceOut]
    vetting_problems: list[str]


class ReferenceIn(Schema):
    name: str = Field(..., max_length=60)
    relation: str = Field(..., max_length=60)
    phone: str = Field(..., max_length=20)
    organisation: str = Field("", max_length=100)


class ReferenceCheckIn(Schema):
    status: str = Field(..., max_length=16)
    note: str = Field("", max_length=300)


class BackgroundIn(Schema):
    outcome: str = Field(..., max_length=10)
    checked_on: dt.date
    id_verified: bool
    note: str = Field("", max_length=300)


class StageIn(Schema):
    stage: str = Field(..., max_length=12)
    note: str = Field("", max_length=300)


class DropoutIn(Schema):
    reason: str = Field(..., max_length=20)
    note: str = Field("", max_length=300)


class Factor(Schema):
    key: str
    label: str
    detail: str
    ok: bool | None = None
    points: float | None = None
    max: float | None = None


class Explanation(Schema):
    feasible: bool
    score: float
    hard: list[Factor]
    soft: list[Factor]
    violations: list[str]


class PairOut(Schema):
    offer_id: int
    elder: str
    application_id: int
    youth: str
    explanation: Explanation


class OptimalOut(Schema):
    offers: int
    applications: int
    total: float
    feasible_share: float
    pairs: list[PairOut]
    unmatched_offer_ids: list[int]
    unmatched_application_ids: list[int]


class ProposeIn(Schema):
    offer_id: int = Field(..., ge=1, le=2**31 - 1)
    application_id: int = Field(..., ge=1, le=2**31 - 1)
    note: str = Field("", max_length=300)


class ProposeManyIn(Schema):
    pairs: list[ProposeIn] = Field(..., max_length=5000)


class MeetingOut(Schema):
    id: int
    held_at: dt.datetime
    place: str
    elder_feedback: str
    youth_feedback: str
    notes: str


class MatchOut(Schema):
    id: int
    offer_id: int
    application_id: int
    elder: str
    youth: str
    community: str
    status: str
    status_label: str
    score: float
    explanation: dict[str, Any]
    elder_decision: str
    youth_decision: str
    started_on: dt.date | None
    trial_ends_on: dt.date | None
    term_ends_on: dt.date | None
    ended_on: dt.date | None
    end_reason: str
    meetings: list[MeetingOut]
    current_agreement_id: int | None


class MeetingIn(Schema):
    held_at: dt.datetime
    place: str = Field(..., max_length=100)
    notes: str = Field("", max_length=3000)
    elder_feedback: str = Field("", max_length=300)
    youth_feedback: str = Field("", max_length=300)


class DecideIn(Schema):
    accept: bool
    side: str | None = Field(None, max_length=5)
    note: str = Field("", max_length=300)


class NoteIn(Schema):
    note: str = Field("", max_length=300)


class EndIn(Schema):
    reason: str = Field(..., max_length=20)
    note: str = Field(..., max_length=300)
    rematch: bool = False
    ended_on: dt.date | None = None


class MediationIn(Schema):
    category: str = Field(..., max_length=20)
    issue: str = Field(..., max_length=3000)


class HomeshareMediationOut(Schema):
    id: int
    title: str
    status: str


class Problem(Schema):
    element: str
    code: str
    message: str


class SignatureOut(Schema):
    role: str
    role_label: str
    signer: str
    account: str
    method: str
    signed_at: dt.datetime
    document_sha256: str


class AgreementOut(Schema):
    id: int
    match_id: int
    number: int
    status: str
    status_label: str
    terms: dict[str, Any]
    rendered_text: str
    sha256: str
    change_note: str
    clause_versions: list[dict[str, Any]]
    problems: list[Problem]
    signatures: list[SignatureOut]
    versions: list[dict[str, Any]]


class ReviseIn(Schema):
    changes: dict[str, Any]
    note: str = Field(..., max_length=300)


class SignIn(Schema):
    document_sha256: str = Field(..., min_length=64, max_length=64)
    role: str | None = Field(None, max_length=16)
    witnessed: bool = False


class HelpLogIn(Schema):
    date: dt.date
    minutes: int = Field(..., ge=0, le=100000)
    kinds: list[str]
    note: str = Field("", max_length=300)


class HelpLogOut(Schema):
    id: int
    match_id: int
    date: dt.date
    minutes: int
    kinds: list[str]
    note: str
    status: str
    ledger_ref: str


class HomeshareConfirmIn(Schema):
    confirm: bool
    note: str = Field("", max_length=300)


class VisitOut(Schema):
    id: int
    match_id: int
    kind: str
    kind_label: str
    scheduled_for: dt.date
    status: str
    done_at: dt.datetime | None
    elder_wellbeing: int | None
    youth_wellbeing: int | None
    notes: str
    concerns: str


class VisitIn(Schema):
    elder_wellbeing: int = Field(..., ge=0, le=10)
    youth_wellbeing: int = Field(..., ge=0, le=10)
    notes: str = Field(..., max_length=3000)
    concerns: str = Field("", max_length=300)


class HomeshareFunnelStage(Schema):
    key: str
    label: str
    offers: int
    applications: int
    offers_now: int
    applications_now: int


class LabelValue(Schema):
    key: str
    label: str
    value: int


class HomeshareFunnelOut(Schema):
    stages: list[HomeshareFunnelStage]
    dropouts: list[LabelValue]
    by_place: list[dict[str, Any]]


class KpiOut(Schema):
    elders_matched_within_4_months: dict[str, Any]
    youths_matched_within_4_months: dict[str, Any]
    matches_started: int
    lasting_over_6_months: dict[str, Any]
    average_length_days: float | None
    living_now: int
    dropouts_no_match: int
    by_place: list[dict[str, Any]]


# --- rows ---------------------------------------------------------------------------------------------------


def offer_row(o: Offer) -> dict[str, Any]:
    return {
        "id": o.id,
        "elder_id": o.elder_id,
        "elder": o.elder.name,
        "community": str(o.community),
        "street": str(o.community.street),
        "stage": o.stage,
        "stage_label": str(o.get_stage_display()),
        "registered_on": o.registered_on,
        "dropped": o.dropped_at is not None,
        "dropout_reason": o.dropout_reason,
        "room_size_m2": float(o.room_size_m2),
        "floor": o.floor,
        "has_lift": o.has_lift,
        "rent_yuan": o.rent_yuan,
        "included": o.included,
        "smoking_allowed": o.smoking_allowed,
        "elder_smokes": o.elder_smokes,
        "pets_allowed": o.pets_allowed,
        "elder_has_pets": o.elder_has_pets,
        "visitors": o.visitors,
        "quiet_from": o.quiet_from,
        "quiet_to": o.quiet_to,
        "cooking": o.cooking,
        "help_kinds": o.help_kinds,
        "help_hours_per_week": o.help_hours_per_week,
        "evenings_wanted": o.evenings_wanted,
        "languages": o.languages,
        "interests": o.interests,
        "pref_gender": o.pref_gender,
        "age_min": o.age_min,
        "age_max": o.age_max,
        "consents": sorted(o.consents),
        "vetting_problems": services.vetting_problems(o) if o.stage != "vetted" else [],
    }


def reference_row(r: Reference) -> dict[str, Any]:
    from shiguang.core.masking import mask_phone

    return {
        "id": r.id,
        "name": r.name,
        "relation": r.relation,
        "organisation": r.organisation,
        "phone_masked": mask_phone(r.phone),
        "status": r.status,
        "note": r.note,
        "checked_at": r.checked_at,
    }


def application_row(a: Application) -> dict[str, Any]:
    from shiguang.core.masking import mask_id_number

    return {
        "id": a.id,
        "volunteer_id": a.volunteer_id,
        "youth": a.volunteer.name,
        "kind": a.volunteer.kind,
        "community": str(a.community),
        "stage": a.stage,
        "stage_label": str(a.get_stage_display()),
        "registered_on": a.registered_on,
        "dropped": a.dropped_at is not None,
        "dropout_reason": a.dropout_reason,
        "workplace": a.workplace,
        "budget_yuan": a.budget_yuan,
        "schedule": a.schedule,
        "evenings_home": a.evenings_home,
        "help_kinds": a.help_kinds,
        "help_hours_per_week": a.help_hours_per_week,
        "smoker": a.smoker,
        "has_pets": a.has_pets,
        "accepts_pets": a.accepts_pets,
        "accepts_smoke": a.accepts_smoke,
        "languages": a.languages,
        "interests": a.interests,
        "motivation": a.motivation,
        "id_number_masked": mask_id_number(a.id_number),
        "id_verified_at": a.id_verified_at,
        "background_outcome": a.background_outcome,
        "background_checked_on": a.background_checked_on,
        "background_recorded_by": str(a.background_recorded_by) if a.background_recorded_by else "",
        "references": [reference_row(r) for r in a.references.all()],
        "vetting_problems": services.vetting_problems(a) if a.stage != "vetted" else [],
    }


def match_row(m: Match) -> dict[str, Any]:
    current = services.current_version(m)
    return {
        "id": m.id,
        "offer_id": m.offer_id,
        "application_id": m.application_id,
        "elder": m.offer.elder.name,
        "youth": m.application.volunteer.name,
        "community": str(m.community),
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "score": m.score,
        "explanation": m.explanation,
        "elder_decision": m.elder_decision,
        "youth_decision": m.youth_decision,
        "started_on": m.started_on,
        "trial_ends_on": m.trial_ends_on,
        "term_ends_on": m.term_ends_on,
        "ended_on": m.ended_on,
        "end_reason": m.end_reason,
        "meetings": [
            {
                "id": x.id,
                "held_at": x.held_at,
                "place": x.place,
                "elder_feedback": x.elder_feedback,
                "youth_feedback": x.youth_feedback,
                "notes": x.notes,
            }
            for x in m.meetings.all()
        ],
        "current_agreement_id": current.pk if current else None,
    }


def agreement_row(v: AgreementVersion) -> dict[str, Any]:
    terms = v.terms
    terms.pop("youth_budget_yuan", None)  # internal, for the checker only
    return {
        "id": v.id,
        "match_id": v.match_id,
        "number": v.number,
        "status": v.status,
        "status_label": str(v.get_status_display()),
        "terms": terms,
        "rendered_text": v.rendered_text,
        "sha256": v.sha256,
        "change_note": v.change_note,
        "clause_versions": v.clause_versions,
        "problems": [p.as_dict() for p in services.agreement_check(v)] if v.status == "draft" else [],
        "signatures": [
            {
                "role": s.role,
                "role_label": str(s.get_role_display()),
                "signer": str(s.signer),
                "account": s.account,
                "method": s.method,
                "signed_at": s.signed_at,
                "document_sha256": s.document_sha256,
            }
            for s in v.signatures.select_related("signer")
        ],
        "versions": [
            {"id": x.id, "number": x.number, "status": x.status}
            for x in v.match.agreements.order_by("-number").only("id", "number", "status")
        ],
    }


def helplog_row(h: HelpLog) -> dict[str, Any]:
    return {
        "id": h.id,
        "match_id": h.match_id,
        "date": h.date,
        "minutes": h.minutes,
        "kinds": h.kinds,
        "note": h.note,
        "status": h.status,
        "ledger_ref": h.ledger_ref,
    }


def visit_row(v: Visit) -> dict[str, Any]:
    return {
        "id": v.id,
        "match_id": v.match_id,
        "kind": v.kind,
        "kind_label": str(v.get_kind_display()),
        "scheduled_for": v.scheduled_for,
        "status": v.status,
        "done_at": v.done_at,
        "elder_wellbeing": v.elder_wellbeing,
        "youth_wellbeing": v.youth_wellbeing,
        "notes": v.notes,
        "concerns": v.concerns,
    }


def pair_row(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "offer_id": p["offer"].pk,
        "elder": p["offer"].elder.name,
        "application_id": p["application"].pk,
        "youth": p["application"].volunteer.name,
        "explanation": p["explanation"],
    }


# --- offers -------------------------------------------------------------------------------------------------


@router.get("/offers", response=responses(list[HomeshareOfferOut]), summary="Elders' offers in my scope")
def offer_list(
    request: HttpRequest,
    stage: str = Query("", max_length=12),
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> list[dict[str, Any]]:
    return [offer_row(o) for o in selectors.offers(user_of(request), stage=stage)[offset : offset + limit]]


@router.post(
    "/offers", response=responses(HomeshareOfferOut, 201), summary="Record an elder's offer (workers)"
)
def offer_create(request: HttpRequest, payload: HomeshareOfferIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    elder = people_selectors.elder_get(user, payload.elder_id)
    data = payload.dict()
    data.pop("elder_id")
    return Status(201, offer_row(services.offer_create(actor=user, elder=elder, **data)))


@router.get("/offers/{offer_id}", response=responses(HomeshareOfferOut), summary="One offer")
def offer_detail(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    return offer_row(selectors.offer_get(user_of(request), offer_id))


@router.patch("/offers/{offer_id}", response=responses(HomeshareOfferOut), summary="Change an offer")
def offer_patch(request: HttpRequest, offer_id: int, payload: OfferPatch) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return offer_row(services.offer_update(actor=user_of(request), offer_id=offer_id, changes=changes))


@router.post("/offers/{offer_id}/consents", response=responses(HomeshareOfferOut), summary="Record a consent")
def offer_consent(request: HttpRequest, offer_id: int, payload: HomeshareConsentIn) -> dict[str, Any]:
    return offer_row(services.offer_consent(actor=user_of(request), offer_id=offer_id, **payload.dict()))


@router.get(
    "/offers/{offer_id}/suggestions",
    response=responses(list[PairOut]),
    summary="The 3 best youths for this elder, explained",
)
def offer_suggestions(
    request: HttpRequest, offer_id: int, k: int = Query(3, ge=1, le=10)
) -> list[dict[str, Any]]:
    user = user_of(request)
    offer = selectors.offer_get(user, offer_id)
    services.require_worker(user, offer)
    return [pair_row({"offer": offer, **s}) for s in selectors.suggestions(user, offer, k=k)]


# --- applications -------------------------------------------------------------------------------------------


@router.get(
    "/applications", response=responses(list[ApplicationOut]), summary="Youth applications in my scope"
)
def application_list(
    request: HttpRequest,
    stage: str = Query("", max_length=12),
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> list[dict[str, Any]]:
    qs = selectors.applications(user_of(request), stage=stage).prefetch_related("references")
    return [application_row(a) for a in qs[offset : offset + limit]]


@router.post(
    "/applications", response=responses(ApplicationOut, 201), summary="Apply (youth) or record (worker)"
)
def application_create(request: HttpRequest, payload: ApplicationIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    data = payload.dict()
    volunteer_id = data.pop("volunteer_id")
    if volunteer_id is None:
        volunteer = getattr(user, "volunteer_profile", None)
        if volunteer is None:
            raise Forbidden("只有登记为志愿者的青年可以申请同住。")
    else:
        volunteer = people_selectors.volunteer_get(user, volunteer_id)
    return Status(201, application_row(services.application_create(actor=user, volunteer=volunteer, **data)))


@router.get("/applications/{application_id}", response=responses(ApplicationOut), summary="One application")
def application_detail(request: HttpRequest, application_id: int) -> dict[str, Any]:
    return application_row(selectors.application_get(user_of(request), application_id))


@router.patch(
    "/applications/{application_id}", response=responses(ApplicationOut), summary="Change an application"
)
def application_patch(request: HttpRequest, application_id: int, payload: ApplicationPatch) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    app = services.application_update(actor=user_of(request), application_id=application_id, changes=changes)
    return application_row(app)


@router.post(
    "/applications/{application_id}/references",
    response=responses(ReferenceOut, 201),
    summary="Add a reference",
)
def reference_add(request: HttpRequest, application_id: int, payload: ReferenceIn) -> Status[dict[str, Any]]:
    ref = services.reference_add(actor=user_of(request), application_id=application_id, **payload.dict())
    return Status(201, reference_row(ref))


@router.post(
    "/references/{reference_id}/check", response=responses(ReferenceOut), summary="Record a reference check"
)
def reference_check(request: HttpRequest, reference_id: int, payload: ReferenceCheckIn) -> dict[str, Any]:
    return reference_row(
        services.reference_check(actor=user_of(request), reference_id=reference_id, **payload.dict())
    )


@router.post(
    "/applications/{application_id}/background",
    response=responses(ApplicationOut),
    summary="Record the ID and background check outcome (workers)",
)
def background(request: HttpRequest, application_id: int, payload: BackgroundIn) -> dict[str, Any]:
    app = services.background_record(actor=user_of(request), application_id=application_id, **payload.dict())
    return application_row(app)


# --- the funnel ---------------------------------------------------------------------------------------------


@router.post(
    "/{kind}/{pk}/stage", response=responses(dict[str, Any]), summary="Advance a funnel stage (workers)"
)
def stage(request: HttpRequest, kind: str, pk: int, payload: StageIn) -> dict[str, Any]:
    if kind not in ("offers", "applications"):
        raise NotFound()
    p = services.stage_advance(actor=user_of(request), kind=kind[:-1], pk=pk, **payload.dict())
    return {"id": p.pk, "stage": p.stage}


@router.post(
    "/{kind}/{pk}/dropout", response=responses(dict[str, Any]), summary="Record a drop-out and its reason"
)
def drop(request: HttpRequest, kind: str, pk: int, payload: DropoutIn) -> dict[str, Any]:
    if kind not in ("offers", "applications"):
        raise NotFound()
    p = services.dropout(actor=user_of(request), kind=kind[:-1], pk=pk, **payload.dict())
    return {"id": p.pk, "stage": p.stage, "dropout_reason": p.dropout_reason}


@router.post(
    "/{kind}/{pk}/rematch", response=responses(dict[str, Any]), summary="Back to the pool after an ending"
)
def rematch(request: HttpRequest, kind: str, pk: int) -> dict[str, Any]:
    if kind not in ("offers", "applications"):
        raise NotFound()
    p = services.rematch(actor=user_of(request), kind=kind[:-1], pk=pk)
    return {"id": p.pk, "stage": p.stage}


@router.get("/funnel", response=responses(HomeshareFunnelOut), summary="The funnel, by street or community")
def funnel(
    request: HttpRequest, street_id: int | None = None, community_id: int | None = None
) -> dict[str, Any]:
    user = user_of(request)
    if not services.is_worker(user):
        raise Forbidden()
    return selectors.funnel(user, street_id=street_id, community_id=community_id)


@router.get("/kpis", response=responses(KpiOut), summary="Homeshare UK quality framework KPIs")
def kpis(
    request: HttpRequest, street_id: int | None = None, community_id: int | None = None
) -> dict[str, Any]:
    user = user_of(request)
    if not services.is_worker(user):
        raise Forbidden()
    data = selectors.kpis(user, street_id=street_id, community_id=community_id)
    data["by_place"] = selectors.kpis_by_place(user, street_id=street_id)
    return data


# --- matching -----------------------------------------------------------------------------------------------


@router.get(
    "/matching/optimal", response=responses(OptimalOut), summary="Compute the optimal assignment (one click)"
)
def optimal(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    if not services.is_worker(user):
        raise Forbidden()
    result = selectors.optimal(user)
    return {
        "offers": result["offers"],
        "applications": result["applications"],
        "total": result["total"],
        "feasible_share": result["feasible_share"],
        "pairs": [pair_row(p) for p in result["pairs"]],
        "unmatched_offer_ids": [o.pk for o in result["unmatched_offers"]],
        "unmatched_application_ids": [a.pk for a in result["unmatched_applications"]],
    }


@router.post(
    "/matches", response=responses(MatchOut, 201), summary="Propose a pair (never across a hard constraint)"
)
def propose(request: HttpRequest, payload: ProposeIn) -> Status[dict[str, Any]]:
    match = services.match_propose(actor=user_of(request), **payload.dict())
    return Status(201, match_row(match))


@router.post(
    "/matches/bulk", response=responses(list[MatchOut], 201), summary="Propose every pair of an assignment"
)
def propose_many(request: HttpRequest, payload: ProposeManyIn) -> Status[list[dict[str, Any]]]:
    pairs = [(p.offer_id, p.application_id) for p in payload.pairs]
    return Status(
        201, [match_row(m) for m in services.match_propose_many(actor=user_of(request), pairs=pairs)]
    )


@router.get("/matches", response=responses(list[MatchOut]), summary="Matches I may see")
def match_list(
    request: HttpRequest,
    status: str = Query("", max_length=12),
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> list[dict[str, Any]]:
    return [match_row(m) for m in selectors.matches(user_of(request), status=status)[offset : offset + limit]]


@router.get("/matches/{match_id}", response=responses(MatchOut), summary="One match")
def match_detail(request: HttpRequest, match_id: int) -> dict[str, Any]:
    return match_row(selectors.match_get(user_of(request), match_id))


@router.post("/matches/{match_id}/meetings", response=responses(MeetingOut, 201), summary="Record a meeting")
def meeting(request: HttpRequest, match_id: int, payload: MeetingIn) -> Status[dict[str, Any]]:
    m = services.meeting_record(actor=user_of(request), match_id=match_id, **payload.dict())
    return Status(
        201,
        {
            "id": m.id,
            "held_at": m.held_at,
            "place": m.place,
            "elder_feedback": m.elder_feedback,
            "youth_feedback": m.youth_feedback,
            "notes": m.notes,
        },
    )


@router.post(
    "/matches/{match_id}/decision", response=responses(MatchOut), summary="Accept or decline after meeting"
)
def decide(request: HttpRequest, match_id: int, payload: DecideIn) -> dict[str, Any]:
    return match_row(services.match_decide(actor=user_of(request), match_id=match_id, **payload.dict()))


@router.post("/matches/{match_id}/cancel", response=responses(MatchOut), summary="Cancel a proposal")
def cancel(request: HttpRequest, match_id: int, payload: NoteIn) -> dict[str, Any]:
    return match_row(services.match_cancel(actor=user_of(request), match_id=match_id, note=payload.note))


@router.post(
    "/matches/{match_id}/confirm-trial", response=responses(MatchOut), summary="Trial passed → active"
)
def confirm_trial(request: HttpRequest, match_id: int, payload: NoteIn) -> dict[str, Any]:
    return match_row(
        services.match_confirm_trial(actor=user_of(request), match_id=match_id, note=payload.note)
    )


@router.post("/matches/{match_id}/end", response=responses(MatchOut), summary="End a match (with a reason)")
def end(request: HttpRequest, match_id: int, payload: EndIn) -> dict[str, Any]:
    return match_row(services.match_end(actor=user_of(request), match_id=match_id, **payload.dict()))


@router.post(
    "/matches/{match_id}/mediation",
    response=responses(HomeshareMediationOut, 201),
    summary="Ask the legal centre to mediate",
)
def mediation(request: HttpRequest, match_id: int, payload: MediationIn) -> Status[dict[str, Any]]:
    case = services.mediation_request(actor=user_of(request), match_id=match_id, **payload.dict())
    return Status(201, {"id": case.pk, "title": case.title, "status": case.status})


# --- agreements ---------------------------------------------------------------------------------------------


@router.get("/agreements/{version_id}", response=responses(AgreementOut), summary="One agreement version")
def agreement_detail(request: HttpRequest, version_id: int) -> dict[str, Any]:
    return agreement_row(selectors.version_get(user_of(request), version_id))


@router.post(
    "/matches/{match_id}/agreement",
    response=responses(AgreementOut, 201),
    summary="Change the agreement (new version)",
)
def agreement_revise(request: HttpRequest, match_id: int, payload: ReviseIn) -> Status[dict[str, Any]]:
    version = services.agreement_revise(actor=user_of(request), match_id=match_id, **payload.dict())
    return Status(201, agreement_row(version))


@router.post(
    "/agreements/{version_id}/finalise",
    response=responses(AgreementOut),
    summary="Check and finalise (lists every problem when it cannot)",
)
def agreement_finalise(request: HttpRequest, version_id: int) -> dict[str, Any]:
    return agreement_row(services.agreement_finalise(actor=user_of(request), version_id=version_id))


@router.post(
    "/agreements/{version_id}/sign", response=responses(SignatureOut, 201), summary="Sign (parties, legal)"
)
def agreement_sign(request: HttpRequest, version_id: int, payload: SignIn) -> Status[dict[str, Any]]:
    s = services.agreement_sign(actor=user_of(request), version_id=version_id, **payload.dict())
    return Status(
        201,
        {
            "role": s.role,
            "role_label": str(s.get_role_display()),
            "signer": str(s.signer),
            "account": s.account,
            "method": s.method,
            "signed_at": s.signed_at,
            "document_sha256": s.document_sha256,
        },
    )


@router.get(
    "/agreements/{version_id}/pdf",
    response=ERRORS,
    summary="The agreement as PDF (Chinese, embedded font)",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def agreement_pdf(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.version_get(user_of(request), version_id)
    return documents.pdf_response(version)


# --- monitoring ---------------------------------------------------------------------------------------------


@router.get("/matches/{match_id}/visits", response=responses(list[VisitOut]), summary="A match's visits")
def visits(request: HttpRequest, match_id: int) -> list[dict[str, Any]]:
    match = selectors.match_get(user_of(request), match_id)
    return [visit_row(v) for v in match.visits.all()]


@router.post(
    "/visits/{visit_id}", response=responses(VisitOut), summary="Record a visit with a wellbeing check"
)
def visit_record(request: HttpRequest, visit_id: int, payload: VisitIn) -> dict[str, Any]:
    return visit_row(services.visit_record(actor=user_of(request), visit_id=visit_id, **payload.dict()))


@router.get(
    "/matches/{match_id}/help", response=responses(list[HelpLogOut]), summary="Help logged in a match"
)
def help_list(request: HttpRequest, match_id: int) -> list[dict[str, Any]]:
    match = selectors.match_get(user_of(request), match_id)
    return [helplog_row(h) for h in match.help_logs.all()]


@router.post(
    "/matches/{match_id}/help", response=responses(HelpLogOut, 201), summary="Log help given (youth)"
)
def help_log(request: HttpRequest, match_id: int, payload: HelpLogIn) -> Status[dict[str, Any]]:
    entry = services.helplog_create(actor=user_of(request), match_id=match_id, **payload.dict())
    return Status(201, helplog_row(entry))


@router.post("/help/{log_id}/confirm", response=responses(HelpLogOut), summary="Confirm or dispute (elder)")
def help_confirm(request: HttpRequest, log_id: int, payload: HomeshareConfirmIn) -> dict[str, Any]:
    return helplog_row(services.helplog_confirm(actor=user_of(request), log_id=log_id, **payload.dict()))
