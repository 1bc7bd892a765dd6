"""Training: sessions, enrolment, attendance and results; passing grants a certification with an expiry;
expired certifications gate tasks; insurance, recruitment channels and the district rule."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.community import selectors, services
from shiguang.community.models import Certification, Course, SessionEnrollment
from shiguang.community.services._common import add_months
from shiguang.core import clock
from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification


@pytest.fixture
def session(courses, worker_a, station):
    course = Course.objects.get(code="fall-response")
    start = clock.now() + dt.timedelta(days=3)
    return services.session_create(
        actor=worker_a,
        course_id=course.id,
        facility=station,
        start_at=start,
        end_at=start + dt.timedelta(hours=6),
        capacity=2,
        trainer_name="红十字会 张老师",
    )


def test_the_five_standard_courses_exist(db):
    assert set(Course.objects.values_list("certification_kind", flat=True)) == {
        "elder_care_basics",
        "home_visit_safety",
        "fall_response",
        "anti_fraud",
        "digital_help",
    }


def test_passing_a_session_grants_a_certification_with_an_expiry(session, approved_volunteer, worker_a):
    enrollment = services.session_enroll(
        actor=approved_volunteer.user, session_id=session.id, volunteer=approved_volunteer
    )
    with clock.frozen(session.start_at + dt.timedelta(hours=5)):
        marked = services.enrollment_mark(
            actor=worker_a, enrollment_id=enrollment.id, attended=True, result="passed"
        )
    cert = marked.certification
    assert cert.kind == "fall_response"
    assert cert.issued_on == clock.local(session.start_at).date()
    assert cert.expires_on == add_months(cert.issued_on, 12)
    assert cert.remind_on == cert.expires_on - dt.timedelta(days=30)
    assert "跌倒应急与急救" in cert.source
    assert selectors.has_certifications(approved_volunteer, ["fall_response"], on=cert.issued_on)
    assert Notification.objects.filter(
        recipient=approved_volunteer.user, template="community.certification.granted"
    ).exists()
    # Marking again does not issue a second certificate; un-passing needs a revocation first.
    with clock.frozen(session.start_at + dt.timedelta(hours=5)):
        services.enrollment_mark(actor=worker_a, enrollment_id=enrollment.id, attended=True, result="passed")
        assert Certification.objects.count() == 1
        with pytest.raises(Conflict):
            services.enrollment_mark(
                actor=worker_a, enrollment_id=enrollment.id, attended=True, result="failed"
            )


def test_expired_certification_gates_a_task(approved_volunteer, worker_a):
    today = clock.today()
    services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="home_visit_safety",
        issued_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=1),
    )
    services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="elder_care_basics",
        issued_on=today - dt.timedelta(days=10),
        expires_on=today + dt.timedelta(days=700),
    )
    needed = ["elder_care_basics", "home_visit_safety"]
    assert not selectors.has_certifications(approved_volunteer, needed)
    assert selectors.missing_certifications(approved_volunteer, needed) == ["home_visit_safety"]
    assert selectors.has_certifications(approved_volunteer, needed, on=today - dt.timedelta(days=2))
    assert selectors.certified_volunteer_ids(needed) == set()
    assert selectors.certified_volunteer_ids(["elder_care_basics"]) == {approved_volunteer.id}
    assert selectors.has_certifications(approved_volunteer, [])


def test_a_revoked_certification_no_longer_counts(approved_volunteer, worker_a):
    today = clock.today()
    cert = services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="digital_help",
        issued_on=today,
        expires_on=today + dt.timedelta(days=365),
    )
    with pytest.raises(ValidationFailed):
        services.certification_revoke(actor=worker_a, certification_id=cert.id, reason="")
    services.certification_revoke(actor=worker_a, certification_id=cert.id, reason="发现证书信息有误")
    assert not selectors.has_certifications(approved_volunteer, ["digital_help"])


def test_enrolment_is_refused_when_full_twice_or_started(session, approved_volunteer, futian, make_elders):
    from shiguang.people import services as people_services

    others = [
        people_services.volunteer_register(
            actor=None,
            community=futian["a"],
            name=f"志愿者{i}",
            gender="female",
            kind="graduate",
            phone=f"1370013710{i}",
        )
        for i in range(2)
    ]
    services.session_enroll(
        actor=approved_volunteer.user, session_id=session.id, volunteer=approved_volunteer
    )
    with pytest.raises(Conflict) as exc:
        services.session_enroll(
            actor=approved_volunteer.user, session_id=session.id, volunteer=approved_volunteer
        )
    assert exc.value.code == "already_enrolled"
    services.session_enroll(actor=others[0].user, session_id=session.id, volunteer=others[0])
    before = (SessionEnrollment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Conflict) as exc:
        services.session_enroll(actor=others[1].user, session_id=session.id, volunteer=others[1])
    assert exc.value.code == "session_full" and "名额已满" in str(exc.value.message)
    assert (SessionEnrollment.objects.count(), AuditEvent.objects.count()) == before
    with clock.frozen(session.start_at + dt.timedelta(minutes=1)), pytest.raises(Conflict):
        services.session_enroll(actor=others[1].user, session_id=session.id, volunteer=others[1])


def test_results_need_attendance_and_the_session_to_have_started(
    session, approved_volunteer, worker_a, worker_b
):
    enrollment = services.session_enroll(
        actor=approved_volunteer.user, session_id=session.id, volunteer=approved_volunteer
    )
    with pytest.raises(Conflict) as exc:
        services.enrollment_mark(actor=worker_a, enrollment_id=enrollment.id, attended=True)
    assert exc.value.code == "session_not_started"
    with clock.frozen(session.start_at + dt.timedelta(hours=1)):
        with pytest.raises(ValidationFailed) as exc2:
            services.enrollment_mark(
                actor=worker_a, enrollment_id=enrollment.id, attended=False, result="passed"
            )
        assert "未出勤" in exc2.value.fields["result"][0]
        with pytest.raises(Forbidden):
            services.enrollment_mark(
                actor=worker_b, enrollment_id=enrollment.id, attended=True, result="passed"
            )
    assert not Certification.objects.exists()


def test_a_volunteer_cannot_enrol_someone_else(session, approved_volunteer, futian):
    from shiguang.people import services as people_services

    other = people_services.volunteer_register(
        actor=None, community=futian["a"], name="小李", gender="female", kind="graduate", phone="13700137099"
    )
    with pytest.raises(Forbidden):
        services.session_enroll(actor=other.user, session_id=session.id, volunteer=approved_volunteer)


def test_recruitment_channel_is_set_by_the_volunteer_or_a_worker(approved_volunteer, worker_b):
    with pytest.raises(ValidationFailed) as exc:
        services.recruitment_set(
            actor=approved_volunteer.user, volunteer=approved_volunteer, channel="university"
        )
    assert "organisation" in exc.value.fields
    record = services.recruitment_set(
        actor=approved_volunteer.user,
        volunteer=approved_volunteer,
        channel="university",
        organisation="深圳大学",
    )
    assert record.get_channel_display() == "高校"
    with pytest.raises(Forbidden):
        services.recruitment_set(actor=worker_b, volunteer=approved_volunteer, channel="community")


def test_insurance_rule_gates_home_visits(approved_volunteer, worker_a, district_staff, street_staff):
    assert not selectors.insurance_required()
    assert selectors.volunteer_may_visit_homes(approved_volunteer)
    with pytest.raises(Forbidden):
        services.rule_set(actor=street_staff, key="insurance_required_for_home_visits", value=True)
    with pytest.raises(ValidationFailed):
        services.rule_set(actor=district_staff, key="insurance_required_for_home_visits", value="maybe")
    services.rule_set(actor=district_staff, key="insurance_required_for_home_visits", value=True)
    assert selectors.insurance_required() is True
    assert selectors.insurance_required(district_staff.district) is True
    assert not selectors.volunteer_may_visit_homes(approved_volunteer)
    today = clock.today()
    with pytest.raises(ValidationFailed):
        services.insurance_record(
            actor=worker_a,
            volunteer=approved_volunteer,
            insurer="平安",
            policy_number="P1",
            valid_from=today,
            valid_to=today - dt.timedelta(days=1),
        )
    services.insurance_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        insurer="中国人寿",
        policy_number="PA-2026-001",
        valid_from=today,
        valid_to=today + dt.timedelta(days=365),
    )
    assert selectors.volunteer_may_visit_homes(approved_volunteer)
    assert not selectors.volunteer_may_visit_homes(approved_volunteer, on=today + dt.timedelta(days=400))
    with pytest.raises(ValidationFailed) as exc:
        services.insurance_record(
            actor=worker_a,
            volunteer=approved_volunteer,
            insurer="中国人寿",
            policy_number="PA-2026-001",
            valid_from=today,
            valid_to=today + dt.timedelta(days=365),
        )
    assert "已经登记" in exc.value.fields["policy_number"][0]


def test_expiring_certifications_for_staff(approved_volunteer, worker_a, worker_b):
    today = clock.today()
    services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="anti_fraud",
        issued_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=20),
    )
    assert [c.kind for c in selectors.expiring_certifications(worker_a)] == ["anti_fraud"]
    assert list(selectors.expiring_certifications(worker_b)) == []


def test_course_creation_is_for_district_staff(worker_a, district_staff):
    with pytest.raises(Forbidden):
        services.course_create(
            actor=worker_a, code="x", title="x", certification_kind="anti_fraud", validity_months=12, hours=2
        )
    course = services.course_create(
        actor=district_staff,
        code="dementia-care",
        title="认知障碍照护",
        certification_kind="elder_care_basics",
        validity_months=24,
        hours="4.5",
    )
    assert course.code == "dementia-care"
    with pytest.raises(ValidationFailed) as exc:
        services.course_create(
            actor=district_staff,
            code="dementia-care",
            title="",
            certification_kind="x",
            validity_months=0,
            hours=0,
        )
    assert set(exc.value.fields) == {"code", "title", "certification_kind", "validity_months", "hours"}
