"""Reads of courses, sessions, enrolments and volunteers' training records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from shiguang.community.choices import EnrollmentStatus, SessionStatus, TrainingResult
from shiguang.community.models import (
    Certification,
    Course,
    CourseSession,
    SessionEnrollment,
    VolunteerInsurance,
    VolunteerRecruitment,
)
from shiguang.core import clock
from shiguang.core.scoping import get_scoped, scope_q, scoped
from shiguang.people.models import VolunteerProfile


def courses(*, active_only: bool = True) -> QuerySet[Course]:
    qs = Course.objects.all()
    return qs.filter(active=True) if active_only else qs


def _with_counts(qs: QuerySet[CourseSession]) -> QuerySet[CourseSession]:
    return qs.annotate(
        n_enrolled=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ENROLLED)),
        n_attended=Count("enrollments", filter=Q(enrollments__attended_at__isnull=False)),
        n_passed=Count("enrollments", filter=Q(enrollments__result=TrainingResult.PASSED)),
    )


def upcoming_sessions(*, days: int = 60, street_id: int | None = None) -> QuerySet[CourseSession]:
    """Sessions open for enrolment (training sessions are public notices, like activities)."""
    now = clock.now()
    qs = CourseSession.objects.filter(
        status=SessionStatus.SCHEDULED, start_at__gt=now, start_at__lte=now + dt.timedelta(days=days)
    ).select_related("course", "facility")
    if street_id:
        qs = qs.filter(facility__street_id=street_id)
    return _with_counts(qs).order_by("start_at", "id")


def sessions_for_staff(actor: Any, *, include_past_days: int = 30) -> QuerySet[CourseSession]:
    """Sessions at facilities in the actor's place, plus the ones they train."""
    since = clock.now() - dt.timedelta(days=include_past_days)
    qs = CourseSession.objects.select_related("course", "facility").filter(end_at__gte=since)
    q = scope_q(CourseSession, actor)
    if q is not None:
        qs = qs.filter(q | Q(trainer_id=actor.pk))
    return _with_counts(qs).order_by("start_at", "id")


def session_for_staff(actor: Any, session_id: int) -> CourseSession:
    qs = CourseSession.objects.select_related("course", "facility__street")
    trainer = qs.filter(pk=session_id, trainer_id=actor.pk).first()
    return trainer if trainer is not None else get_scoped(qs, actor, pk=session_id)


def session_public(session_id: Any) -> CourseSession | None:
    try:
        return CourseSession.objects.select_related("course", "facility").filter(pk=int(session_id)).first()
    except (TypeError, ValueError):
        return None


def enrollments_for(actor: Any, session: CourseSession) -> QuerySet[SessionEnrollment]:
    return (
        scoped(SessionEnrollment.objects.filter(session=session), actor)
        .select_related("volunteer__community", "volunteer__user", "certification", "marked_by")
        .order_by("status", "created_at", "id")
    )


def enrollments_of(volunteer: Any) -> QuerySet[SessionEnrollment]:
    return (
        SessionEnrollment.objects.filter(volunteer=volunteer)
        .select_related("session__course", "session__facility", "certification")
        .order_by("-session__start_at")
    )


def recruitment_of(volunteer: Any) -> VolunteerRecruitment | None:
    return VolunteerRecruitment.objects.filter(volunteer=volunteer).first()


def volunteer_rows(actor: Any) -> QuerySet[VolunteerProfile]:
    """Volunteers in scope with their valid certification count, insurance status and recruitment channel."""
    today = clock.today()
    valid = Q(
        certifications__revoked_at__isnull=True,
        certifications__issued_on__lte=today,
        certifications__expires_on__gte=today,
    )
    insured = VolunteerInsurance.objects.filter(
        volunteer_id=OuterRef("pk"), valid_from__lte=today, valid_to__gte=today
    )
    return (
        scoped(VolunteerProfile.objects.select_related("community", "recruitment"), actor)
        .annotate(
            n_valid_certs=Count("certifications__kind", filter=valid, distinct=True),
            insured=Exists(insured),
        )
        .order_by("community_id", "name", "id")
    )


def recruitment_summary(actor: Any) -> list[dict[str, Any]]:
    from shiguang.community.choices import RecruitmentChannel

    rows = (
        scoped(VolunteerRecruitment.objects.all(), actor)
        .values("channel")
        .annotate(n=Count("id"))
        .order_by("channel")
    )
    counts = {r["channel"]: r["n"] for r in rows}
    return [{"label": str(c.label), "value": counts.get(c.value, 0)} for c in RecruitmentChannel]


def certification_counts(actor: Any) -> list[dict[str, Any]]:
    """Valid certifications in scope by kind (for the staff training page)."""
    from shiguang.community.choices import CertificationKind

    today = clock.today()
    rows = (
        scoped(Certification.objects.all(), actor)
        .filter(revoked_at__isnull=True, issued_on__lte=today, expires_on__gte=today)
        .values("kind")
        .annotate(n=Count("volunteer", distinct=True))
    )
    counts = {r["kind"]: r["n"] for r in rows}
    return [{"label": str(k.label), "value": counts.get(k.value, 0)} for k in CertificationKind]
