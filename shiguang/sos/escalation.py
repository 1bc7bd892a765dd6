"""The worker side of emergency call: run due escalation steps and daily check-in deadlines.

How a step is run exactly once, even when workers die:
- A batch of due steps is locked with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL): a second worker skips
  the rows the first holds and takes the next ones. On SQLite every transaction is IMMEDIATE (config/env.py),
  so writers are serialised and a batch is read and completed under the one write lock.
- Claiming, notifying (outbox rows with a dedupe key per (alarm, tier, recipient)), scheduling the next step
  and `done_at` commit together. A worker killed half-way commits nothing; PostgreSQL rolls its transaction
  back as soon as the connection drops and the rows are free for the next worker at once. A worker that
  hangs (or whose host vanishes) is cut off by `idle_in_transaction_session_timeout`, so its locks cannot
  hold an alarm back for long.
- `claimed_by` / `claimed_until` record which worker ran the step and the lease it gave itself; a step is
  claimable only once that lease has passed, which also backs off a step whose handler keeps failing.

A batch is processed set-wise: one query locks its alarms (in id order, so two workers never deadlock), the
roster is read once, and responders, outbox rows, timeline events and next steps are each written in one
statement. That keeps a burst of alarms (a typhoon night) within its deadlines.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from shiguang.accounts.choices import Role
from shiguang.core import audit, clock
from shiguang.notify.services import enqueue_many
from shiguang.sos import push
from shiguang.sos.choices import AlarmSource, AlarmStatus, Audience, DutyRole, EventKind, StepKind
from shiguang.sos.models import (
    Alarm,
    AlarmEvent,
    AlarmResponder,
    CheckinMiss,
    CheckinPlan,
    DailyCheckin,
    DutyShift,
    EscalationStep,
    IncidentReview,
    WorkerBeat,
)
from shiguang.sos.policy import Tier, tiers_of

log = logging.getLogger("shiguang.sos")
BATCH = 25  # steps per transaction: amortises the claim, roster reads, bulk writes and commit
TIME_BUDGET = 2.0  # seconds per handler call, so the other handlers in the loop get their turn
LEASE = dt.timedelta(seconds=30)
RETRY_AFTER_ERROR = dt.timedelta(seconds=5)
BEAT_EVERY = 5.0
_last_beat: dict[str, float] = {}


# --- who is on duty ----------------------------------------------------------------------------------------


@dataclass
class Recipient:
    user: Any
    distance_m: int | None = None


@dataclass
class Plan:
    users: list[Recipient] = field(default_factory=list)
    contacts: list[Any] = field(default_factory=list)  # EmergencyContact rows (no account: SMS / voice)
    fallback_used: bool = False


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _unique(users: list[Any]) -> list[Any]:
    seen: set[int] = set()
    out = []
    for u in users:
        if u.pk not in seen:
            seen.add(u.pk)
            out.append(u)
    return out


class Roster:
    """Who is on duty at `now`; each kind of question is asked of the database once and then shared."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._shifts: dict[tuple[str, int], list[DutyShift]] = {}
        self._certified: set[int] | None = None
        self._workers: dict[int, list[Any]] = {}
        self._street_staff: dict[int, list[Any]] = {}
        self._family: dict[int, tuple[list[Any], list[Any]]] = {}

    def shifts(self, role: str, street_id: int) -> list[DutyShift]:
        key = (role, street_id)
        if key not in self._shifts:
            qs = DutyShift.objects.filter(
                role=role,
                street_id=street_id,
                cancelled_at__isnull=True,
                starts_at__lte=self.now,
                ends_at__gt=self.now,
                person__is_active=True,
            ).select_related("person")
            if role == DutyRole.VOLUNTEER:
                qs = qs.select_related("person__volunteer_profile")
            self._shifts[key] = list(qs.order_by("starts_at", "id"))
        return self._shifts[key]

    def certified(self) -> set[int]:
        if self._certified is None:
            from shiguang.community.choices import CertificationKind
            from shiguang.community.selectors import certified_volunteer_ids

            day = clock.local(self.now).date()
            self._certified = certified_volunteer_ids([CertificationKind.FALL_RESPONSE], on=day)
        return self._certified

    def volunteers(self, alarm: Alarm, *, limit: int | None = None) -> list[Recipient]:
        """On-call volunteers with valid responder training, nearest first, within the policy's radius."""
        from shiguang.people.choices import VerificationStatus

        policy = alarm.policy
        certified = self.certified()
        seen: set[int] = set()
        found: list[Recipient] = []
        for shift in self.shifts(DutyRole.VOLUNTEER, alarm.community.street_id):
            person = shift.person
            profile = getattr(person, "volunteer_profile", None)
            if person.pk in seen or profile is None or profile.pk not in certified:
                continue
            if profile.verification_status != VerificationStatus.VERIFIED:
                continue
            seen.add(person.pk)
            distance = None
            if None not in (alarm.location_lat, alarm.location_lng, profile.base_lat, profile.base_lng):
                distance = int(
                    haversine_m(alarm.location_lat, alarm.location_lng, profile.base_lat, profile.base_lng)  # type: ignore[arg-type]
                )
                if distance > policy.volunteer_radius_m:
                    continue
            elif shift.community_id != alarm.community_id:
                continue  # without a position, only volunteers on call in the elder's own community
            found.append(Recipient(person, distance))
        found.sort(key=lambda r: (r.distance_m is None, r.distance_m or 0, r.user.pk))
        return found[: limit or policy.max_volunteers]

    def workers(self, community: Any) -> tuple[list[Any], bool]:
        """(workers, fallback_used): the rostered worker(s), else every active worker of the community."""
        from shiguang.accounts.models import User

        people = [
            s.person
            for s in self.shifts(DutyRole.WORKER, community.street_id)
            if s.community_id == community.pk
        ]
        if people:
            return _unique(people), False
        if community.pk not in self._workers:
            qs = User.objects.filter(role=Role.COMMUNITY_WORKER, community=community, is_active=True)
            self._workers[community.pk] = list(qs.order_by("id"))
        return self._workers[community.pk], True

    def officers(self, community: Any) -> tuple[list[Any], bool]:
        from shiguang.accounts.models import User

        people = [s.person for s in self.shifts(DutyRole.STREET_OFFICER, community.street_id)]
        if people:
            return _unique(people), False
        street_id = community.street_id
        if street_id not in self._street_staff:
            qs = User.objects.filter(role=Role.STREET_STAFF, street_id=street_id, is_active=True)
            self._street_staff[street_id] = list(qs.order_by("id"))
        return self._street_staff[street_id], True

    def prefetch_family(self, elder_ids: set[int]) -> None:
        from shiguang.accounts.validators import normalize_phone
        from shiguang.people.models import EmergencyContact, FamilyLink

        wanted = {e for e in elder_ids if e not in self._family}
        if not wanted:
            return
        users: dict[int, list[Any]] = {e: [] for e in wanted}
        links = FamilyLink.objects.filter(
            elder_id__in=wanted, receives_alerts=True, family_user__is_active=True
        )
        for link in links.select_related("family_user").order_by("id"):
            users[link.elder_id].append(link.family_user)
        contacts: dict[int, list[Any]] = {e: [] for e in wanted}
        for c in EmergencyContact.objects.filter(elder_id__in=wanted).order_by("priority", "id"):
            contacts[c.elder_id].append(c)
        for elder_id in wanted:
            phones = {normalize_phone(u.phone) for u in users[elder_id] if u.phone}
            others = [c for c in contacts[elder_id] if normalize_phone(c.phone) not in phones]
            self._family[elder_id] = (users[elder_id], others)

    def family(self, elder_id: int) -> tuple[list[Any], list[Any]]:
        """(family users who receive alerts, emergency contacts who are not one of those users)."""
        self.prefetch_family({elder_id})
        return self._family[elder_id]

    def plan(self, alarm: Alarm, audience: str) -> Plan:
        if audience == Audience.VOLUNTEERS:
            return Plan(users=self.volunteers(alarm))
        if audience == Audience.WORKER:
            users, fallback = self.workers(alarm.community)
            return Plan(users=[Recipient(u) for u in users], fallback_used=fallback)
        if audience == Audience.FAMILY:
            users, contacts = self.family(alarm.elder_id)
            return Plan(users=[Recipient(u) for u in users], contacts=contacts)
        if audience == Audience.STREET_OFFICER:
            users, fallback = self.officers(alarm.community)
            return Plan(users=[Recipient(u) for u in users], fallback_used=fallback)
        return Plan()


# Single questions, for the alarm card and the check-in alerts.


def nearby_volunteers(alarm: Alarm, now: dt.datetime, *, limit: int | None = None) -> list[Recipient]:
    return Roster(now).volunteers(alarm, limit=limit)


def workers_on_duty(community: Any, now: dt.datetime) -> tuple[list[Any], bool]:
    return Roster(now).workers(community)


def street_officers_on_duty(community: Any, now: dt.datetime) -> tuple[list[Any], bool]:
    return Roster(now).officers(community)


def family_of(elder: Any) -> tuple[list[Any], list[Any]]:
    return Roster(clock.now()).family(elder.pk)


def recipients_for(alarm: Alarm, audience: str, now: dt.datetime) -> Plan:
    return Roster(now).plan(alarm, audience)


def checkin_recipients(elder: Any) -> list[Any]:
    roster = Roster(clock.now())
    users, _contacts = roster.family(elder.pk)
    workers, _fallback = roster.workers(elder.community)
    return _unique(users + workers)


# --- one batch of steps ------------------------------------------------------------------------------------


@dataclass
class Batch:
    now: dt.datetime
    worker_id: str
    roster: Roster
    known: dict[int, set[int]]  # alarm id -> users already asked to respond
    responders: list[AlarmResponder] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)  # notify.Notification rows
    events: list[AlarmEvent] = field(default_factory=list)
    next_steps: list[EscalationStep] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # what the batch did, for the audit trail
    touched: dict[int, Alarm] = field(default_factory=dict)


def _template(alarm: Alarm, audience: str, kind: str) -> str:
    if kind == StepKind.REPEAT:
        return "sos.alarm.repeat"
    if alarm.drill:
        return "sos.alarm.drill"
    if audience == Audience.FAMILY:
        return "sos.alarm.family"
    if audience == Audience.STREET_OFFICER:
        return "sos.alarm.hotline"
    return "sos.alarm.raised"


def _message_data(alarm: Alarm, tier: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "alarm": alarm.id,
        "elder": alarm.elder.name,
        "age": alarm.elder.age(),
        "community": str(alarm.community),
        "source": str(alarm.get_source_display()),
        "tier": tier,
        "seconds": int((now - alarm.raised_at).total_seconds()),
        "time": clock.local(alarm.raised_at).strftime("%H:%M"),
        "drill": alarm.drill,
    }


def _queue(batch: Batch, **fields: Any) -> None:
    from shiguang.notify.models import Notification

    fields.setdefault("priority", 0)
    fields.setdefault("link", "")
    fields.setdefault("fallback_channel", "")
    batch.notes.append(Notification(next_attempt_at=batch.now, **fields))


def _channel(name: str) -> str:
    return name if name and name != "in_app" and name in settings.NOTIFY_CHANNELS else ""


def _send(
    batch: Batch, alarm: Alarm, user_id: int, tier: int, template: str, data: dict[str, Any], t: Tier
) -> list[str]:
    """The tier's messages for one person: in-app always, plus the tier's external channel and its fallback.

    Dedupe key per (alarm, tier, recipient): running the same step again can never queue a second message.
    """
    key = f"sos:{alarm.id}:t{tier}:u{user_id}"
    link = f"/sos/alarms/{alarm.id}/"
    external = _channel(t.channel)
    sent = []
    if external:
        fallback = t.fallback_channel if t.fallback_channel in settings.NOTIFY_CHANNELS else ""
        _queue(
            batch,
            recipient_id=user_id,
            template=template,
            data=data,
            channel=external,
            link=link,
            dedupe_key=key,
            fallback_channel=fallback,
        )
        sent.append(external)
    in_app_key = f"{key}:in_app" if external else key
    _queue(
        batch,
        recipient_id=user_id,
        template=template,
        data=data,
        channel="in_app",
        link=link,
        dedupe_key=in_app_key,
    )
    sent.append("in_app")
    return sent


def _send_contact(batch: Batch, alarm: Alarm, contact: Any, tier: int, data: dict[str, Any], t: Tier) -> bool:
    """An emergency contact without an account: SMS / voice only. The row names the elder as recipient (whose
    data it is) and carries the contact's id, never the phone number itself."""
    channel = _channel(t.channel)
    if not channel:
        return False
    _queue(
        batch,
        recipient_id=alarm.elder.user_id,
        template="sos.alarm.contact",
        data={**data, "contact_id": contact.pk, "contact": contact.name},
        channel=channel,
        dedupe_key=f"sos:{alarm.id}:t{tier}:c{contact.pk}",
        fallback_channel=t.fallback_channel if t.fallback_channel in settings.NOTIFY_CHANNELS else "",
    )
    return True


def _event(batch: Batch, alarm: Alarm, kind: str, **data: Any) -> None:
    batch.events.append(AlarmEvent(alarm=alarm, kind=kind, at=batch.now, data=data))


def _schedule(batch: Batch, alarm: Alarm, kind: str, tier: int, due_at: dt.datetime) -> None:
    batch.next_steps.append(EscalationStep(alarm=alarm, kind=kind, tier=tier, due_at=due_at))


def _touch(batch: Batch, alarm: Alarm) -> None:
    alarm.version += 1
    alarm.updated_at = batch.now
    batch.touched[alarm.id] = alarm


def _run_notify(batch: Batch, step: EscalationStep, alarm: Alarm) -> dict[str, Any]:
    now = batch.now
    tiers = tiers_of(alarm.policy)
    scale = alarm.deadline_scale
    known = batch.known.setdefault(alarm.id, set())
    if step.kind == StepKind.NOTIFY:
        t = tiers[step.tier - 1]
        plan = batch.roster.plan(alarm, t.audience)
        fresh = [r for r in plan.users if r.user.pk not in known]
        targets = [r.user.pk for r in fresh]
    else:  # repeat: everyone asked so far, again, on the last tier's channels
        t = tiers[-1]
        plan = Plan()
        fresh = []
        targets = sorted(known)
    audience = t.audience
    template = _template(alarm, audience, step.kind)
    data = _message_data(alarm, step.tier, now)
    channels: set[str] = set()
    for user_id in targets:
        channels.update(_send(batch, alarm, user_id, step.tier, template, data, t))
    for r in fresh:
        batch.responders.append(
            AlarmResponder(
                alarm=alarm,
                user=r.user,
                tier=step.tier,
                audience=audience,
                distance_m=r.distance_m,
                notified_at=now,
            )
        )
        known.add(r.user.pk)
    contacts = sum(_send_contact(batch, alarm, c, step.tier, data, t) for c in plan.contacts)
    reached = len(targets) + contacts
    if step.kind == StepKind.REPEAT:
        _event(batch, alarm, EventKind.REPEATED, count=reached, round=step.tier - len(tiers))
    elif reached:
        _event(
            batch,
            alarm,
            EventKind.TIER_NOTIFIED,
            tier=step.tier,
            audience=audience,
            count=reached,
            names=[str(r.user) for r in fresh][:10],
            contacts=contacts,
            channels=sorted(channels),
            fallback_roster=plan.fallback_used,
        )
    else:
        _event(batch, alarm, EventKind.NO_RECIPIENTS, tier=step.tier, audience=audience)
    if step.kind == StepKind.NOTIFY and audience == Audience.STREET_OFFICER:
        _event(batch, alarm, EventKind.HOTLINE, tier=step.tier)
    # What comes next. An empty tier makes nobody wait: the next tier is due at once.
    if step.kind == StepKind.NOTIFY:
        deadline = alarm.raised_at + dt.timedelta(seconds=t.deadline_seconds * scale)
        if step.tier < len(tiers):
            _schedule(batch, alarm, StepKind.NOTIFY, step.tier + 1, deadline if reached else now)
        elif alarm.policy.max_repeats > 0:
            _schedule(batch, alarm, StepKind.REPEAT, step.tier + 1, deadline)
        alarm.current_tier = max(alarm.current_tier, step.tier)
    elif step.tier - len(tiers) < alarm.policy.max_repeats:
        again = now + dt.timedelta(seconds=alarm.policy.repeat_seconds * scale)
        _schedule(batch, alarm, StepKind.REPEAT, step.tier + 1, again)
    alarm.escalated_at = now
    _touch(batch, alarm)
    batch.entries.append(
        {"alarm": alarm.id, "tier": step.tier, "kind": step.kind, "audience": audience, "reached": reached}
    )
    return {"reached": reached, "audience": audience}


def _run_review(batch: Batch, step: EscalationStep, alarm: Alarm) -> dict[str, Any]:
    threshold = alarm.policy.review_after_seconds * alarm.deadline_scale
    ack = alarm.ack_seconds
    if ack is not None and ack <= threshold:
        return {"review": False, "ack_seconds": ack}
    review, created = IncidentReview.objects.get_or_create(
        alarm=alarm, defaults={"opened_at": batch.now, "ack_seconds": ack}
    )
    if created:
        _event(batch, alarm, EventKind.REVIEW_OPENED, threshold=threshold, ack_seconds=ack)
        officers, _fallback = batch.roster.officers(alarm.community)
        data = {
            "alarm": alarm.id,
            "elder": alarm.elder.name,
            "community": str(alarm.community),
            "threshold": int(threshold),
        }
        for officer in officers:
            _queue(
                batch,
                recipient_id=officer.pk,
                template="sos.review.opened",
                data=data,
                channel="in_app",
                link="/sos/reviews/",
                dedupe_key=f"sos:{alarm.id}:review:u{officer.pk}",
                priority=1,
            )
        batch.entries.append({"alarm": alarm.id, "kind": "review", "review": review.pk, "ack_seconds": ack})
        _touch(batch, alarm)
    return {"review": True, "ack_seconds": ack}


def process_steps(steps: list[EscalationStep], worker_id: str) -> Batch:
    """Run claimed steps inside the caller's transaction; returns what to audit and push."""
    now = clock.now()
    steps = sorted(steps, key=lambda s: (s.alarm_id, s.kind != StepKind.NOTIFY, s.tier, s.id))
    ids = sorted({s.alarm_id for s in steps})
    qs = Alarm.objects.select_related("elder__user", "community__street", "policy", "acknowledged_by")
    # Lock the alarms in one global order (by id): two workers can never wait on each other in a cycle, and an
    # acknowledgement locks one alarm and never waits on steps (see services._cancel_pending).
    alarms = {a.id: a for a in qs.select_for_update(of=("self",)).filter(id__in=ids).order_by("id")}
    known: dict[int, set[int]] = {i: set() for i in ids}
    for alarm_id, user_id in AlarmResponder.objects.filter(alarm_id__in=ids).values_list(
        "alarm_id", "user_id"
    ):
        known[alarm_id].add(user_id)
    batch = Batch(now=now, worker_id=worker_id, roster=Roster(now), known=known)
    batch.roster.prefetch_family({a.elder_id for a in alarms.values()})
    for step in steps:
        alarm = alarms[step.alarm_id]
        step.claimed_by = worker_id[:64]
        step.claimed_until = now + LEASE
        if step.kind == StepKind.REVIEW:
            step.result = _run_review(batch, step, alarm)
        elif alarm.status != AlarmStatus.OPEN:
            step.cancelled = True
            step.result = {"skipped": alarm.status}
        else:
            step.result = _run_notify(batch, step, alarm)
    AlarmResponder.objects.bulk_create(batch.responders, ignore_conflicts=True)
    enqueue_many(batch.notes)
    AlarmEvent.objects.bulk_create(batch.events)
    EscalationStep.objects.bulk_create(batch.next_steps, ignore_conflicts=True)
    if batch.touched:
        Alarm.objects.bulk_update(
            list(batch.touched.values()), ["current_tier", "escalated_at", "version", "updated_at"]
        )
    done = clock.now()
    for step in steps:
        step.done_at = done
    EscalationStep.objects.bulk_update(
        steps, ["claimed_by", "claimed_until", "done_at", "cancelled", "result"]
    )
    return batch


def _set_local_timeouts() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A worker that stops talking mid-transaction is cut off and its locks freed; never wait long on
            # a lock either (the batch is simply retried next round).
            cursor.execute(
                "SET LOCAL idle_in_transaction_session_timeout = '10s'; SET LOCAL lock_timeout = '3s'"
            )


def _claimable(now: dt.datetime) -> Any:
    qs = EscalationStep.objects.filter(done_at__isnull=True, due_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    qs = qs.order_by("due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _finish(batches: list[Batch]) -> None:
    """Audit, then push after commit.

    A batch is audited as one event listing every step it ran (alarm, tier, audience, people reached): the
    audit chain's head row is a global lock held until commit, and one append per batch instead of one per
    step keeps that lock short while triggers and acknowledgements queue for it. Each alarm's timeline
    (AlarmEvent) has the same facts per alarm. Human actions stay one audited event each.
    """
    touched: dict[int, Alarm] = {}
    users: dict[int, set[int]] = {}
    entries: list[dict[str, Any]] = []
    for b in batches:
        entries += b.entries
        for alarm in b.touched.values():
            touched[alarm.id] = alarm
            family, _contacts = b.roster.family(alarm.elder_id)
            users[alarm.id] = b.known.get(alarm.id, set()) | {u.pk for u in family}
    push.after_commit(list(touched.values()), users)
    if entries:
        audit.record("sos.escalation.ran", data={"worker": batches[0].worker_id, "steps": entries})


def run_steps(steps: list[EscalationStep], worker_id: str) -> None:
    """Run these steps now (the demo's history; tests), with the same audit and push as the worker."""
    with transaction.atomic():
        locked = list(EscalationStep.objects.select_for_update().filter(pk__in=[s.pk for s in steps]))
        _finish([process_steps(locked, worker_id)])


def run_batch(worker_id: str, *, batch: int = BATCH) -> int:
    """Claim and run up to `batch` due steps in one transaction. Returns how many were claimed."""
    now = clock.now()
    with transaction.atomic():
        _set_local_timeouts()
        steps = list(_claimable(now)[:batch])
        if not steps:
            return 0
        try:
            with transaction.atomic():
                done = [process_steps(steps, worker_id)]
        except Exception:
            # One bad step must not hold the others back: retry them one at a time; a step that still
            # fails backs off (claimed_until) and is retried in RETRY_AFTER_ERROR.
            log.exception("sos escalation batch failed; running its steps one by one")
            done = []
            for step_id in sorted(s.id for s in steps):
                fresh = EscalationStep.objects.get(pk=step_id)
                try:
                    with transaction.atomic():
                        done.append(process_steps([fresh], worker_id))
                except Exception:
                    log.exception("sos escalation step %s failed; retrying in %s", step_id, RETRY_AFTER_ERROR)
                    EscalationStep.objects.filter(pk=step_id).update(
                        claimed_by=worker_id[:64], claimed_until=clock.now() + RETRY_AFTER_ERROR
                    )
        _finish(done)
    return len(steps)


def _beat(worker_id: str) -> None:
    now_m = time.monotonic()
    if now_m - _last_beat.get(worker_id, -BEAT_EVERY) < BEAT_EVERY:
        return
    _last_beat[worker_id] = now_m
    try:
        WorkerBeat.objects.update_or_create(worker_id=worker_id[:64], defaults={"last_seen_at": clock.now()})
    except Exception:
        log.warning("could not record the sos worker heartbeat", exc_info=True)


def _drain(worker_id: str, one: Callable[[str], int]) -> int:
    done = 0
    started = time.monotonic()
    while time.monotonic() - started < TIME_BUDGET:
        n = one(worker_id)
        done += n
        if n == 0:
            break
    return done


def escalate_due(worker_id: str) -> int:
    """core.worker handler: run every due escalation step (within a time budget)."""
    _beat(worker_id)
    return _drain(worker_id, run_batch)


# --- daily check-in ----------------------------------------------------------------------------------------


def _process_plan(plan: CheckinPlan, now: dt.datetime) -> None:
    from shiguang.notify.services import enqueue
    from shiguang.sos.policy import default_channel
    from shiguang.sos.services import active_policy, alarm_trigger, next_deadline

    elder = plan.elder
    day = clock.local(plan.due_at).date()
    plan.due_at = next_deadline(plan.deadline, plan.due_at)
    fields = ["due_at", "miss_streak", "claimed_by", "claimed_until"]
    if DailyCheckin.objects.filter(elder=elder, date=day).exists():
        plan.miss_streak = 0
        plan.save(update_fields=fields)
        return
    plan.miss_streak += 1
    plan.save(update_fields=fields)
    stale = now - dt.datetime.combine(day, plan.deadline, tzinfo=clock.SHANGHAI) > dt.timedelta(days=1)
    miss, created = CheckinMiss.objects.get_or_create(
        elder=elder, date=day, defaults={"streak": plan.miss_streak, "alerted": not stale, "detected_at": now}
    )
    if not created or stale:
        return  # after an outage, old days are recorded, not alerted
    policy = active_policy(elder.community)
    tiers = {t.audience: t for t in tiers_of(policy)}
    family, _contacts = family_of(elder)
    workers, _fallback = workers_on_duty(elder.community, now)
    data = {"elder": elder.name, "deadline": plan.deadline.strftime("%H:%M"), "streak": plan.miss_streak}
    for user, audience in [(u, Audience.FAMILY) for u in family] + [(u, Audience.WORKER) for u in workers]:
        t = tiers.get(audience)
        channel = t.channel if t is not None and t.channel else default_channel()
        key = f"sos:checkin:{elder.pk}:{day}:u{user.pk}"
        if channel in settings.NOTIFY_CHANNELS and channel != "in_app":
            enqueue(
                recipient=user,
                template="sos.checkin.missed",
                data=data,
                channel=channel,
                dedupe_key=key,
                fallback_channel=t.fallback_channel if t is not None else "",
                priority=1,
            )
            key += ":in_app"
        enqueue(
            recipient=user,
            template="sos.checkin.missed",
            data=data,
            channel="in_app",
            link="/sos/checkin/manage/",
            dedupe_key=key,
            priority=1,
        )
    if plan.miss_streak >= policy.checkin_alarm_after:
        alarm = alarm_trigger(
            actor=None,
            elder=elder,
            source=AlarmSource.CHECKIN,
            idempotency_key=f"checkin:{elder.pk}:{day}",
            deadline_scale=policy.checkin_deadline_factor,
            note=f"连续 {plan.miss_streak} 天未报平安",
        )
        miss.alarm = alarm
        miss.save(update_fields=["alarm"])


def run_checkin_batch(worker_id: str, *, batch: int = 20) -> int:
    now = clock.now()
    with transaction.atomic():
        _set_local_timeouts()
        qs = CheckinPlan.objects.filter(active=True, due_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )
        qs = qs.select_related("elder__community__street", "elder__user").order_by("due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        plans = list(qs[:batch])
        for plan in plans:
            try:
                with transaction.atomic():
                    plan.claimed_by, plan.claimed_until = worker_id[:64], None
                    _process_plan(plan, now)
            except Exception:
                log.exception("sos check-in plan %s failed", plan.pk)
                CheckinPlan.objects.filter(pk=plan.pk).update(claimed_until=now + RETRY_AFTER_ERROR)
    return len(plans)


def checkin_due(worker_id: str) -> int:
    """core.worker handler: handle every passed check-in deadline."""
    return _drain(worker_id, run_checkin_batch)


def live_workers(within: dt.timedelta = dt.timedelta(seconds=20)) -> int:
    return WorkerBeat.objects.filter(last_seen_at__gte=clock.now() - within).count()


__all__ = ["checkin_due", "escalate_due", "process_steps", "run_batch", "run_steps"]
