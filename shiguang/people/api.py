from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from shiguang.core.api import page_limit, page_offset, responses, user_of
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.people import assessment, selectors, services
from shiguang.people.models import ElderProfile, VolunteerProfile
from shiguang.places.models import Community

router = Router()


class ElderOut(Schema):
    id: int
    name: str
    gender: str
    age: int
    community_id: int
    community: str
    living_arrangement: str
    hukou: str
    languages: list[str]
    needs: list[str]
    has_phone: bool
    masked: dict[str, str]
    home_lat: float | None
    home_lng: float | None


class ElderPage(Schema):
    count: int
    items: list[ElderOut]


class ElderIn(Schema):
    community_id: int
    name: str = Field(..., max_length=60)
    gender: str
    birth_date: dt.date
    living_arrangement: str
    hukou: str
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=20)
    address: str = Field("", max_length=200)
    home_lat: float | None = None
    home_lng: float | None = None
    health_notes: str = Field("", max_length=2000)
    languages: list[str] = []
    needs: list[str] = []


class ElderPatch(Schema):
    living_arrangement: str | None = None
    hukou: str | None = None
    languages: list[str] | None = None
    needs: list[str] | None = None
    address: str | None = Field(None, max_length=200)
    health_notes: str | None = Field(None, max_length=2000)


class RevealIn(Schema):
    field: str
    purpose: str = Field(..., max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class AssessmentIn(Schema):
    answers: dict[str, int]
    assessed_on: dt.date | None = None
    note: str = Field("", max_length=1000)


class AssessmentOut(Schema):
    id: int
    assessed_on: dt.date
    total: int
    level: int
    level_label: str
    domain_scores: dict[str, int]
    reassess_due: dt.date
    assessor: str


class VolunteerOut(Schema):
    id: int
    name: str
    kind: str
    community_id: int
    skills: list[str]
    languages: list[str]
    verification_status: str


class VerifyIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


def elder_row(e: ElderProfile) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "gender": e.gender,
        "age": e.age(),
        "community_id": e.community_id,
        "community": str(e.community),
        "living_arrangement": e.living_arrangement,
        "hukou": e.hukou,
        "languages": e.languages,
        "needs": e.needs,
        "has_phone": e.has_phone,
        "masked": services.masked(e),
        "home_lat": e.home_lat,
        "home_lng": e.home_lng,
    }


def assessment_row(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "assessed_on": a.assessed_on,
        "total": a.total,
        "level": a.level,
        "level_label": str(a.get_level_display()),
        "domain_scores": a.domain_scores,
        "reassess_due": a.reassess_due,
        "assessor": str(a.assessor),
    }


def volunteer_row(v: VolunteerProfile) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "kind": v.kind,
        "community_id": v.community_id,
        "skills": v.skills,
        "languages": v.languages,
        "verification_status": v.verification_status,
    }


@router.get(
    "/elders",
    response=responses(ElderPage),
    summary="Elders in my scope (search by name, ID number or phone)",
)
def elders(
    request: HttpRequest,
    q: str = Query("", max_length=40),
    community_id: int | None = None,
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> dict[str, Any]:
    qs = selectors.elder_list(user_of(request), query=q, community_id=community_id)
    return {"count": qs.count(), "items": [elder_row(e) for e in qs[offset : offset + limit]]}


@router.post(
    "/elders",
    response=responses(ElderOut, 201),
    summary="Register an elder (workers; proxy mode when no phone)",
)
def elder_create(request: HttpRequest, payload: ElderIn) -> Status[dict[str, Any]]:
    community = Community.objects.filter(id=payload.community_id).first()
    if community is None:
        raise ValidationFailed(fields={"community_id": ["unknown community"]})
    data = payload.dict()
    data.pop("community_id")
    elder = services.elder_register(actor=user_of(request), community=community, **data)
    return Status(201, elder_row(elder))


@router.get("/elders/{elder_id}", response=responses(ElderOut), summary="One elder (masked)")
def elder_detail(request: HttpRequest, elder_id: int) -> dict[str, Any]:
    return elder_row(selectors.elder_get(user_of(request), elder_id))


@router.patch("/elders/{elder_id}", response=responses(ElderOut), summary="Update an elder's profile")
def elder_patch(request: HttpRequest, elder_id: int, payload: ElderPatch) -> dict[str, Any]:
    elder = selectors.elder_get(user_of(request), elder_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return elder_row(services.elder_update(actor=user_of(request), elder=elder, changes=changes))


@router.post(
    "/elders/{elder_id}/reveal",
    response=responses(RevealOut),
    summary="Show one sensitive field in full (audited)",
)
def elder_reveal(request: HttpRequest, elder_id: int, payload: RevealIn) -> dict[str, Any]:
    elder = selectors.elder_get(user_of(request), elder_id)
    value = services.elder_reveal(
        actor=user_of(request), elder=elder, field=payload.field, purpose=payload.purpose
    )
    return {"field": payload.field, "value": value}


@router.get(
    "/elders/{elder_id}/assessments",
    response=responses(list[AssessmentOut]),
    summary="Capability assessments",
)
def elder_assessments(request: HttpRequest, elder_id: int) -> list[dict[str, Any]]:
    elder = selectors.elder_get(user_of(request), elder_id)
    return [assessment_row(a) for a in selectors.assessments_for(user_of(request), elder)]


@router.post(
    "/elders/{elder_id}/assessments",
    response=responses(AssessmentOut, 201),
    summary="Record a GB/T 42195-2022 assessment",
)
def elder_assess(request: HttpRequest, elder_id: int, payload: AssessmentIn) -> Status[dict[str, Any]]:
    elder = selectors.elder_get(user_of(request), elder_id)
    record = services.assessment_record(
        actor=user_of(request),
        elder=elder,
        answers=payload.answers,
        assessed_on=payload.assessed_on,
        note=payload.note,
    )
    return Status(201, assessment_row(record))


@router.get(
    "/assessment-form",
    response=responses(dict[str, Any]),
    summary="The assessment items and levels (data file)",
)
def assessment_form(request: HttpRequest) -> dict[str, Any]:
    return assessment.table()


@router.get("/volunteers", response=responses(list[VolunteerOut]), summary="Volunteers in my scope")
def volunteers(
    request: HttpRequest, offset: int = page_offset(), limit: int = page_limit(50, 200)
) -> list[dict[str, Any]]:
    user = user_of(request)
    if not getattr(user, "is_staff_role", False):
        raise Forbidden()
    return [volunteer_row(v) for v in selectors.volunteer_list(user)[offset : offset + limit]]


@router.post(
    "/volunteers/{volunteer_id}/verify",
    response=responses(VolunteerOut),
    summary="Verify or reject a volunteer",
)
def volunteer_verify(request: HttpRequest, volunteer_id: int, payload: VerifyIn) -> dict[str, Any]:
    volunteer = selectors.volunteer_get(user_of(request), volunteer_id)
    return volunteer_row(
        services.volunteer_verify(
            actor=user_of(request), volunteer=volunteer, approve=payload.approve, note=payload.note
        )
    )
