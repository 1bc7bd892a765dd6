"""Courses, sessions, enrolments, certifications, insurance, recruitment channels and district rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from shiguang.accounts.choices import Role
from shiguang.community import schemas, selectors, services
from shiguang.community.models import Certification, SessionEnrollment
from shiguang.community.selectors import training as training_selectors
from shiguang.community.services._common import is_worker
from shiguang.core.api import responses, user_of
from shiguang.core.errors import Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import get_scoped
from shiguang.people import selectors as people

router = Router(tags=["community · training"])


def _staff(user: Any) -> Any:
    if not is_worker(user):
        raise Forbidden()
    return user


def _volunteer(user: Any, volunteer_id: int | None) -> Any:
    """The signed-in volunteer, or (staff) the volunteer named by `volunteer_id` in scope."""
    if volunteer_id is None:
        profile = getattr(user, "volunteer_profile", None)
        if profile is None:
            raise ValidationFailed(fields={"volunteer_id": [_("请指定志愿者。")]})
        return profile
    return people.volunteer_get(user, volunteer_id)


@router.get("/courses", response=responses(list[schemas.CourseOut]), summary="Training courses")
def courses(request: HttpRequest) -> list[dict[str, Any]]:
    return [schemas.course_row(c) for c in training_selectors.courses()]


@router.post("/courses", response=responses(schemas.CourseOut, 201), summary="Add a course (district staff)")
def course_create(request: HttpRequest, payload: schemas.CourseIn) -> Any:
    course = services.course_create(actor=user_of(request), **payload.dict())
    return Status(201, schemas.course_row(course))


@router.get("/sessions", response=responses(list[schemas.SessionOut]), summary="Training sessions")
def sessions(request: HttpRequest, manage: bool = False) -> list[dict[str, Any]]:
    """Upcoming sessions open for enrolment; with manage=true (staff) the sessions in my place."""
    user = user_of(request)
    rows = (
        training_selectors.sessions_for_staff(_staff(user))
        if manage
        else training_selectors.upcoming_sessions()
    )
    return [schemas.session_row(s) for s in rows[:300]]


@router.post("/sessions", response=responses(schemas.SessionOut, 201), summary="Schedule a session (staff)")
def session_create(request: HttpRequest, payload: schemas.SessionIn) -> Any:
    user = _staff(user_of(request))
    data = payload.dict()
    facility = selectors.facilities_for(user).filter(pk=data.pop("facility_id")).first()
    if facility is None:
        raise ValidationFailed(fields={"facility_id": [_("找不到该服务点，或不在您的辖区。")]})
    trainer = None
    trainer_id = data.pop("trainer_id")
    if trainer_id is not None:
        from shiguang.accounts.models import User

        trainer = User.objects.filter(pk=trainer_id, is_active=True).first()
        if trainer is None:
            raise ValidationFailed(fields={"trainer_id": [_("找不到该讲师账户。")]})
    session = services.session_create(actor=user, facility=facility, trainer=trainer, **data)
    return Status(201, schemas.session_row(session))


@router.post(
    "/sessions/{session_id}/cancel", response=responses(schemas.SessionOut), summary="Cancel a session"
)
def session_cancel(
    request: HttpRequest, session_id: int, payload: schemas.CommunityReasonIn
) -> dict[str, Any]:
    user = _staff(user_of(request))
    return schemas.session_row(
        services.session_cancel(actor=user, session_id=session_id, reason=payload.reason)
    )


@router.get(
    "/sessions/{session_id}/enrollments",
    response=responses(list[schemas.EnrollmentOut]),
    summary="A session's roster (trainer and staff)",
)
def session_roster(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    user = user_of(request)
    session = training_selectors.session_for_staff(user, session_id)
    return [schemas.enrollment_row(e) for e in training_selectors.enrollments_for(user, session)]


@router.post(
    "/sessions/{session_id}/enrollments",
    response=responses(schemas.EnrollmentOut, 201),
    summary="Enrol in a session (a full session is refused)",
)
def session_enroll(request: HttpRequest, session_id: int, payload: schemas.EnrollIn) -> Any:
    user = user_of(request)
    volunteer = _volunteer(user, payload.volunteer_id)
    enrollment = services.session_enroll(actor=user, session_id=session_id, volunteer=volunteer)
    return Status(201, schemas.enrollment_row(enrollment))


def _enrollment(user: Any, enrollment_id: int) -> SessionEnrollment:
    return get_scoped(SessionEnrollment.objects.select_related("volunteer"), user, pk=enrollment_id)


@router.post(
    "/enrollments/{enrollment_id}/cancel",
    response=responses(schemas.EnrollmentOut),
    summary="Cancel an enrolment",
)
def enrollment_cancel(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    user = user_of(request)
    _enrollment(user, enrollment_id)
    return schemas.enrollment_row(services.enrollment_cancel(actor=user, enrollment_id=enrollment_id))


@router.post(
    "/enrollments/{enrollment_id}/mark",
    response=responses(schemas.EnrollmentOut),
    summary="Record attendance and result (passing grants the certification)",
)
def enrollment_mark(request: HttpRequest, enrollment_id: int, payload: schemas.MarkIn) -> dict[str, Any]:
    user = user_of(request)
    _enrollment(user, enrollment_id)
    enrollment = services.enrollment_mark(
        actor=user, enrollment_id=enrollment_id, attended=payload.attended, result=payload.result
    )
    return schemas.enrollment_row(enrollment)


@router.get("/certifications", response=responses(list[schemas.CertificationOut]), summary="Certifications")
def certifications(request: HttpRequest, volunteer_id: int | None = None) -> list[dict[str, Any]]:
    user = user_of(request)
    volunteer = _volunteer(user, volunteer_id)
    return [schemas.certification_row(c) for c in selectors.certifications_of(user, volunteer)]


@router.get(
    "/certifications/expiring",
    response=responses(list[schemas.CertificationOut]),
    summary="Certifications expiring within 30 days (staff)",
)
def certifications_expiring(request: HttpRequest, days: int = 30) -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    return [
        schemas.certification_row(c)
        for c in selectors.expiring_certifications(user, max(1, min(days, 365)))[:500]
    ]


@router.post(
    "/certifications",
    response=responses(schemas.CertificationOut, 201),
    summary="Record an outside certification",
)
def certification_create(request: HttpRequest, payload: schemas.CertificationIn) -> Any:
    user = _staff(user_of(request))
    volunteer = people.volunteer_get(user, payload.volunteer_id)
    cert = services.certification_record(
        actor=user,
        volunteer=volunteer,
        kind=payload.kind,
        issued_on=payload.issued_on,
        expires_on=payload.expires_on,
        source=payload.source,
    )
    return Status(201, schemas.certification_row(cert))


@router.post(
    "/certifications/{certification_id}/revoke",
    response=responses(schemas.CertificationOut),
    summary="Revoke a certification",
)
def certification_revoke(
    request: HttpRequest, certification_id: int, payload: schemas.CommunityReasonIn
) -> dict[str, Any]:
    user = _staff(user_of(request))
    get_scoped(Certification.objects.all(), user, pk=certification_id)
    cert = services.certification_revoke(actor=user, certification_id=certification_id, reason=payload.reason)
    return schemas.certification_row(cert)


@router.get(
    "/volunteers/{volunteer_id}/gates",
    response=responses(schemas.GatesOut),
    summary="Whether a volunteer may take a task needing these certifications (and home visits)",
)
def volunteer_gates(request: HttpRequest, volunteer_id: int, kinds: str = "") -> dict[str, Any]:
    """`kinds`: comma-separated certification kinds, e.g. "home_visit_safety,fall_response"."""
    user = user_of(request)
    volunteer = people.volunteer_get(user, volunteer_id)
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    district_id = volunteer.community.street.district_id
    return {
        "volunteer_id": volunteer.id,
        "kinds": wanted,
        "has_certifications": selectors.has_certifications(volunteer, wanted),
        "missing": selectors.missing_certifications(volunteer, wanted),
        "insured": selectors.has_valid_insurance(volunteer),
        "insurance_required": selectors.insurance_required(district_id),
        "may_visit_homes": selectors.volunteer_may_visit_homes(volunteer),
    }


@router.get(
    "/insurance", response=responses(list[schemas.InsuranceOut]), summary="Accident insurance policies"
)
def insurance(request: HttpRequest, volunteer_id: int | None = None) -> list[dict[str, Any]]:
    user = user_of(request)
    volunteer = _volunteer(user, volunteer_id)
    return [schemas.insurance_row(p) for p in selectors.insurances_of(user, volunteer)]


@router.post("/insurance", response=responses(schemas.InsuranceOut, 201), summary="Record a policy (staff)")
def insurance_create(request: HttpRequest, payload: schemas.InsuranceIn) -> Any:
    user = _staff(user_of(request))
    volunteer = people.volunteer_get(user, payload.volunteer_id)
    data = payload.dict()
    data.pop("volunteer_id")
    return Status(
        201, schemas.insurance_row(services.insurance_record(actor=user, volunteer=volunteer, **data))
    )


@router.get(
    "/recruitment/{volunteer_id}",
    response=responses(schemas.RecruitmentOut),
    summary="A volunteer's recruitment channel",
)
def recruitment_get(request: HttpRequest, volunteer_id: int) -> dict[str, Any]:
    volunteer = people.volunteer_get(user_of(request), volunteer_id)
    record = training_selectors.recruitment_of(volunteer)
    if record is None:
        raise NotFound(_("尚未登记招募渠道。"))
    return schemas.recruitment_row(record)


@router.put(
    "/recruitment/{volunteer_id}",
    response=responses(schemas.RecruitmentOut),
    summary="Set the recruitment channel",
)
def recruitment_set(
    request: HttpRequest, volunteer_id: int, payload: schemas.RecruitmentIn
) -> dict[str, Any]:
    user = user_of(request)
    volunteer = people.volunteer_get(user, volunteer_id)
    return schemas.recruitment_row(
        services.recruitment_set(actor=user, volunteer=volunteer, **payload.dict())
    )


@router.get("/rules", response=responses(list[schemas.RuleOut]), summary="District rules")
def rules(request: HttpRequest) -> list[dict[str, Any]]:
    user = _staff(user_of(request))
    return selectors.rules_for(user)


@router.put(
    "/rules/{key}", response=responses(schemas.RuleOut), summary="Change a district rule (district staff)"
)
def rule_set(request: HttpRequest, key: str, payload: schemas.RuleIn) -> dict[str, Any]:
    user = user_of(request)
    if not (user.is_superuser or user.role in (Role.DISTRICT_STAFF, Role.ADMIN)):
        raise Forbidden(_("区级规则只能由区民政局工作人员修改。"))
    services.rule_set(actor=user, key=key, value=payload.value, note=payload.note)
    return next(r for r in selectors.rules_for(user) if r["key"] == key)
