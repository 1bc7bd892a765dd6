"""Legal centre API: clause library, consultations, the review queue, mediation cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from shiguang.core.api import page_limit, page_offset, responses, user_of
from shiguang.core.errors import NotFound
from shiguang.legal import registry, selectors, services

router = Router()


class ClauseOut(Schema):
    id: int
    domain: str
    key: str
    version: int
    position: int
    element: str
    title: str
    text: str
    is_current: bool
    change_note: str
    created_at: dt.datetime
    created_by: str


class ClauseIn(Schema):
    title: str = Field(..., max_length=100)
    text: str = Field(..., max_length=5000)
    element: str = Field("", max_length=40)
    position: int | None = Field(None, ge=0, le=1000)
    note: str = Field("", max_length=200)


class DocumentOut(Schema):
    domain: str
    label: str
    placeholders: dict[str, str]
    elements: dict[str, str]


class ConsultationOut(Schema):
    id: int
    topic: str
    topic_label: str
    question: str
    status: str
    status_label: str
    requester: str
    community: str
    advisor: str
    answer: str
    advisor_notes: str
    outcome: str
    created_at: dt.datetime
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None


class ConsultationIn(Schema):
    topic: str = Field(..., max_length=20)
    question: str = Field(..., max_length=3000)
    requester_id: int | None = Field(None, ge=1, le=2**31 - 1)


class AnswerIn(Schema):
    answer: str = Field(..., max_length=5000)
    outcome: str = Field(..., max_length=12)
    notes: str = Field("", max_length=3000)
    close: bool = False


class ReviewOut(Schema):
    id: int
    title: str
    summary: str
    status: str
    status_label: str
    community: str
    requested_by: str
    decided_by: str
    decided_at: dt.datetime | None
    notes: str
    subject: str
    subject_url: str
    created_at: dt.datetime


class LegalDecideIn(Schema):
    approve: bool
    notes: str = Field("", max_length=3000)


class MediationSessionOut(Schema):
    id: int
    held_at: dt.datetime
    mediator: str
    attendees: str
    summary: str
    agreed_actions: str
    next_session_at: dt.datetime | None


class MediationOut(Schema):
    id: int
    title: str
    category: str
    category_label: str
    issue: str
    status: str
    status_label: str
    outcome: str
    outcome_note: str
    parties: list[str]
    mediator: str
    subject: str
    subject_url: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    sessions: list[MediationSessionOut] = []


class MediationSessionIn(Schema):
    attendees: str = Field(..., max_length=300)
    summary: str = Field(..., max_length=5000)
    agreed_actions: str = Field("", max_length=3000)
    held_at: dt.datetime | None = None
    next_session_at: dt.datetime | None = None


class CloseIn(Schema):
    outcome: str = Field(..., max_length=20)
    note: str = Field(..., max_length=3000)


# --- clauses ------------------------------------------------------------------------------------------------


@router.get(
    "/documents", response=responses(list[DocumentOut]), summary="Document families and their placeholders"
)
def documents(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "domain": d.domain,
            "label": str(d.label),
            "placeholders": {k: str(v) for k, v in d.placeholders.items()},
            "elements": {k: str(v) for k, v in d.elements.items()},
        }
        for d in registry.documents()
    ]


@router.get("/clauses", response=responses(list[ClauseOut]), summary="Current clauses of a document family")
def clauses(request: HttpRequest, domain: str = Query("homeshare", max_length=30)) -> list[dict[str, Any]]:
    return [selectors.clause_row(c) for c in selectors.current_clauses(domain)]


@router.get(
    "/clauses/{domain}/{key}/history",
    response=responses(list[ClauseOut]),
    summary="Every version of a clause",
)
def clause_history(request: HttpRequest, domain: str, key: str) -> list[dict[str, Any]]:
    rows = [selectors.clause_row(c) for c in selectors.clause_history(domain, key)]
    if not rows:
        raise NotFound()
    return rows


@router.put(
    "/clauses/{domain}/{key}",
    response=responses(ClauseOut, 201),
    summary="Save a new version of a clause (legal advisors)",
)
def clause_save(request: HttpRequest, domain: str, key: str, payload: ClauseIn) -> Status[dict[str, Any]]:
    clause = services.clause_save(actor=user_of(request), domain=domain, key=key, **payload.dict())
    return Status(201, selectors.clause_row(clause))


# --- consultations ------------------------------------------------------------------------------------------


@router.get("/consultations", response=responses(list[ConsultationOut]), summary="Consultations I may see")
def consultations(
    request: HttpRequest,
    status: str = Query("", max_length=12),
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> list[dict[str, Any]]:
    user = user_of(request)
    qs = selectors.consultations(user, status=status)[offset : offset + limit]
    return [selectors.consultation_row(c, user) for c in qs]


@router.post("/consultations", response=responses(ConsultationOut, 201), summary="Ask a legal question")
def consultation_create(request: HttpRequest, payload: ConsultationIn) -> Status[dict[str, Any]]:
    from shiguang.accounts.models import User

    user = user_of(request)
    requester = None
    if payload.requester_id is not None:
        requester = User.objects.filter(pk=payload.requester_id, is_active=True).first()
        if requester is None:
            raise NotFound()
    consultation = services.consultation_create(
        actor=user, topic=payload.topic, question=payload.question, requester=requester
    )
    return Status(201, selectors.consultation_row(consultation, user))


@router.get(
    "/consultations/{consultation_id}", response=responses(ConsultationOut), summary="One consultation"
)
def consultation_detail(request: HttpRequest, consultation_id: int) -> dict[str, Any]:
    user = user_of(request)
    return selectors.consultation_row(selectors.consultation_get(user, consultation_id), user)


@router.post(
    "/consultations/{consultation_id}/answer",
    response=responses(ConsultationOut),
    summary="Answer a consultation (legal advisors)",
)
def consultation_answer(request: HttpRequest, consultation_id: int, payload: AnswerIn) -> dict[str, Any]:
    user = user_of(request)
    consultation = services.consultation_answer(actor=user, consultation_id=consultation_id, **payload.dict())
    return selectors.consultation_row(consultation, user)


@router.post(
    "/consultations/{consultation_id}/close",
    response=responses(ConsultationOut),
    summary="Close a consultation",
)
def consultation_close(request: HttpRequest, consultation_id: int) -> dict[str, Any]:
    user = user_of(request)
    return selectors.consultation_row(
        services.consultation_close(actor=user, consultation_id=consultation_id), user
    )


# --- reviews ------------------------------------------------------------------------------------------------


@router.get("/reviews", response=responses(list[ReviewOut]), summary="The document review queue")
def reviews(
    request: HttpRequest,
    status: str = Query("", max_length=20),
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> list[dict[str, Any]]:
    return [
        selectors.review_row(r)
        for r in selectors.reviews(user_of(request), status=status)[offset : offset + limit]
    ]


@router.get("/reviews/{review_id}", response=responses(ReviewOut), summary="One review")
def review_detail(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return selectors.review_row(selectors.review_get(user_of(request), review_id))


@router.post(
    "/reviews/{review_id}/decide",
    response=responses(ReviewOut),
    summary="Approve or send back (legal advisors)",
)
def review_decide(request: HttpRequest, review_id: int, payload: LegalDecideIn) -> dict[str, Any]:
    review = services.review_decide(actor=user_of(request), review_id=review_id, **payload.dict())
    return selectors.review_row(review)


# --- mediation ----------------------------------------------------------------------------------------------


@router.get("/mediation", response=responses(list[MediationOut]), summary="Mediation cases I may see")
def mediation_cases(
    request: HttpRequest,
    status: str = Query("", max_length=10),
    offset: int = page_offset(),
    limit: int = page_limit(),
) -> list[dict[str, Any]]:
    qs = selectors.mediation_cases(user_of(request), status=status)[offset : offset + limit]
    return [selectors.mediation_row(c) for c in qs]


@router.get("/mediation/{case_id}", response=responses(MediationOut), summary="One case with its sessions")
def mediation_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return selectors.mediation_row(selectors.mediation_get(user_of(request), case_id), with_sessions=True)


@router.post(
    "/mediation/{case_id}/sessions",
    response=responses(MediationSessionOut, 201),
    summary="Record a mediation session (legal advisors)",
)
def mediation_session(
    request: HttpRequest, case_id: int, payload: MediationSessionIn
) -> Status[dict[str, Any]]:
    session = services.mediation_session_add(actor=user_of(request), case_id=case_id, **payload.dict())
    return Status(
        201,
        {
            "id": session.id,
            "held_at": session.held_at,
            "mediator": str(session.mediator),
            "attendees": session.attendees,
            "summary": session.summary,
            "agreed_actions": session.agreed_actions,
            "next_session_at": session.next_session_at,
        },
    )


@router.post(
    "/mediation/{case_id}/close",
    response=responses(MediationOut),
    summary="Close a case: resolved, agreement changed or ended (legal advisors)",
)
def mediation_close(request: HttpRequest, case_id: int, payload: CloseIn) -> dict[str, Any]:
    case = services.mediation_close(actor=user_of(request), case_id=case_id, **payload.dict())
    return selectors.mediation_row(case, with_sessions=True)
