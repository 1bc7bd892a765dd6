"""Volunteer recruitment, training, certifications (with expiry reminders) and accident insurance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.community.choices import (
    CertificationKind,
    EnrollmentStatus,
    RecruitmentChannel,
    SessionStatus,
    TrainingResult,
)
from shiguang.community.models import (
    Certification,
    Course,
    CourseSession,
    SessionEnrollment,
    VolunteerInsurance,
    VolunteerRecruitment,
)
from shiguang.community.services._common import (
    add_months,
    describe_when,
    facility_in_scope,
    is_worker,
    require_facility_staff,
)
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import in_scope, is_worker_for
from shiguang.places.choices import FacilityStatus

EXPIRY_REMINDER_DAYS = 30
ATTENDANCE_OPENS_BEFORE = dt.timedelta(minutes=30)
RESULTS_EDITABLE_FOR = dt.timedelta(days=30)


def _require_worker(actor: Any, volunteer: Any) -> None:
    if not is_worker_for(actor, volunteer):
        raise Forbidden(_("只有本辖区工作人员可以记录志愿者资质。"))


def _notify(recipient: Any, template: str, data: dict[str, Any], dedupe_key: str, link: str) -> None:
    from shiguang.notify.services import enqueue

    enqueue(recipient=recipient, template=template, data=data, link=link, dedupe_key=dedupe_key)


# --- certifications and insurance ---------------------------------------------------------------------------


def _issue(
    *, actor: Any, volunteer: Any, kind: str, issued_on: dt.date, expires_on: dt.date, source: str
) -> Certification:
    errors: dict[str, list[str]] = {}
    if kind not in CertificationKind.values:
        errors["kind"] = [_("未知的资质类别。")]
    if expires_on <= issued_on:
        errors["expires_on"] = [_("有效期必须晚于发证日期。")]
    if errors:
        raise ValidationFailed(fields=errors)
    cert = Certification.objects.create(
        volunteer=volunteer,
        kind=kind,
        issued_on=issued_on,
        expires_on=expires_on,
        issued_by=actor,
        source=source[:120],
        remind_on=expires_on - dt.timedelta(days=EXPIRY_REMINDER_DAYS),
    )
    audit.record(
        "community.certification.recorded",
        actor=actor,
        target=cert,
        data={"kind": kind, "expires_on": expires_on.isoformat(), "source": cert.source},
    )
    return cert


@transaction.atomic
def certification_record(
    *, actor: Any, volunteer: Any, kind: str, issued_on: dt.date, expires_on: dt.date, source: str = ""
) -> Certification:
    """Record a certification from an outside body (courses here grant theirs through `enrollment_mark`)."""
    _require_worker(actor, volunteer)
    return _issue(
        actor=actor, volunteer=volunteer, kind=kind, issued_on=issued_on, expires_on=expires_on, source=source
    )


@transaction.atomic
def certification_revoke(*, actor: Any, certification_id: int, reason: str) -> Certification:
    cert = (
        Certification.objects.select_for_update(of=("self",))
        .select_related("volunteer")
        .filter(pk=certification_id)
        .first()
    )
    if cert is None:
        raise NotFound(_("找不到该证书。"))
    _require_worker(actor, cert.volunteer)
    if cert.revoked_at is not None:
        raise Conflict(_("该证书已经撤销。"))
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写撤销原因。")]})
    cert.revoked_at = clock.now()
    cert.revoke_reason = reason.strip()[:200]
    cert.save(update_fields=["revoked_at", "revoke_reason"])
    audit.record(
        "community.certification.revoked", actor=actor, target=cert, data={"reason": cert.revoke_reason}
    )
    return cert


@transaction.atomic
def insurance_record(
    *, actor: Any, volunteer: Any, insurer: str, policy_number: str, valid_from: dt.date, valid_to: dt.date
) -> VolunteerInsurance:
    _require_worker(actor, volunteer)
    errors: dict[str, list[str]] = {}
    if not insurer.strip():
        errors["insurer"] = [_("请填写保险公司。")]
    if not policy_number.strip():
        errors["policy_number"] = [_("请填写保单号。")]
    if valid_to < valid_from:
        errors["valid_to"] = [_("到期日期不能早于生效日期。")]
    if (
        not errors
        and VolunteerInsurance.objects.filter(
            volunteer=volunteer, insurer=insurer.strip(), policy_number=policy_number.strip()
        ).exists()
    ):
        errors["policy_number"] = [_("该保单已经登记过。")]
    if errors:
        raise ValidationFailed(fields=errors)
    policy = VolunteerInsurance.objects.create(
        volunteer=volunteer,
        insurer=insurer.strip(),
        policy_number=policy_number.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        recorded_by=actor,
    )
    audit.record(
        "community.insurance.recorded", actor=actor, target=policy, data={"valid_to": valid_to.isoformat()}
    )
    return policy


def send_expiry_reminders(worker_id: str, batch: int = 100) -> int:
    """Worker handler: 30 days before a certification expires, remind the volunteer (once).

    A certification already renewed (another valid one of the same kind lasting past the reminder
    window) is marked reminded without a message.
    """
    today = clock.today()
    now = clock.now()
    with transaction.atomic():
        qs = Certification.objects.filter(
            remind_on__lte=today, reminded_at__isnull=True, revoked_at__isnull=True
        ).order_by("remind_on", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.select_related("volunteer__user")[:batch])
        for cert in rows:
            renewed = (
                Certification.objects.filter(
                    volunteer_id=cert.volunteer_id,
                    kind=cert.kind,
                    revoked_at__isnull=True,
                    expires_on__gt=cert.expires_on + dt.timedelta(days=EXPIRY_REMINDER_DAYS),
                )
                .exclude(pk=cert.pk)
                .exists()
            )
            if not renewed and cert.expires_on >= today:
                _notify(
                    cert.volunteer.user,
                    "community.certification.expiring",
                    {
                        "kind": str(cert.get_kind_display()),
                        "expires_on": cert.expires_on.isoformat(),
                        "days": (cert.expires_on - today).days,
                    },
                    f"community:cert:{cert.id}:expiring",
                    reverse("community:my_certifications"),
                )
            cert.reminded_at = now
            cert.save(update_fields=["reminded_at"])
            audit.record(
                "community.certification.expiry_reminded",
                target=cert,
                data={"renewed": renewed, "worker": worker_id[:64]},
            )
        return len(rows)


# --- recruitment -------------------------------------------------------------------------------------------


@transaction.atomic
def recruitment_set(
    *, actor: Any, volunteer: Any, channel: str, organisation: str = "", note: str = ""
) -> VolunteerRecruitment:
    """Record how a volunteer was recruited (the volunteer or a worker in scope)."""
    if not (actor.pk == volunteer.user_id or (is_worker(actor) and in_scope(volunteer, actor))):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    if channel not in RecruitmentChannel.values:
        errors["channel"] = [_("请选择招募渠道。")]
    if len(organisation) > 100:
        errors["organisation"] = [_("单位/学校名称不超过100个字。")]
    if channel in (
        RecruitmentChannel.UNIVERSITY,
        RecruitmentChannel.LEGAL,
        RecruitmentChannel.EMPLOYER,
    ) and not (organisation.strip()):
        errors["organisation"] = [_("请填写学校、律所或单位名称。")]
    if errors:
        raise ValidationFailed(fields=errors)
    record, created = VolunteerRecruitment.objects.update_or_create(
        volunteer=volunteer,
        defaults={
            "channel": channel,
            "organisation": organisation.strip(),
            "note": note.strip()[:200],
            "recorded_by": actor,
        },
    )
    audit.record(
        "community.recruitment.recorded" if created else "community.recruitment.updated",
        actor=actor,
        target=record,
        data={"channel": channel},
    )
    return record


# --- courses and sessions -----------------------------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    actor: Any,
    code: str,
    title: str,
    certification_kind: str,
    validity_months: int,
    hours: Any,
    description: str = "",
) -> Course:
    if not (actor.is_superuser or actor.role in (Role.DISTRICT_STAFF, Role.ADMIN)):
        raise Forbidden(_("课程由区民政局统一设置。"))
    errors: dict[str, list[str]] = {}
    from django.utils.text import slugify

    code = slugify(code)[:40]
    if not code:
        errors["code"] = [_("请填写课程编号（英文字母、数字或连字符）。")]
    elif Course.objects.filter(code=code).exists():
        errors["code"] = [_("该课程编号已存在。")]
    if not title.strip():
        errors["title"] = [_("请填写课程名称。")]
    if certification_kind not in CertificationKind.values:
        errors["certification_kind"] = [_("请选择课程授予的资质。")]
    if not isinstance(validity_months, int) or not 1 <= validity_months <= 120:
        errors["validity_months"] = [_("有效期应在1到120个月之间。")]
    try:
        hours_value = Decimal(str(hours))
        if not Decimal("0.5") <= hours_value <= Decimal("200"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["hours"] = [_("学时应在0.5到200之间。")]
        hours_value = Decimal(0)
    if errors:
        raise ValidationFailed(fields=errors)
    course = Course.objects.create(
        code=code,
        title=title.strip(),
        certification_kind=certification_kind,
        validity_months=validity_months,
        hours=hours_value,
        description=description.strip(),
    )
    audit.record("community.course.created", actor=actor, target=course, data={"kind": certification_kind})
    return course


@transaction.atomic
def session_create(
    *,
    actor: Any,
    course_id: int,
    facility: Any,
    start_at: dt.datetime,
    end_at: dt.datetime,
    capacity: int,
    trainer_name: str,
    trainer: Any = None,
    is_demo: bool = False,
) -> CourseSession:
    require_facility_staff(actor, facility)
    course = Course.objects.filter(pk=course_id, active=True).first()
    errors: dict[str, list[str]] = {}
    if course is None:
        errors["course_id"] = [_("找不到该课程，或课程已停开。")]
    if not trainer_name.strip():
        errors["trainer_name"] = [_("请填写培训讲师。")]
    if start_at <= clock.now():
        errors["start_at"] = [_("开始时间必须晚于现在。")]
    if end_at <= start_at:
        errors["end_at"] = [_("结束时间必须晚于开始时间。")]
    if not isinstance(capacity, int) or not 1 <= capacity <= 300:
        errors["capacity"] = [_("名额应在1到300之间。")]
    if facility.status != FacilityStatus.OPEN:
        errors["facility"] = [_("该服务点未在运营。")]
    if errors:
        raise ValidationFailed(fields=errors)
    assert course is not None
    session = CourseSession.objects.create(
        course=course,
        trainer_name=trainer_name.strip()[:60],
        trainer=trainer,
        facility=facility,
        community_id=facility.community_id,
        start_at=start_at,
        end_at=end_at,
        capacity=capacity,
        created_by=actor,
        is_demo=is_demo,
    )
    audit.record(
        "community.session.created",
        actor=actor,
        target=session,
        data={"course": course.code, "start_at": start_at, "capacity": capacity},
    )
    return session


def _lock_session(session_id: Any) -> CourseSession:
    try:
        session = (
            CourseSession.objects.select_for_update(of=("self",))
            .select_related("course", "facility__street")
            .filter(pk=int(session_id))
            .first()
        )
    except (TypeError, ValueError):
        session = None
    if session is None:
        raise NotFound(_("找不到该培训场次。"))
    return session


def _may_manage_session(actor: Any, session: CourseSession) -> bool:
    if session.trainer_id is not None and session.trainer_id == actor.pk:
        return True
    return is_worker(actor) and facility_in_scope(session.facility, actor)


@transaction.atomic
def session_cancel(*, actor: Any, session_id: int, reason: str) -> CourseSession:
    session = _lock_session(session_id)
    require_facility_staff(actor, session.facility)
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_("该培训场次已经取消。"))
    if clock.now() >= session.start_at:
        raise Conflict(_("培训已经开始，不能取消。"))
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写取消原因，我们会通知已报名的志愿者。")]})
    session.status = SessionStatus.CANCELLED
    session.save(update_fields=["status"])
    enrolled = list(
        SessionEnrollment.objects.select_related("volunteer__user").filter(
            session=session, status=EnrollmentStatus.ENROLLED
        )
    )
    for enrollment in enrolled:
        _notify(
            enrollment.volunteer.user,
            "community.session.cancelled",
            {
                "course": session.course.title,
                "when": describe_when(session.start_at),
                "reason": reason.strip(),
            },
            f"community:session:{session.id}:cancelled:{enrollment.volunteer_id}",
            reverse("community:training"),
        )
    audit.record(
        "community.session.cancelled",
        actor=actor,
        target=session,
        data={"reason": reason[:200], "notified": len(enrolled)},
    )
    return session


@transaction.atomic
def session_enroll(*, actor: Any, session_id: int, volunteer: Any) -> SessionEnrollment:
    """A volunteer enrols (or a worker enrols them). A full session is refused with a clear message."""
    if not (actor.pk == volunteer.user_id or (is_worker(actor) and in_scope(volunteer, actor))):
        raise Forbidden(_("您只能为自己或本辖区的志愿者报名。"))
    session = _lock_session(session_id)
    now = clock.now()
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_("该培训场次已取消。"))
    staff_on_site = is_worker(actor) and now < session.end_at
    if now >= session.start_at and not staff_on_site:
        raise Conflict(_("培训已经开始，不能再报名。请选择其他场次。"))
    if SessionEnrollment.objects.filter(
        session=session, volunteer=volunteer, status=EnrollmentStatus.ENROLLED
    ).exists():
        raise Conflict(_("已报名该培训场次，无需重复报名。"), code="already_enrolled")
    taken = SessionEnrollment.objects.filter(session=session, status=EnrollmentStatus.ENROLLED).count()
    if taken >= session.capacity:
        raise Conflict(
            _("该场次名额已满（%(n)s人），请选择其他场次。") % {"n": session.capacity}, code="session_full"
        )
    enrollment = SessionEnrollment.objects.create(session=session, volunteer=volunteer, enrolled_by=actor)
    audit.record(
        "community.session.enrolled",
        actor=actor,
        on_behalf_of=volunteer.user if actor.pk != volunteer.user_id else None,
        target=enrollment,
        data={"session": session.id, "course": session.course.code},
    )
    return enrollment


@transaction.atomic
def enrollment_cancel(*, actor: Any, enrollment_id: int) -> SessionEnrollment:
    found = SessionEnrollment.objects.select_related("volunteer").filter(pk=enrollment_id).first()
    if found is None:
        raise NotFound(_("找不到该培训报名。"))
    if not (actor.pk == found.volunteer.user_id or (is_worker(actor) and in_scope(found.volunteer, actor))):
        raise Forbidden()
    session = _lock_session(found.session_id)
    enrollment = SessionEnrollment.objects.select_for_update().get(pk=found.pk)
    if enrollment.status == EnrollmentStatus.CANCELLED:
        raise Conflict(_("该报名已经取消。"))
    if clock.now() >= session.start_at:
        raise Conflict(_("培训已经开始，不能取消报名。"))
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.save(update_fields=["status"])
    audit.record(
        "community.session.enrollment_cancelled", actor=actor, target=enrollment, data={"session": session.id}
    )
    return enrollment


@transaction.atomic
def enrollment_mark(
    *, actor: Any, enrollment_id: int, attended: bool, result: str = TrainingResult.PENDING
) -> SessionEnrollment:
    """The trainer or a worker records attendance and result; passing grants the course's certification."""
    found = SessionEnrollment.objects.filter(pk=enrollment_id).values_list("session_id", flat=True).first()
    if found is None:
        raise NotFound(_("找不到该培训报名。"))
    session = _lock_session(found)
    if not _may_manage_session(actor, session):
        raise Forbidden(_("只有本场讲师或该服务点所在辖区的工作人员可以登记出勤和考核结果。"))
    enrollment = (
        SessionEnrollment.objects.select_for_update(of=("self",))
        .select_related("volunteer__user")
        .get(pk=enrollment_id)
    )
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if result not in TrainingResult.values:
        errors["result"] = [_("未知的考核结果。")]
    if result == TrainingResult.PASSED and not attended:
        errors["result"] = [_("未出勤的志愿者不能评为通过。")]
    if errors:
        raise ValidationFailed(fields=errors)
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_("该培训场次已取消。"))
    if enrollment.status != EnrollmentStatus.ENROLLED:
        raise Conflict(_("该报名已取消，不能登记出勤。"))
    if now < session.start_at - ATTENDANCE_OPENS_BEFORE:
        raise Conflict(
            _("培训尚未开始（%(when)s），暂不能登记出勤。") % {"when": describe_when(session.start_at)},
            code="session_not_started",
        )
    if result != TrainingResult.PENDING and now < session.start_at:
        raise Conflict(_("培训开始后才能评定考核结果。"), code="session_not_started")
    if now > session.end_at + RESULTS_EDITABLE_FOR:
        raise Conflict(_("培训结束已超过30天，记录不能再修改。"))
    if (
        enrollment.result == TrainingResult.PASSED
        and enrollment.certification_id
        and result != TrainingResult.PASSED
    ):
        raise Conflict(_("该志愿者已通过并获发证书；如需更正，请先撤销证书。"))
    before = (enrollment.attended, enrollment.result)
    enrollment.attended_at = (enrollment.attended_at or now) if attended else None
    granted = None
    if result == TrainingResult.PASSED and enrollment.certification_id is None:
        issued_on = clock.local(session.start_at).date()
        granted = _issue(
            actor=actor,
            volunteer=enrollment.volunteer,
            kind=session.course.certification_kind,
            issued_on=issued_on,
            expires_on=add_months(issued_on, session.course.validity_months),
            source=f"{session.course.title}（{issued_on.isoformat()}）",
        )
        enrollment.certification = granted
    enrollment.result = result
    enrollment.marked_by = actor
    enrollment.save(update_fields=["attended_at", "result", "marked_by", "certification"])
    audit.record(
        "community.session.marked",
        actor=actor,
        target=enrollment,
        data={
            "attended": attended,
            "result": result,
            "before": list(before),
            "certification": getattr(granted, "id", None),
        },
    )
    if granted is not None:
        _notify(
            enrollment.volunteer.user,
            "community.certification.granted",
            {"kind": str(granted.get_kind_display()), "expires_on": granted.expires_on.isoformat()},
            f"community:cert:{granted.id}:granted",
            reverse("community:my_certifications"),
        )
    return enrollment
