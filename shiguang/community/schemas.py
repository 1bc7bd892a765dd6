"""API schemas of community life, and the functions that turn rows into them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from shiguang.community.services._common import describe_when
from shiguang.core.api import RowId

# --- activities ---------------------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    tags: list[str]
    description: str
    facility_id: int
    facility: str
    community_id: int | None
    start_at: dt.datetime
    end_at: dt.datetime
    when: str
    capacity: int
    confirmed: int
    waitlisted: int
    seats_left: int
    status: str
    series_id: int | None


class ActivityCardOut(ActivityOut):
    distance_km: float | None
    my_signup_id: int | None
    my_status: str | None
    my_waitlist_position: int | None


class ActivityIn(Schema):
    facility_id: int
    title: str = Field(..., max_length=80)
    kind: str
    start_at: dt.datetime
    end_at: dt.datetime
    capacity: int
    tags: list[str] = []
    description: str = Field("", max_length=2000)


class SeriesIn(Schema):
    facility_id: int
    title: str = Field(..., max_length=80)
    kind: str
    weekday: int = Field(..., description="0 = Monday … 6 = Sunday")
    start_time: dt.time
    duration_minutes: int
    capacity: int
    starts_on: dt.date
    ends_on: dt.date | None = None
    tags: list[str] = []
    description: str = Field("", max_length=2000)


class SeriesOut(Schema):
    id: int
    title: str
    kind: str
    facility_id: int
    weekday: int
    start_time: dt.time
    duration_minutes: int
    capacity: int
    starts_on: dt.date
    ends_on: dt.date | None
    generated_until: dt.date
    active: bool
    occurrences: int


class CapacityIn(Schema):
    capacity: int


class CommunityReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class CommunityOptionalReasonIn(Schema):
    reason: str = Field("", max_length=200)


class SignupIn(Schema):
    elder_id: int | None = Field(
        None, description="Required for workers and family members; elders sign themselves up."
    )
    channel: str = Field("", description="'assistant' when the AI assistant signs up for the elder")


class SignupOut(Schema):
    id: int
    activity_id: int
    activity: str
    when: str
    elder_id: int
    elder: str
    status: str
    status_label: str
    seq: int
    waitlist_position: int | None
    channel: str
    created_at: dt.datetime
    promoted_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    checkin_method: str


class SignupResultOut(Schema):
    signup: SignupOut
    message: str


class AttendanceIn(Schema):
    attended: bool


class CheckinIn(Schema):
    code: str = Field(..., max_length=24)
    elder_id: int | None = None


class CheckinQrOut(Schema):
    code: str
    url: str
    svg: str
    opens_at: dt.datetime
    closes_at: dt.datetime


def activity_row(a: Any, counts: dict[str, int] | None = None) -> dict[str, Any]:
    counts = counts or {
        "confirmed": getattr(a, "n_confirmed", 0),
        "waitlisted": getattr(a, "n_waitlisted", 0),
    }
    return {
        "id": a.id,
        "title": a.title,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "tags": a.tags,
        "description": a.description,
        "facility_id": a.facility_id,
        "facility": a.facility.name,
        "community_id": a.community_id,
        "start_at": a.start_at,
        "end_at": a.end_at,
        "when": describe_when(a.start_at, a.end_at),
        "capacity": a.capacity,
        "confirmed": counts["confirmed"],
        "waitlisted": counts["waitlisted"],
        "seats_left": max(a.capacity - counts["confirmed"], 0),
        "status": a.status,
        "series_id": a.series_id,
    }


def card_row(card: Any) -> dict[str, Any]:
    row = activity_row(card.activity, {"confirmed": card.confirmed, "waitlisted": card.waitlisted})
    row.update(
        {
            "distance_km": card.distance_km,
            "my_signup_id": card.signup.id if card.signup else None,
            "my_status": card.signup.status if card.signup else None,
            "my_waitlist_position": card.position,
        }
    )
    return row


def series_row(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "kind": s.kind,
        "facility_id": s.facility_id,
        "weekday": s.weekday,
        "start_time": s.start_time,
        "duration_minutes": s.duration_minutes,
        "capacity": s.capacity,
        "starts_on": s.starts_on,
        "ends_on": s.ends_on,
        "generated_until": s.generated_until,
        "active": s.active,
        "occurrences": s.occurrences.count(),
    }


def signup_row(s: Any) -> dict[str, Any]:
    from shiguang.community.selectors import waitlist_position

    return {
        "id": s.id,
        "activity_id": s.activity_id,
        "activity": s.activity.title,
        "when": describe_when(s.activity.start_at, s.activity.end_at),
        "elder_id": s.elder_id,
        "elder": s.elder.name,
        "status": s.status,
        "status_label": str(s.get_status_display()),
        "seq": s.seq,
        "waitlist_position": waitlist_position(s),
        "channel": s.channel,
        "created_at": s.created_at,
        "promoted_at": s.promoted_at,
        "cancelled_at": s.cancelled_at,
        "checked_in_at": s.checked_in_at,
        "checkin_method": s.checkin_method,
    }


# --- groups -------------------------------------------------------------------------------------------------


class GroupIn(Schema):
    community_id: int
    name: str = Field(..., max_length=60)
    kind: str
    description: str = Field("", max_length=2000)
    facility_id: int | None = None


class GroupOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    description: str
    community_id: int
    community: str
    facility_id: int | None
    members: int
    is_member: bool
    active: bool


class MemberIn(Schema):
    user_id: int | None = Field(None, description="Whom to add or remove; yourself when empty.")


class RoleIn(Schema):
    role: str


class MembershipOut(Schema):
    id: int
    group_id: int
    user_id: int
    name: str
    role: str
    joined_at: dt.datetime
    left_at: dt.datetime | None


class AnnouncementIn(Schema):
    title: str = Field(..., max_length=80)
    body: str = Field(..., max_length=2000)


class AnnouncementOut(Schema):
    id: int
    group_id: int
    title: str
    body: str
    posted_by: str
    created_at: dt.datetime


def membership_row(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "group_id": m.group_id,
        "user_id": m.user_id,
        "name": str(m.user),
        "role": m.role,
        "joined_at": m.created_at,
        "left_at": m.left_at,
    }


def announcement_row(a: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "group_id": a.group_id,
        "title": a.title,
        "body": a.body,
        "posted_by": str(a.posted_by),
        "created_at": a.created_at,
    }


# --- training -----------------------------------------------------------------------------------------------


class CourseIn(Schema):
    code: str = Field(..., max_length=40)
    title: str = Field(..., max_length=80)
    certification_kind: str
    validity_months: int
    hours: float
    description: str = Field("", max_length=2000)


class CourseOut(Schema):
    id: int
    code: str
    title: str
    certification_kind: str
    certification_label: str
    validity_months: int
    hours: float
    description: str
    active: bool


class SessionIn(Schema):
    course_id: int
    facility_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    capacity: int
    trainer_name: str = Field(..., max_length=60)
    trainer_id: int | None = None


class SessionOut(Schema):
    id: int
    course_id: int
    course: str
    certification_kind: str
    facility_id: int
    facility: str
    trainer_name: str
    start_at: dt.datetime
    end_at: dt.datetime
    when: str
    capacity: int
    enrolled: int
    status: str


class EnrollIn(Schema):
    volunteer_id: int | None = Field(
        None, description="Workers enrol a volunteer; volunteers enrol themselves."
    )


class MarkIn(Schema):
    attended: bool
    result: str = "pending"


class EnrollmentOut(Schema):
    id: int
    session_id: int
    volunteer_id: int
    volunteer: str
    status: str
    attended: bool
    result: str
    certification_id: int | None


class CertificationIn(Schema):
    volunteer_id: int
    kind: str
    issued_on: dt.date
    expires_on: dt.date
    source: str = Field("", max_length=120)


class CertificationOut(Schema):
    id: int
    volunteer_id: int
    volunteer: str
    kind: str
    kind_label: str
    issued_on: dt.date
    expires_on: dt.date
    status: str
    source: str
    revoked_at: dt.datetime | None


class InsuranceIn(Schema):
    volunteer_id: int
    insurer: str = Field(..., max_length=80)
    policy_number: str = Field(..., max_length=60)
    valid_from: dt.date
    valid_to: dt.date


class InsuranceOut(Schema):
    id: int
    volunteer_id: int
    insurer: str
    policy_number: str
    valid_from: dt.date
    valid_to: dt.date


class RecruitmentIn(Schema):
    channel: str
    organisation: str = Field("", max_length=100)
    note: str = Field("", max_length=200)


class RecruitmentOut(Schema):
    volunteer_id: int
    channel: str
    channel_label: str
    organisation: str
    note: str


class GatesOut(Schema):
    volunteer_id: int
    kinds: list[str]
    has_certifications: bool
    missing: list[str]
    insured: bool
    insurance_required: bool
    may_visit_homes: bool


class RuleOut(Schema):
    key: str
    label: str
    help: str
    type: str
    value: Any
    default: Any
    updated_by: str
    updated_at: dt.datetime | None


class RuleIn(Schema):
    value: Any
    note: str = Field("", max_length=200)


def course_row(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "code": c.code,
        "title": c.title,
        "certification_kind": c.certification_kind,
        "certification_label": str(c.get_certification_kind_display()),
        "validity_months": c.validity_months,
        "hours": float(c.hours),
        "description": c.description,
        "active": c.active,
    }


def session_row(s: Any) -> dict[str, Any]:
    enrolled = getattr(s, "n_enrolled", None)
    if enrolled is None:
        enrolled = s.enrollments.filter(status="enrolled").count()
    return {
        "id": s.id,
        "course_id": s.course_id,
        "course": s.course.title,
        "certification_kind": s.course.certification_kind,
        "facility_id": s.facility_id,
        "facility": s.facility.name,
        "trainer_name": s.trainer_name,
        "start_at": s.start_at,
        "end_at": s.end_at,
        "when": describe_when(s.start_at, s.end_at),
        "capacity": s.capacity,
        "enrolled": enrolled,
        "status": s.status,
    }


def enrollment_row(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "session_id": e.session_id,
        "volunteer_id": e.volunteer_id,
        "volunteer": e.volunteer.name,
        "status": e.status,
        "attended": e.attended,
        "result": e.result,
        "certification_id": e.certification_id,
    }


def certification_row(c: Any) -> dict[str, Any]:
    from shiguang.community.selectors import certification_status

    return {
        "id": c.id,
        "volunteer_id": c.volunteer_id,
        "volunteer": c.volunteer.name,
        "kind": c.kind,
        "kind_label": str(c.get_kind_display()),
        "issued_on": c.issued_on,
        "expires_on": c.expires_on,
        "status": certification_status(c),
        "source": c.source,
        "revoked_at": c.revoked_at,
    }


def insurance_row(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "volunteer_id": p.volunteer_id,
        "insurer": p.insurer,
        "policy_number": p.policy_number,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
    }


def recruitment_row(r: Any) -> dict[str, Any]:
    return {
        "volunteer_id": r.volunteer_id,
        "channel": r.channel,
        "channel_label": str(r.get_channel_display()),
        "organisation": r.organisation,
        "note": r.note,
    }


# --- outreach -----------------------------------------------------------------------------------------------


class OutreachIn(Schema):
    visited_on: dt.date
    outcome: str
    elder_id: int | None = Field(None, description="A registered elder; leave empty for a new household")
    community_id: int | None = Field(
        None, description="For a new household (defaults to the worker's community)"
    )
    household_address: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=40)
    companions: str = Field("", max_length=120)
    interest_homeshare: bool = False
    interest_mutual_aid: bool = False
    interest_sos_device: bool = False
    notes: str = Field("", max_length=2000)
    follow_up_on: dt.date | None = None


class ScreeningIn(Schema):
    answers: dict[str, Any]


class ScreeningOut(Schema):
    visit_id: int
    answers: dict[str, Any]
    needs: list[str]
    priority: str
    priority_label: str
    score: int


class OutreachOut(Schema):
    id: int
    community_id: int
    community: str
    elder_id: int | None
    household: str
    contact_name: str
    visited_on: dt.date
    visited_by: str
    companions: str
    outcome: str
    outcome_label: str
    interest_homeshare: bool
    interest_mutual_aid: bool
    interest_sos_device: bool
    notes: str
    follow_up_on: dt.date | None
    screening: ScreeningOut | None


class OutreachPage(Schema):
    count: int
    items: list[OutreachOut]


class LinkIn(Schema):
    elder_id: int


class FunnelStage(Schema):
    key: str
    label: str
    value: int
    rate: float


class FunnelRow(Schema):
    community_id: int | None
    label: str
    visited: int
    reached: int
    interested: int
    screened: int
    registered: int
    engaged: int
    conversion: float


class FunnelInterest(Schema):
    key: str
    label: str
    value: int


class FunnelOut(Schema):
    stages: list[FunnelStage]
    communities: list[FunnelRow]
    total: FunnelRow
    interests: list[FunnelInterest]
    visits: int


class QuestionOption(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    id: str
    label: str
    type: str
    required: bool
    options: list[QuestionOption]


class YouthIn(Schema):
    respondent_kind: str
    channel: str
    interests: list[str]
    community_id: int | None = None
    organisation: str = Field("", max_length=100)
    age: int | None = None
    hours_per_week: int = 0
    contact_name: str = Field("", max_length=40)
    contact_phone: str = Field("", max_length=20)
    consent_to_contact: bool = False


class YouthOut(Schema):
    id: int
    community_id: int
    respondent_kind: str
    channel: str
    organisation: str
    age: int | None
    interests: list[str]
    hours_per_week: int
    contact_name: str
    contact_phone_masked: str
    consent_to_contact: bool
    surveyed_on: dt.date


class YouthSummaryOut(Schema):
    total: int
    by_kind: list[dict[str, Any]]
    interests: list[dict[str, Any]]
    by_channel: list[dict[str, Any]]


def screening_row(r: Any) -> dict[str, Any]:
    return {
        "visit_id": r.visit_id,
        "answers": r.answers,
        "needs": r.needs,
        "priority": r.priority,
        "priority_label": str(r.get_priority_display()),
        "score": r.score,
    }


def outreach_row(v: Any) -> dict[str, Any]:
    from shiguang.community.models import ScreeningResponse
    from shiguang.core.masking import mask_text

    screening = ScreeningResponse.objects.filter(visit=v).first()
    return {
        "id": v.id,
        "community_id": v.community_id,
        "community": str(v.community),
        "elder_id": v.elder_id,
        "household": v.elder.name if v.elder_id else mask_text(v.household_address),
        "contact_name": v.contact_name,
        "visited_on": v.visited_on,
        "visited_by": str(v.visited_by),
        "companions": v.companions,
        "outcome": v.outcome,
        "outcome_label": str(v.get_outcome_display()),
        "interest_homeshare": v.interest_homeshare,
        "interest_mutual_aid": v.interest_mutual_aid,
        "interest_sos_device": v.interest_sos_device,
        "notes": v.notes,
        "follow_up_on": v.follow_up_on,
        "screening": screening_row(screening) if screening else None,
    }


def youth_row(s: Any) -> dict[str, Any]:
    from shiguang.core.masking import mask_phone

    return {
        "id": s.id,
        "community_id": s.community_id,
        "respondent_kind": s.respondent_kind,
        "channel": s.channel,
        "organisation": s.organisation,
        "age": s.age,
        "interests": s.interests,
        "hours_per_week": s.hours_per_week,
        "contact_name": s.contact_name,
        "contact_phone_masked": mask_phone(s.contact_phone),
        "consent_to_contact": s.consent_to_contact,
        "surveyed_on": s.surveyed_on,
    }


# --- cases --------------------------------------------------------------------------------------------------


class QuoteIn(Schema):
    text: str = Field(..., max_length=300)
    speaker_id: int | None = None


class CaseIn(Schema):
    title: str = Field(..., max_length=80)
    kind: str
    summary: str = Field(..., max_length=1000)
    community_id: int | None = None
    body: str = Field("", max_length=10000)
    source_ref: str = Field(
        "", max_length=120, description="e.g. 'aid:HelpRequest#12' or 'homeshare:Match#3'"
    )
    hours: float | None = None
    outcome: str = Field("", max_length=2000)
    quotes: list[QuoteIn] = []
    person_ids: list[RowId] = Field([], max_length=100)


class CasePatch(Schema):
    title: str | None = Field(None, max_length=80)
    kind: str | None = None
    summary: str | None = Field(None, max_length=1000)
    body: str | None = Field(None, max_length=10000)
    source_ref: str | None = Field(None, max_length=120)
    hours: float | None = None
    outcome: str | None = Field(None, max_length=2000)
    quotes: list[QuoteIn] | None = None
    person_ids: list[RowId] | None = Field(None, max_length=100)


class ReviewIn(Schema):
    approve: bool
    note: str = Field("", max_length=300)


class QuoteOut(Schema):
    text: str
    speaker: str
    role: str


class PersonOut(Schema):
    name: str
    role: str


class CaseOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    community: str
    summary: str
    body: str
    outcome: str
    hours: float | None
    quotes: list[QuoteOut]
    people: list[PersonOut]
    published_at: dt.datetime | None
    status: str
    status_label: str
