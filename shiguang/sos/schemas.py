from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import WithJsonSchema

OutcomeId = Literal["fall", "medical", "fire", "intruder", "false_alarm", "other"]
AudienceId = Literal["volunteers", "worker", "family", "street_officer"]
DeviceKindId = Literal["pendant", "wristband", "fall_sensor", "smoke_sensor", "door_sensor", "other"]
DutyRoleId = Literal["worker", "volunteer", "street_officer"]
CheckinSourceId = Literal["button", "assistant", "activity", "device", "worker", "family"]
ServiceCategoryId = Literal[
    "medical_escort", "shopping", "housework", "companionship", "repair", "digital_help", "outing", "legal",
    "meal", "other",
]  # fmt: skip
# A tier may use any channel installed in NOTIFY_CHANNELS (besides in-app, which every tier always sends).
CHANNEL_PATTERN = "^(|" + "|".join(re.escape(c) for c in settings.NOTIFY_CHANNELS if c != "in_app") + ")$"


class SosAlarmIn(Schema):
    elder_id: int | None = Field(None, description="Omit when the elder raises it themself")
    source: Literal["button", "worker", "assistant"] = "button"
    drill: bool = False
    note: str = Field("", max_length=300)
    idempotency_key: str | None = Field(None, max_length=100)


class SosDeviceAlarmIn(Schema):
    event: str = Field("sos", max_length=20, description="sos | fall | smoke | door | other")
    event_id: str | None = Field(
        None, max_length=100, description="Idempotency key (or the Idempotency-Key header)"
    )
    lat: float | None = None
    lng: float | None = None
    battery: int | None = Field(None, ge=0, le=100)
    drill: bool = False


class SosDeviceCheckinIn(Schema):
    battery: int | None = Field(None, ge=0, le=100)


class SosAlarmOut(Schema):
    id: int
    version: int
    elder_id: int
    elder: str
    community: str
    source: str
    drill: bool
    status: str
    status_label: str
    status_text: str
    tier: int
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str
    elder_ok: bool
    created: bool = False


class SosTimelineOut(Schema):
    at: dt.datetime
    offset: str
    kind: str
    label: str
    actor: str
    detail: str


class SosPersonOut(Schema):
    name: str
    relation: str = ""
    phone: str = ""
    distance_m: int | None = None
    notified: bool = False


class SosResponderOut(Schema):
    name: str
    tier: int
    audience: str
    at: dt.datetime


class SosHistoryOut(Schema):
    at: dt.datetime
    what: str
    detail: str


class SosCardOut(Schema):
    alarm: SosAlarmOut
    name: str
    age: int
    gender: str
    community: str
    street: str
    address_masked: str
    can_reveal: bool
    location: list[float] | None
    health_consent: bool
    health_notes: str
    contacts: list[SosPersonOut]
    family: list[SosPersonOut]
    volunteers: list[SosPersonOut]
    workers: list[str]
    officers: list[str]
    responders: list[SosResponderOut]
    history: list[SosHistoryOut]
    timeline: list[SosTimelineOut]
    hotlines: list[dict[str, str]]


class SosNoteIn(Schema):
    note: str = Field("", max_length=200)


class SosTextIn(Schema):
    text: str = Field(..., max_length=500)


class SosResolveIn(Schema):
    outcome: OutcomeId
    note: str = Field("", max_length=500)


class SosRevealIn(Schema):
    purpose: str = Field(..., max_length=200)


class SosContactOut(Schema):
    name: str
    relation: str
    phone: str


class SosRevealOut(Schema):
    address: str
    contacts: list[SosContactOut]


class SosEventOut(Schema):
    id: int
    kind: str
    at: dt.datetime


class SosKpiUnitOut(Schema):
    id: int | None
    label: str
    alarms: int
    settled: int
    acknowledged: int
    within_30: float | None
    within_60: float | None
    within_180: float | None
    median_ack_s: float | None
    p90_ack_s: float | None
    median_on_scene_s: float | None
    false_alarm_rate: float | None
    reviews: int
    meets_60: bool
    meets_180: bool


class SosKpiOut(Schema):
    days: int
    level: str
    drill: bool
    total: dict[str, Any]
    units: list[SosKpiUnitOut]
    targets: dict[str, float]


class SosShiftIn(Schema):
    person_id: int
    role: DutyRoleId
    starts_at: dt.datetime
    ends_at: dt.datetime
    community_id: int | None = None
    street_id: int | None = None
    note: str = Field("", max_length=120)


class SosShiftOut(Schema):
    id: int
    person_id: int
    person: str
    role: str
    role_label: str
    community_id: int | None
    street_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    on_duty_now: bool
    note: str


class SosDeviceIn(Schema):
    elder_id: int
    kind: DeviceKindId
    label: str = Field("", max_length=60)


class SosDeviceOut(Schema):
    id: int
    device_id: str
    elder_id: int
    elder: str
    kind: str
    label: str
    active: bool
    last_seen_at: dt.datetime | None
    last_battery: int | None


class SosDeviceSecretOut(SosDeviceOut):
    secret: str = Field(..., description="Shown once: store it in the device; the server keeps it encrypted")


class SosTierIO(Schema):
    audience: AudienceId
    deadline_seconds: int = Field(
        ..., ge=1, le=86400, description="Seconds after the alarm; increasing by tier"
    )
    channel: str = Field("", pattern=CHANNEL_PATTERN)
    fallback_channel: str = Field("", pattern=CHANNEL_PATTERN)


class SosPolicyIn(Schema):
    tiers: list[SosTierIO] = Field(..., min_length=1, max_length=6)
    review_after_seconds: int = Field(90, ge=1, le=3600)
    volunteer_radius_m: int = Field(3000, ge=100, le=20000)
    max_volunteers: int = Field(5, ge=1, le=50)
    reveal_address_to: list[AudienceId] | None = None
    checkin_alarm_after: int = Field(2, ge=1, le=30)
    checkin_deadline_factor: int = Field(10, ge=1, le=100)
    repeat_seconds: int = Field(120, ge=1, le=3600)
    max_repeats: int = Field(3, ge=0, le=20)
    note: str = Field("", max_length=200)


class SosPolicyOut(Schema):
    id: int
    community_id: int | None
    version: int
    tiers: list[SosTierIO]
    review_after_seconds: int
    volunteer_radius_m: int
    max_volunteers: int
    reveal_address_to: list[str]
    checkin_alarm_after: int
    checkin_deadline_factor: int
    repeat_seconds: int
    max_repeats: int
    note: str
    created_at: dt.datetime


class SosCheckinIn(Schema):
    elder_id: int | None = None
    source: CheckinSourceId = "button"


class SosCheckinOut(Schema):
    id: int
    elder_id: int
    date: dt.date
    at: dt.datetime
    source: str


class SosPlanIn(Schema):
    elder_id: int | None = None
    deadline: dt.time


WALL_CLOCK = "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$"


class SosPlanOut(Schema):
    elder_id: int
    elder: str
    # A wall-clock time in Shenzhen, "HH:MM:SS" (OpenAPI's "time" format would demand an offset).
    deadline: Annotated[
        dt.time, WithJsonSchema({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$"})
    ]
    active: bool
    next_check: dt.datetime
    miss_streak: int
    today: str = ""


class SosReviewOut(Schema):
    id: int
    alarm_id: int
    elder: str
    community: str
    opened_at: dt.datetime
    ack_seconds: float | None
    status: str
    findings: str
    actions: str


class SosReviewCloseIn(Schema):
    findings: str = Field(..., max_length=4000)
    actions: str = Field("", max_length=4000)


class SosServiceIn(Schema):
    category: ServiceCategoryId = "other"
    description: str = Field("", max_length=500)


class SosServiceOut(Schema):
    id: int
    category: str
    urgency: str
