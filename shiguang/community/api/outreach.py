"""Outreach visits, the screening questionnaire, the funnel report and youth surveys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from shiguang.community import schemas, screening, selectors, services
from shiguang.community.selectors import outreach as outreach_selectors
from shiguang.community.services._common import is_worker
from shiguang.core.api import responses, user_of
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.places.models import Community

router = Router(tags=["community · outreach"])


def _staff(user: Any) -> Any:
    if not is_worker(user):
        raise Forbidden()
    return user


def _community(community_id: int | None) -> Community | None:
    if community_id is None:
        return None
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        raise ValidationFailed(fields={"community_id": [_("找不到该社区。")]})
    return community


@router.get("/outreach", response=responses(schemas.OutreachPage), summary="Outreach visits in my place")
def outreach(
    request: HttpRequest,
    community_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    outcome: str = "",
    interest: str = "",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    user = _staff(user_of(request))
    qs = selectors.outreach_list(
        user, community_id=community_id, start=start, end=end, outcome=outcome, interest=interest
    )
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    return {"count": qs.count(), "items": [schemas.outreach_row(v) for v in qs[offset : offset + limit]]}


@router.post(
    "/outreach",
    response=responses(schemas.OutreachOut, 201),
    summary="Log a visit (registered elder by id, or a new household by address)",
)
def outreach_create(request: HttpRequest, payload: schemas.OutreachIn) -> Any:
    user = _staff(user_of(request))
    data = payload.dict()
    community = _community(data.pop("community_id"))
    visit = services.outreach_log(actor=user, community=community, **data)
    return Status(201, schemas.outreach_row(visit))


@router.get("/outreach/funnel", response=responses(schemas.FunnelOut), summary="Funnel report per community")
def funnel(
    request: HttpRequest,
    community_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    user = _staff(user_of(request))
    return selectors.funnel(user, community_id=community_id, start=start, end=end)


@router.get("/outreach/{visit_id}", response=responses(schemas.OutreachOut), summary="One visit")
def outreach_get(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    user = _staff(user_of(request))
    return schemas.outreach_row(outreach_selectors.visit_get(user, visit_id))


@router.post(
    "/outreach/{visit_id}/screening",
    response=responses(schemas.ScreeningOut),
    summary="Record the screening questionnaire",
)
def outreach_screening(request: HttpRequest, visit_id: int, payload: schemas.ScreeningIn) -> dict[str, Any]:
    user = _staff(user_of(request))
    return schemas.screening_row(
        services.screening_record(actor=user, visit_id=visit_id, answers=payload.answers)
    )


@router.post(
    "/outreach/{visit_id}/link",
    response=responses(schemas.OutreachOut),
    summary="Link a new household's visits to its elder record",
)
def outreach_link(request: HttpRequest, visit_id: int, payload: schemas.LinkIn) -> dict[str, Any]:
    user = _staff(user_of(request))
    return schemas.outreach_row(
        services.outreach_link_elder(actor=user, visit_id=visit_id, elder_id=payload.elder_id)
    )


@router.get(
    "/screening/questions", response=responses(list[schemas.QuestionOut]), summary="The questionnaire"
)
def screening_questions(request: HttpRequest) -> list[dict[str, Any]]:
    return screening.table()


@router.get("/youth-surveys", response=responses(list[schemas.YouthOut]), summary="Youth surveys (staff)")
def youth_surveys(request: HttpRequest, kind: str = "", interest: str = "") -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    return [
        schemas.youth_row(s)
        for s in outreach_selectors.youth_surveys(user, kind=kind, interest=interest)[:500]
    ]


@router.get(
    "/youth-surveys/summary", response=responses(schemas.YouthSummaryOut), summary="Youth survey summary"
)
def youth_summary(request: HttpRequest) -> dict[str, Any]:
    return selectors.youth_summary(_staff(user_of(request)))


@router.post("/youth-surveys", response=responses(schemas.YouthOut, 201), summary="Record a youth survey")
def youth_create(request: HttpRequest, payload: schemas.YouthIn) -> Any:
    user = user_of(request)
    data = payload.dict()
    community = _community(data.pop("community_id"))
    return Status(
        201, schemas.youth_row(services.youth_survey_record(actor=user, community=community, **data))
    )
