"""Demo data for emergency call: a staffed pilot community and a month of alarm history.

- The pilot community gets its own escalation policy (v1: the standard 30/60/120/180 s tiers, messages to the
  local sink instead of SMS), the worker persona on duty, the street persona as street duty officer, and the
  volunteer persona plus a few trained neighbours on call.
- The elder persona wears a pendant (manage it on /sos/devices/) and has opted in to daily check-in at 10:00.
- A month of history (real alarms and drills, in the pilot street) is written through the services with the
  clock moved back, so the KPI dashboard, timelines and incident reviews have something true to show. The
  messages those old alarms sent are marked delivered and read, so nobody's inbox fills with the past.
"""

from __future__ import annotations

import datetime as dt
import random

from shiguang.accounts.models import User
from shiguang.community.choices import CertificationKind
from shiguang.community.selectors import has_certifications
from shiguang.community.services import certification_record
from shiguang.core import clock
from shiguang.people.choices import VerificationStatus
from shiguang.people.models import ElderProfile, VolunteerProfile
from shiguang.sos import services
from shiguang.sos.escalation import run_steps
from shiguang.sos.models import Alarm, EscalationStep

HISTORY = {"tiny": 16, "small": 40, "medium": 120, "full": 300}
OUTCOMES = [("fall", 35), ("medical", 25), ("false_alarm", 25), ("other", 8), ("intruder", 4), ("fire", 3)]


def _ack_seconds(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.55:
        return rng.randint(6, 30)
    if roll < 0.88:
        return rng.randint(31, 60)
    if roll < 0.97:
        return rng.randint(61, 175)
    return rng.randint(181, 260)


def _certify(actor: User, volunteer: VolunteerProfile) -> None:
    today = clock.today()
    if not has_certifications(volunteer, [CertificationKind.FALL_RESPONSE]):
        certification_record(
            actor=actor,
            volunteer=volunteer,
            kind=CertificationKind.FALL_RESPONSE,
            issued_on=today - dt.timedelta(days=60),
            expires_on=today + dt.timedelta(days=670),
            source="演示：区红十字会跌倒应急培训",
        )


def _run_due(until: dt.datetime, alarm: Alarm) -> None:
    """Run the alarm's steps that fall due up to `until`, with the clock at each due time."""
    while True:
        step = (
            EscalationStep.objects.filter(alarm=alarm, done_at__isnull=True, due_at__lte=until)
            .order_by("due_at", "id")
            .first()
        )
        if step is None:
            return
        with clock.frozen(step.due_at):
            run_steps([step], "demo-history")


def build(*, scale: str, rng: random.Random) -> str:
    from shiguang.notify.models import Notification

    admin = User.objects.get(username="admin")
    worker = User.objects.get(username="worker")
    street_staff = User.objects.get(username="street")
    elder = ElderProfile.objects.select_related("community__street", "user").get(user__username="demo-elder")
    volunteer = VolunteerProfile.objects.get(user__username="demo-volunteer")
    pilot = elder.community
    street = pilot.street
    now = clock.now()
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(days=30)

    services.policy_publish(
        actor=street_staff,
        community=pilot,
        tiers=[
            {
                "audience": "volunteers",
                "deadline_seconds": 30,
                "channel": "local_sink",
                "fallback_channel": "",
            },
            {"audience": "worker", "deadline_seconds": 60, "channel": "local_sink", "fallback_channel": ""},
            {"audience": "family", "deadline_seconds": 120, "channel": "local_sink", "fallback_channel": ""},
            {
                "audience": "street_officer",
                "deadline_seconds": 180,
                "channel": "local_sink",
                "fallback_channel": "",
            },
        ],
        note="演示：短信网关未接入，消息写入本地日志",
    )
    services.shift_create(
        actor=worker, person=worker, role="worker", starts_at=start, ends_at=end, community=pilot, note="演示"
    )
    services.shift_create(
        actor=street_staff,
        person=street_staff,
        role="street_officer",
        starts_at=start,
        ends_at=end,
        street=street,
        note="演示",
    )
    neighbours = list(
        VolunteerProfile.objects.filter(
            community=pilot, verification_status=VerificationStatus.VERIFIED, base_lat__isnull=False
        )
        .exclude(pk=volunteer.pk)
        .order_by("id")[:3]
    )
    on_call = [volunteer, *neighbours]
    for v in on_call:
        _certify(worker, v)
        services.shift_create(
            actor=worker,
            person=v.user,
            role="volunteer",
            starts_at=start,
            ends_at=end,
            community=pilot,
            note="演示",
        )
    device, _secret = services.device_register(
        actor=worker, elder=elder, kind="pendant", label="演示呼叫挂件"
    )
    services.checkin_enroll(actor=worker, elder=elder, deadline=dt.time(10, 0))

    # A month of history in the pilot street.
    # Most of it in the pilot community (the worker persona's KPIs), the rest across the pilot street.
    in_pilot = list(ElderProfile.objects.filter(community=pilot).select_related("user")[:200])
    in_street = list(
        ElderProfile.objects.filter(community__street=street)
        .exclude(community=pilot)
        .select_related("user")[:400]
    )
    first = Alarm.objects.order_by("-id").values_list("id", flat=True).first() or 0
    count = HISTORY.get(scale, HISTORY["small"])
    outcomes, weights = zip(*OUTCOMES, strict=True)
    for i in range(count):
        pool = in_pilot if (rng.random() < 0.6 or not in_street) else in_street
        if not pool:
            break
        who = rng.choice(pool)
        raised = now - dt.timedelta(days=rng.uniform(0.5, 30), seconds=rng.randint(0, 3600))
        drill = rng.random() < 0.1
        ack_after = _ack_seconds(rng)
        with clock.frozen(raised):
            if rng.random() < 0.3:  # a worker raising it for an elder who phoned
                alarm = services.alarm_trigger(
                    actor=worker if who.community_id == pilot.pk else admin,
                    elder=who,
                    source="worker",
                    drill=drill,
                    idempotency_key=f"demo-history-{i}",
                )
            else:
                alarm = services.alarm_trigger(
                    actor=who.user,
                    elder=who,
                    source="button",
                    drill=drill,
                    idempotency_key=f"demo-history-{i}",
                )
        ack_at = raised + dt.timedelta(seconds=ack_after)
        _run_due(ack_at - dt.timedelta(microseconds=1), alarm)
        responder = worker if who.community_id == pilot.pk else admin
        with clock.frozen(ack_at):
            services.alarm_acknowledge(actor=responder, alarm_id=alarm.id)
        _run_due(ack_at, alarm)  # the review check, if it was already due
        with clock.frozen(ack_at + dt.timedelta(seconds=rng.randint(240, 900))):
            services.alarm_on_scene(actor=responder, alarm_id=alarm.id)
        outcome = "false_alarm" if drill else rng.choices(outcomes, weights=weights)[0]
        with clock.frozen(ack_at + dt.timedelta(seconds=rng.randint(1200, 3600))):
            services.alarm_resolve(actor=responder, alarm_id=alarm.id, outcome=outcome, note="演示记录")
        remaining = EscalationStep.objects.filter(alarm=alarm, done_at__isnull=True)
        _run_due(max(s.due_at for s in remaining) if remaining else ack_at, alarm)
    # The past's messages were delivered and read then; don't deliver them again now.
    history = Notification.objects.filter(dedupe_key__startswith="sos:", data__alarm__gt=first)
    history.update(status="sent", read_at=now, claimed_until=None)
    made = Alarm.objects.filter(id__gt=first)
    reviews = made.filter(review__isnull=False).count()
    return (
        f"policy v1 for {pilot.name}, {len(on_call)} volunteers on call, pendant {device.device_id}, "
        f"{made.filter(drill=False).count()} past alarms + {made.filter(drill=True).count()} drills "
        f"({reviews} incident reviews)"
    )


__all__ = ["build"]
