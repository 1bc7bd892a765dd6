"""Case write-ups: the published (masked) view for everyone, drafting and review for staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from shiguang.community import schemas, selectors, services
from shiguang.community.services._common import is_worker
from shiguang.core.api import responses, user_of
from shiguang.core.errors import ValidationFailed
from shiguang.places.models import Community

router = Router(tags=["community · cases"])


@router.get(
    "/cases", response=responses(list[schemas.CaseOut]), summary="Cases (published; drafts for staff)"
)
def cases(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    user = user_of(request)
    rows = selectors.case_list(user, status=status) if is_worker(user) else selectors.published_cases(user)
    return [selectors.case_public(c) for c in rows[:200]]


@router.post("/cases", response=responses(schemas.CaseOut, 201), summary="Draft a case (staff)")
def case_create(request: HttpRequest, payload: schemas.CaseIn) -> Any:
    data = payload.dict()
    community = None
    if data.get("community_id") is not None:
        community = Community.objects.filter(pk=data["community_id"]).first()
        if community is None:
            raise ValidationFailed(fields={"community_id": [_("找不到该社区。")]})
    data.pop("community_id", None)
    case = services.case_draft(actor=user_of(request), community=community, **data)
    return Status(201, selectors.case_public(case))


@router.get("/cases/{case_id}", response=responses(schemas.CaseOut), summary="One case (masked)")
def case_get(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return selectors.case_public(selectors.case_get(user_of(request), case_id))


@router.patch("/cases/{case_id}", response=responses(schemas.CaseOut), summary="Edit a draft")
def case_update(request: HttpRequest, case_id: int, payload: schemas.CasePatch) -> dict[str, Any]:
    user = user_of(request)
    selectors.case_get(user, case_id)
    changes = payload.dict(exclude_unset=True)
    return selectors.case_public(services.case_update(actor=user, case_id=case_id, changes=changes))


@router.post("/cases/{case_id}/submit", response=responses(schemas.CaseOut), summary="Submit for review")
def case_submit(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = user_of(request)
    selectors.case_get(user, case_id)
    return selectors.case_public(services.case_submit(actor=user, case_id=case_id))


@router.post(
    "/cases/{case_id}/review", response=responses(schemas.CaseOut), summary="Publish or return (approver)"
)
def case_review(request: HttpRequest, case_id: int, payload: schemas.ReviewIn) -> dict[str, Any]:
    user = user_of(request)
    selectors.case_get(user, case_id)
    return selectors.case_public(
        services.case_review(actor=user, case_id=case_id, approve=payload.approve, note=payload.note)
    )


@router.post(
    "/cases/{case_id}/withdraw", response=responses(schemas.CaseOut), summary="Withdraw a published case"
)
def case_withdraw(request: HttpRequest, case_id: int, payload: schemas.CommunityReasonIn) -> dict[str, Any]:
    user = user_of(request)
    selectors.case_get(user, case_id)
    return selectors.case_public(services.case_withdraw(actor=user, case_id=case_id, reason=payload.reason))
