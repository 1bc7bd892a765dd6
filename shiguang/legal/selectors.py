"""Reads of the legal centre, always through the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shiguang.core.scoping import get_scoped, scoped
from shiguang.legal import registry
from shiguang.legal.choices import ConsultationStatus, MediationStatus, ReviewStatus
from shiguang.legal.models import Clause, Consultation, MediationCase, ReviewRequest


def current_clauses(domain: str) -> QuerySet[Clause]:
    return Clause.objects.filter(domain=domain, is_current=True).order_by("position", "key")


def clause_history(domain: str, key: str) -> QuerySet[Clause]:
    return Clause.objects.filter(domain=domain, key=key).select_related("created_by").order_by("-version")


def clause_get(domain: str, key: str, version: int | None = None) -> Clause | None:
    qs = Clause.objects.filter(domain=domain, key=key)
    return (qs.filter(version=version) if version else qs.filter(is_current=True)).first()


def consultations(actor: Any, *, status: str = "") -> QuerySet[Consultation]:
    qs = scoped(Consultation.objects.select_related("requester", "advisor", "community"), actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")


def consultation_get(actor: Any, consultation_id: Any) -> Consultation:
    return get_scoped(
        Consultation.objects.select_related("requester", "advisor", "raised_by"), actor, pk=consultation_id
    )


def reviews(actor: Any, *, status: str = "") -> QuerySet[ReviewRequest]:
    qs = scoped(ReviewRequest.objects.select_related("requested_by", "decided_by", "community"), actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def review_get(actor: Any, review_id: Any) -> ReviewRequest:
    return get_scoped(ReviewRequest.objects.select_related("requested_by", "decided_by"), actor, pk=review_id)


def mediation_cases(actor: Any, *, status: str = "") -> QuerySet[MediationCase]:
    qs = scoped(MediationCase.objects.select_related("mediator", "community"), actor)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")


def mediation_get(actor: Any, case_id: Any) -> MediationCase:
    return get_scoped(MediationCase.objects.select_related("mediator", "opened_by"), actor, pk=case_id)


def workload(actor: Any) -> dict[str, int]:
    return {
        "consultations_open": consultations(actor, status=ConsultationStatus.OPEN).count(),
        "reviews_pending": reviews(actor, status=ReviewStatus.PENDING).count(),
        "mediation_open": mediation_cases(actor, status=MediationStatus.OPEN).count(),
    }


def subject_info(obj: Any) -> dict[str, str]:
    subject = obj.subject
    return {
        "label": registry.describe(subject) if subject else "",
        "url": registry.url_for(subject) if subject else "",
    }


def clause_row(c: Clause) -> dict[str, Any]:
    return {
        "id": c.id,
        "domain": c.domain,
        "key": c.key,
        "version": c.version,
        "position": c.position,
        "element": c.element,
        "title": c.title,
        "text": c.text,
        "is_current": c.is_current,
        "change_note": c.change_note,
        "created_at": c.created_at,
        "created_by": str(c.created_by) if c.created_by else "",
    }


def consultation_row(c: Consultation, actor: Any) -> dict[str, Any]:
    from shiguang.legal.services import is_advisor

    return {
        "id": c.id,
        "topic": c.topic,
        "topic_label": str(c.get_topic_display()),
        "question": c.question,
        "status": c.status,
        "status_label": str(c.get_status_display()),
        "requester": str(c.requester),
        "community": str(c.community),
        "advisor": str(c.advisor) if c.advisor else "",
        "answer": c.answer,
        "advisor_notes": c.advisor_notes if is_advisor(actor) else "",
        "outcome": c.outcome,
        "created_at": c.created_at,
        "answered_at": c.answered_at,
        "closed_at": c.closed_at,
    }


def review_row(r: ReviewRequest) -> dict[str, Any]:
    info = subject_info(r)
    return {
        "id": r.id,
        "title": r.title,
        "summary": r.summary,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "community": str(r.community),
        "requested_by": str(r.requested_by),
        "decided_by": str(r.decided_by) if r.decided_by else "",
        "decided_at": r.decided_at,
        "notes": r.notes,
        "subject": info["label"],
        "subject_url": info["url"],
        "created_at": r.created_at,
    }


def mediation_row(c: MediationCase, *, with_sessions: bool = False) -> dict[str, Any]:
    info = subject_info(c)
    row: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "category": c.category,
        "category_label": str(c.get_category_display()),
        "issue": c.issue,
        "status": c.status,
        "status_label": str(c.get_status_display()),
        "outcome": c.outcome,
        "outcome_note": c.outcome_note,
        "parties": [str(p) for p in c.parties.all()],
        "mediator": str(c.mediator) if c.mediator else "",
        "subject": info["label"],
        "subject_url": info["url"],
        "created_at": c.created_at,
        "closed_at": c.closed_at,
    }
    if with_sessions:
        row["sessions"] = [
            {
                "id": s.id,
                "held_at": s.held_at,
                "mediator": str(s.mediator),
                "attendees": s.attendees,
                "summary": s.summary,
                "agreed_actions": s.agreed_actions,
                "next_session_at": s.next_session_at,
            }
            for s in c.sessions.select_related("mediator")
        ]
    return row
