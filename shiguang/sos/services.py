"""Every write of sos: raising and handling alarms, policies, rosters, devices, daily check-in, reviews.

Escalation itself (the worker side) lives in `shiguang.sos.escalation`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shiguang.accounts.choices import Role
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import get_scoped, in_scope
from shiguang.people.models import ElderProfile, EmergencyContact
from shiguang.sos import push
from shiguang.sos.choices import (
    AlarmSource,
    AlarmStatus,
    Audience,
    CheckinSource,
    DeviceKind,
    DutyRole,
    EventKind,
    Outcome,
    ReviewStatus,
    StepKind,
)
from shiguang.sos.models import (
    Alarm,
    AlarmEvent,
    AlarmResponder,
    CheckinMiss,
    CheckinPlan,
    DailyCheckin,
    Device,
    DutyShift,
    EscalationPolicy,
    EscalationStep,
    IncidentReview,
)
from shiguang.sos.policy import DEFAULT_REVEAL_ADDRESS_TO, default_tiers, validate_tiers

RESPONDER_STAFF = {Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}
POLICY_EDITORS = {Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}
MAX_KEY_LENGTH = 100
MAX_SHIFT_DAYS = 31


# --- small helpers -----------------------------------------------------------------------------------------


def is_responder_staff(user: Any) -> bool:
    return bool(user is not None and (user.is_superuser or user.role in RESPONDER_STAFF))


def _publish(alarm: Alarm, *, responders: bool = True) -> None:
    """Push the alarm as it is now, once the transaction commits.

    Called before audit.record(): the audit head it takes stays locked until commit, so everything else a
    service reads or writes comes first.
    """
    push.after_commit([alarm], push.people_of([alarm], responders=responders))


def _event(
    alarm: Alarm, kind: str, actor: Any = None, at: dt.datetime | None = None, **data: Any
) -> AlarmEvent:
    return AlarmEvent.objects.create(alarm=alarm, kind=kind, actor=actor, at=at or clock.now(), data=data)


def _save(alarm: Alarm, fields: list[str]) -> None:
    alarm.version += 1
    alarm.save(update_fields=[*fields, "version"])


def _skip_locked() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def _lock_alarm(alarm_id: int) -> Alarm:
    qs = Alarm.objects.select_related("elder__user", "community__street", "policy", "acknowledged_by")
    return qs.select_for_update(of=("self",)).get(pk=alarm_id)


def _alarm_for_responder(actor: Any, alarm_id: int) -> Alarm:
    """The alarm, locked, if `actor` may act on it: in scope (else 404) and not the elder (403)."""
    get_scoped(Alarm.objects.all(), actor, pk=alarm_id)  # out of scope looks exactly like missing
    alarm = _lock_alarm(alarm_id)
    if alarm.elder.user_id == actor.pk:
        raise Forbidden(_("呼救需要由响应人员受理和处理；您可以在本页告诉大家“我没事”。"))
    if actor.role == Role.LEGAL_ADVISOR:
        raise Forbidden()
    return alarm


def _cancel_pending(alarm: Alarm, now: dt.datetime, reason: str) -> int:
    """Cancel pending tier/repeat steps; an incident-review check stays unless it is no longer needed.

    Steps a worker holds right now are skipped (never waited on): that worker locks the alarm next, sees it is
    no longer open and closes its step itself. So acknowledging never deadlocks against escalation.
    """
    qs = EscalationStep.objects.filter(alarm=alarm, done_at__isnull=True)
    threshold = alarm.policy.review_after_seconds * alarm.deadline_scale
    ack = alarm.ack_seconds
    if ack is None or ack > threshold:
        qs = qs.exclude(kind=StepKind.REVIEW)
    if _skip_locked():
        ids = list(qs.select_for_update(skip_locked=True).values_list("id", flat=True))
        qs = EscalationStep.objects.filter(id__in=ids)
    return qs.update(done_at=now, cancelled=True, result={"cancelled": reason})


def _mark_acknowledged(alarm: Alarm, actor: Any, now: dt.datetime) -> None:
    alarm.acknowledged_at = now
    alarm.acknowledged_by = actor
    review = IncidentReview.objects.filter(alarm=alarm, ack_seconds__isnull=True).first()
    if review is not None:  # the review opened before anyone acknowledged: record how late it was
        review.ack_seconds = (now - alarm.raised_at).total_seconds()
        review.save(update_fields=["ack_seconds"])


def _notify_family_handled(alarm: Alarm, actor: Any) -> None:
    from shiguang.notify.services import enqueue

    for responder in AlarmResponder.objects.filter(alarm=alarm, audience=Audience.FAMILY).select_related(
        "user"
    ):
        if responder.user_id == actor.pk:
            continue
        enqueue(
            recipient=responder.user,
            template="sos.alarm.handled",
            data={"elder": alarm.elder.name, "responder": str(actor), "alarm": alarm.id},
            channel="in_app",
            link=f"/sos/alarms/{alarm.id}/",
            dedupe_key=f"sos:{alarm.id}:handled:u{responder.user_id}",
            priority=0,
        )


# --- policies ----------------------------------------------------------------------------------------------


def active_policy(community: Any) -> EscalationPolicy:
    """The newest version for the community, else the newest platform default (created on first use)."""
    policy = (
        EscalationPolicy.objects.filter(Q(community=community) | Q(community__isnull=True))
        .order_by(F("community_id").asc(nulls_last=True), "-version")
        .first()
    )
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return EscalationPolicy.objects.create(
                community=None,
                version=1,
                tiers=default_tiers(),
                reveal_address_to=list(DEFAULT_REVEAL_ADDRESS_TO),
                note="default",
            )
    except IntegrityError:  # another process created it first
        return EscalationPolicy.objects.get(community__isnull=True, version=1)


@transaction.atomic
def policy_publish(
    *,
    actor: Any,
    community: Any,
    tiers: list[dict[str, Any]],
    review_after_seconds: int = 90,
    volunteer_radius_m: int = 3000,
    max_volunteers: int = 5,
    reveal_address_to: list[str] | None = None,
    checkin_alarm_after: int = 2,
    checkin_deadline_factor: int = 10,
    repeat_seconds: int = 120,
    max_repeats: int = 3,
    note: str = "",
) -> EscalationPolicy:
    """Publish a new version of a community's policy (community None: the platform default, admins only).

    Alarms already raised keep the version they started under.
    """
    if not (actor.is_superuser or actor.role in POLICY_EDITORS):
        raise Forbidden(_("只有街道、区级工作人员可以修改升级策略。"))
    if community is None:
        if not (actor.is_superuser or actor.role == Role.ADMIN):
            raise Forbidden(_("只有系统管理员可以修改默认策略。"))
    elif not in_scope(community, actor):
        raise NotFound()
    clean, errors = validate_tiers(tiers)
    checks = {
        "review_after_seconds": (review_after_seconds, 1, 3600),
        "volunteer_radius_m": (volunteer_radius_m, 100, 20000),
        "max_volunteers": (max_volunteers, 1, 50),
        "checkin_alarm_after": (checkin_alarm_after, 1, 30),
        "checkin_deadline_factor": (checkin_deadline_factor, 1, 100),
        "repeat_seconds": (repeat_seconds, 1, 3600),
        "max_repeats": (max_repeats, 0, 20),
    }
    for name, (value, low, high) in checks.items():
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = [_("应在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high}]
    reveal = list(reveal_address_to if reveal_address_to is not None else DEFAULT_REVEAL_ADDRESS_TO)
    if any(r not in Audience.values for r in reveal):
        errors["reveal_address_to"] = [_("未知的响应人类别。")]
    if errors:
        raise ValidationFailed(fields=errors)
    latest = (
        EscalationPolicy.objects.select_for_update()
        .filter(community=community)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    policy = EscalationPolicy.objects.create(
        community=community,
        version=(latest or 0) + 1,
        tiers=clean,
        review_after_seconds=review_after_seconds,
        volunteer_radius_m=volunteer_radius_m,
        max_volunteers=max_volunteers,
        reveal_address_to=reveal,
        checkin_alarm_after=checkin_alarm_after,
        checkin_deadline_factor=checkin_deadline_factor,
        repeat_seconds=repeat_seconds,
        max_repeats=max_repeats,
        note=note.strip()[:200],
        created_by=actor,
    )
    audit.record(
        "sos.policy.published",
        actor=actor,
        target=policy,
        data={"community": getattr(community, "pk", None), "version": policy.version, "tiers": clean},
    )
    return policy


# --- raising an alarm --------------------------------------------------------------------------------------


def _check_may_raise(actor: Any, elder: ElderProfile, source: str, device: Device | None) -> None:
    if source == AlarmSource.DEVICE:
        if device is None or device.elder_id != elder.pk or not device.active or device.revoked_at:
            raise Forbidden(_("该设备未绑定这位长者或已停用。"))
        return
    if source == AlarmSource.CHECKIN:
        if actor is not None:
            raise Forbidden(_("未报平安的升级只能由系统发起。"))
        return
    if actor is None or not actor.is_active:
        raise Forbidden()
    if source in (AlarmSource.BUTTON, AlarmSource.ASSISTANT):
        if actor.pk == elder.user_id:
            return
        if source == AlarmSource.ASSISTANT and is_responder_staff(actor) and in_scope(elder, actor):
            return  # the assistant used by a worker on the elder's behalf
        raise Forbidden(_("只能为自己发起紧急呼叫。"))
    if source == AlarmSource.WORKER:
        if is_responder_staff(actor) and in_scope(elder, actor):
            return
        raise Forbidden(_("只有本辖区工作人员可以代长者发起呼救。"))


def _namespaced_key(key: str | None, actor: Any, device: Device | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(fields={"idempotency_key": [_("幂等键应为 1–100 个可见字符。")]})
    if device is not None:
        return f"dev:{device.device_id}:{key}"
    if actor is not None:
        return f"u:{actor.pk}:{key}"
    return f"sys:{key}"


def _coarse(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None  # about 100 m: enough to dispatch, not a door


@transaction.atomic
def alarm_trigger(
    *,
    actor: Any,
    elder: ElderProfile,
    source: str,
    idempotency_key: str | None = None,
    drill: bool = False,
    note: str = "",
    device: Device | None = None,
    location: tuple[float, float] | None = None,
    deadline_scale: float = 1.0,
    battery: int | None = None,
) -> Alarm:
    """Raise an alarm, or join the elder's live one (a second press, a device and a button together).

    The alarm, its first escalation step (due now) and its incident-review check are written in this one
    transaction; the push to responders happens after commit. The same idempotency key returns the same alarm.
    """
    if source not in AlarmSource.values:
        raise ValidationFailed(fields={"source": [_("未知的呼救来源。")]})
    if len(note) > 300:
        raise ValidationFailed(fields={"note": [_("说明最多 300 字。")]})
    if location is not None and not (-90 <= location[0] <= 90 and -180 <= location[1] <= 180):
        raise ValidationFailed(fields={"location": [_("坐标不合理。")]})
    _check_may_raise(actor, elder, source, device)
    key = _namespaced_key(idempotency_key, actor, device)
    now = clock.now()
    # One trigger per elder at a time: a second press (or a device firing beside the button) joins the alarm,
    # and a retry with the same key (checked under the lock) returns the alarm it created. Every trigger path
    # locks the elder first and the device row second (alarm_trigger_many too), so they never deadlock.
    ElderProfile.objects.select_for_update().filter(pk=elder.pk).values_list("pk", flat=True).first()
    if device is not None:  # the device is talking to us: record it in the same transaction
        fields: dict[str, Any] = {"last_seen_at": now}
        if battery is not None:
            fields["last_battery"] = battery
        Device.objects.filter(pk=device.pk).update(**fields)
    live_q = Q(elder=elder, drill=drill) & ~Q(status=AlarmStatus.RESOLVED)
    found = list(
        Alarm.objects.select_related("elder", "community__street", "acknowledged_by")
        .select_for_update(of=("self",))
        .filter(live_q | Q(idempotency_key=key) if key is not None else live_q)
    )
    existing = next((a for a in found if key is not None and a.idempotency_key == key), None)
    if existing is not None:
        return existing
    live = next(iter(found), None)
    if live is not None:
        if key is None or not AlarmEvent.objects.filter(alarm=live, data__key=key).exists():
            _event(live, EventKind.RETRIGGERED, actor, at=now, source=source, note=note, key=key or "")
            _save(live, [])
            _publish(live)
            audit.record(
                "sos.alarm.retriggered",
                actor=actor,
                target=live,
                on_behalf_of=elder.user if actor is not None and actor.pk != elder.user_id else None,
                data={"source": source, "device": device.device_id if device else None},
            )
        return live
    policy = active_policy(elder.community)
    lat: float | None = location[0] if location is not None else elder.home_lat
    lng: float | None = location[1] if location is not None else elder.home_lng
    alarm = Alarm.objects.create(
        elder=elder,
        community=elder.community,
        source=source,
        drill=drill,
        policy=policy,
        deadline_scale=max(1.0, float(deadline_scale)),
        raised_by=actor,
        device=device,
        idempotency_key=key,
        note=note.strip(),
        location_lat=_coarse(lat),
        location_lng=_coarse(lng),
        raised_at=now,
    )
    review_after = dt.timedelta(seconds=policy.review_after_seconds * alarm.deadline_scale)
    EscalationStep.objects.bulk_create(
        [
            EscalationStep(alarm=alarm, kind=StepKind.NOTIFY, tier=1, due_at=now),
            EscalationStep(alarm=alarm, kind=StepKind.REVIEW, tier=0, due_at=now + review_after),
        ]
    )
    _event(
        alarm, EventKind.RAISED, actor, at=now, source=source, drill=drill, note=note.strip(), key=key or ""
    )
    _publish(alarm, responders=False)
    audit.record(
        "sos.alarm.raised",
        actor=actor,
        target=alarm,
        on_behalf_of=elder.user if actor is not None and actor.pk != elder.user_id else None,
        data={
            "source": source,
            "drill": drill,
            "device": device.device_id if device else None,
            "policy": policy.pk,
            "policy_version": policy.version,
        },
    )
    alarm.created_now = True  # type: ignore[attr-defined]  # lets the API answer 201 rather than 200
    return alarm


def _policies_for(communities: dict[int, Any]) -> dict[int, EscalationPolicy]:
    """active_policy() for several communities in one query."""
    rows = EscalationPolicy.objects.filter(Q(community_id__in=communities) | Q(community__isnull=True))
    newest: dict[int | None, EscalationPolicy] = {}
    for p in rows:
        if p.community_id not in newest or p.version > newest[p.community_id].version:
            newest[p.community_id] = p
    return {
        cid: newest.get(cid) or newest.get(None) or active_policy(community)
        for cid, community in communities.items()
    }


def _raise_new_alarms(calls: list[dict[str, Any]]) -> dict[int, Alarm]:
    """The set-wise body of alarm_trigger_many, inside its transaction: raise a new alarm for every call whose
    elder has no live alarm and whose key is unused. Returns {index in calls: alarm}; the other calls are left
    to alarm_trigger (they join a live alarm or return the alarm of their key)."""
    now = clock.now()
    prepared: dict[int, tuple[dict[str, Any], str | None]] = {}
    for i, call in enumerate(calls):
        try:
            if call["source"] not in AlarmSource.values or len(call.get("note", "")) > 300:
                continue
            location = call.get("location")
            if location is not None and not (-90 <= location[0] <= 90 and -180 <= location[1] <= 180):
                continue
            _check_may_raise(call.get("actor"), call["elder"], call["source"], call.get("device"))
            prepared[i] = (
                call,
                _namespaced_key(call.get("idempotency_key"), call.get("actor"), call.get("device")),
            )
        except DomainError:
            continue  # alarm_trigger raises the same error for this call alone
    # Elders are locked in id order: two batches (or a batch and a single trigger) never wait in a circle.
    elder_ids = sorted({c["elder"].pk for c, _key in prepared.values()})
    list(ElderProfile.objects.select_for_update().filter(pk__in=elder_ids).order_by("pk").values_list("pk"))
    keys = [k for _call, k in prepared.values() if k is not None]
    live_q = Q(elder_id__in=elder_ids) & ~Q(status=AlarmStatus.RESOLVED)
    taken = Alarm.objects.filter(live_q | Q(idempotency_key__in=keys) if keys else live_q)
    busy: set[tuple[int, bool]] = set()
    used: set[str] = set()
    for elder_id, drill, key in taken.values_list("elder_id", "drill", "idempotency_key"):
        busy.add((elder_id, drill))
        if key is not None:
            used.add(key)
    chosen: dict[int, tuple[dict[str, Any], str | None]] = {}
    for i, (call, key) in prepared.items():
        slot = (call["elder"].pk, bool(call.get("drill", False)))
        if slot in busy or (key is not None and key in used):
            continue  # joins the live alarm, or is a retry: alarm_trigger answers it
        busy.add(slot)  # a second call for the same elder in this batch joins the first, after commit
        if key is not None:
            used.add(key)
        chosen[i] = (call, key)
    if not chosen:
        return {}
    by_battery: dict[int | None, list[int]] = {}
    for call, _key in chosen.values():
        if call.get("device") is not None:
            by_battery.setdefault(call.get("battery"), []).append(call["device"].pk)
    for battery, ids in sorted(by_battery.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        fields: dict[str, Any] = {"last_seen_at": now}
        if battery is not None:
            fields["last_battery"] = battery
        Device.objects.filter(pk__in=sorted(ids)).update(**fields)
    policies = _policies_for({c["elder"].community_id: c["elder"].community for c, _key in chosen.values()})
    alarms: dict[int, Alarm] = {}
    for i, (call, key) in chosen.items():
        elder = call["elder"]
        location = call.get("location")
        lat = location[0] if location is not None else elder.home_lat
        lng = location[1] if location is not None else elder.home_lng
        alarms[i] = Alarm(
            elder=elder,
            community=elder.community,
            source=call["source"],
            drill=bool(call.get("drill", False)),
            policy=policies[elder.community_id],
            deadline_scale=max(1.0, float(call.get("deadline_scale", 1.0))),
            raised_by=call.get("actor"),
            device=call.get("device"),
            idempotency_key=key,
            note=call.get("note", "").strip(),
            location_lat=_coarse(lat),
            location_lng=_coarse(lng),
            raised_at=now,
            created_at=now,
            updated_at=now,
        )
    if connection.features.can_return_rows_from_bulk_insert:
        Alarm.objects.bulk_create(list(alarms.values()))
    else:
        for alarm in alarms.values():
            alarm.save()
    steps: list[EscalationStep] = []
    events: list[AlarmEvent] = []
    for i, alarm in alarms.items():
        call, key = chosen[i]
        review_after = dt.timedelta(seconds=alarm.policy.review_after_seconds * alarm.deadline_scale)
        steps.append(EscalationStep(alarm=alarm, kind=StepKind.NOTIFY, tier=1, due_at=now))
        steps.append(EscalationStep(alarm=alarm, kind=StepKind.REVIEW, tier=0, due_at=now + review_after))
        data = {"source": alarm.source, "drill": alarm.drill, "note": alarm.note, "key": key or ""}
        events.append(
            AlarmEvent(alarm=alarm, kind=EventKind.RAISED, actor=call.get("actor"), at=now, data=data)
        )
    EscalationStep.objects.bulk_create(steps)
    AlarmEvent.objects.bulk_create(events)
    raised = list(alarms.values())
    push.after_commit(raised, push.people_of(raised, responders=False))
    entries = []
    for i, alarm in alarms.items():
        call = chosen[i][0]
        actor, elder, device = call.get("actor"), call["elder"], call.get("device")
        entries.append(
            audit.Entry(
                "sos.alarm.raised",
                actor=actor,
                target=alarm,
                on_behalf_of=elder.user if actor is not None and actor.pk != elder.user_id else None,
                data={
                    "source": alarm.source,
                    "drill": alarm.drill,
                    "device": device.device_id if device else None,
                    "policy": alarm.policy.pk,
                    "policy_version": alarm.policy.version,
                },
            )
        )
        alarm.created_now = True  # type: ignore[attr-defined]
    audit.record_many(entries)  # one event per alarm, written together
    return alarms


def alarm_trigger_many(calls: list[dict[str, Any]]) -> list[Alarm | Exception]:
    """alarm_trigger() for many calls at once (a burst of device triggers), with the same result per call.

    Every call that raises a new alarm is written set-wise in one transaction: the alarms, their first
    escalation steps and review checks, their timeline entries and one audit event each, with the pushes
    after commit. The rest (joining a live alarm, a retry with a used key, a second call for the same elder,
    anything invalid) then go through alarm_trigger() one by one, as does every call if the set-wise
    transaction fails. Each item of the result is the call's alarm or the exception alarm_trigger raised.
    """
    results: list[Alarm | Exception | None] = [None] * len(calls)
    try:
        with transaction.atomic():
            for i, alarm in _raise_new_alarms(calls).items():
                results[i] = alarm
    except Exception:  # e.g. a deadlock or a constraint: fall back to one transaction per call
        results = [None] * len(calls)
    for i, call in enumerate(calls):
        if results[i] is None:
            try:
                results[i] = alarm_trigger(**call)
            except Exception as exc:
                results[i] = exc
    return [r for r in results if r is not None]


# --- handling an alarm -------------------------------------------------------------------------------------


@transaction.atomic
def alarm_acknowledge(*, actor: Any, alarm_id: int, note: str = "") -> Alarm:
    """A human takes the alarm: pending escalation stops; earlier tiers stay notified."""
    alarm = _alarm_for_responder(actor, alarm_id)
    if alarm.status == AlarmStatus.RESOLVED:
        raise Conflict(_("该呼救已处理完毕。"))
    if alarm.acknowledged_at is not None:
        if alarm.acknowledged_by_id == actor.pk:
            return alarm
        raise Conflict(
            _("已由%(name)s于%(time)s受理。")
            % {
                "name": alarm.acknowledged_by,
                "time": clock.local(alarm.acknowledged_at).strftime("%H:%M:%S"),
            },
            code="already_acknowledged",
        )
    now = clock.now()
    alarm.status = AlarmStatus.ACKNOWLEDGED
    _mark_acknowledged(alarm, actor, now)
    _save(alarm, ["status", "acknowledged_at", "acknowledged_by"])
    cancelled = _cancel_pending(alarm, now, "acknowledged")
    _event(alarm, EventKind.ACKNOWLEDGED, actor, at=now, note=note.strip()[:200], seconds=alarm.ack_seconds)
    _notify_family_handled(alarm, actor)
    _publish(alarm)
    audit.record(
        "sos.alarm.acknowledged",
        actor=actor,
        target=alarm,
        data={"seconds": alarm.ack_seconds, "cancelled_steps": cancelled},
    )
    return alarm


def _advance(alarm: Alarm, actor: Any, now: dt.datetime) -> list[str]:
    """Moving on (on the way, on scene, resolved) implies acknowledging when nobody had yet."""
    if alarm.acknowledged_at is not None:
        return []
    _mark_acknowledged(alarm, actor, now)
    _cancel_pending(alarm, now, "acknowledged")
    _event(alarm, EventKind.ACKNOWLEDGED, actor, at=now, seconds=alarm.ack_seconds, implicit=True)
    _notify_family_handled(alarm, actor)
    return ["acknowledged_at", "acknowledged_by"]


@transaction.atomic
def alarm_en_route(*, actor: Any, alarm_id: int) -> Alarm:
    alarm = _alarm_for_responder(actor, alarm_id)
    if alarm.status == AlarmStatus.RESOLVED:
        raise Conflict(_("该呼救已处理完毕。"))
    if alarm.status in (AlarmStatus.EN_ROUTE, AlarmStatus.ON_SCENE):
        raise Conflict(_("已有响应人在途或到场。"))
    now = clock.now()
    fields = _advance(alarm, actor, now)
    alarm.status = AlarmStatus.EN_ROUTE
    alarm.en_route_at = now
    _save(alarm, [*fields, "status", "en_route_at"])
    _event(alarm, EventKind.EN_ROUTE, actor, at=now)
    _publish(alarm)
    audit.record("sos.alarm.en_route", actor=actor, target=alarm)
    return alarm


@transaction.atomic
def alarm_on_scene(*, actor: Any, alarm_id: int) -> Alarm:
    alarm = _alarm_for_responder(actor, alarm_id)
    if alarm.status == AlarmStatus.RESOLVED:
        raise Conflict(_("该呼救已处理完毕。"))
    if alarm.status == AlarmStatus.ON_SCENE:
        raise Conflict(_("已记录到场。"))
    now = clock.now()
    fields = _advance(alarm, actor, now)
    alarm.status = AlarmStatus.ON_SCENE
    alarm.on_scene_at = now
    alarm.on_scene_by = actor
    _save(alarm, [*fields, "status", "on_scene_at", "on_scene_by"])
    _event(alarm, EventKind.ON_SCENE, actor, at=now, seconds=(now - alarm.raised_at).total_seconds())
    _publish(alarm)
    audit.record("sos.alarm.on_scene", actor=actor, target=alarm)
    return alarm


@transaction.atomic
def alarm_resolve(*, actor: Any, alarm_id: int, outcome: str, note: str = "") -> Alarm:
    if outcome not in Outcome.values:
        raise ValidationFailed(fields={"outcome": [_("请选择处理结果。")]})
    if len(note) > 500:
        raise ValidationFailed(fields={"note": [_("说明最多 500 字。")]})
    alarm = _alarm_for_responder(actor, alarm_id)
    if alarm.status == AlarmStatus.RESOLVED:
        raise Conflict(
            _("该呼救已于%(time)s由%(name)s处理完毕，不能重复处理。")
            % {
                "time": clock.local(alarm.resolved_at or alarm.updated_at).strftime("%H:%M"),
                "name": alarm.resolved_by,
            },
            code="already_resolved",
        )
    now = clock.now()
    fields = _advance(alarm, actor, now)
    alarm.status = AlarmStatus.RESOLVED
    alarm.resolved_at = now
    alarm.resolved_by = actor
    alarm.outcome = outcome
    alarm.resolution_note = note.strip()
    _save(alarm, [*fields, "status", "resolved_at", "resolved_by", "outcome", "resolution_note"])
    _cancel_pending(alarm, now, "resolved")
    _event(alarm, EventKind.RESOLVED, actor, at=now, outcome=outcome, note=alarm.resolution_note)
    _publish(alarm)
    audit.record("sos.alarm.resolved", actor=actor, target=alarm, data={"outcome": outcome})
    return alarm


@transaction.atomic
def alarm_note(*, actor: Any, alarm_id: int, text: str) -> AlarmEvent:
    text = text.strip()
    if not text or len(text) > 500:
        raise ValidationFailed(fields={"text": [_("请填写 1–500 字的备注。")]})
    alarm = _alarm_for_responder(actor, alarm_id)
    event = _event(alarm, EventKind.NOTE, actor, text=text)
    _save(alarm, [])
    _publish(alarm)
    audit.record("sos.alarm.noted", actor=actor, target=alarm)
    return event


@transaction.atomic
def alarm_elder_ok(*, actor: Any, alarm_id: int) -> Alarm:
    """The elder says they are fine (pressed by mistake). Escalation goes on until a human confirms:
    someone under duress may be told to say so."""
    alarm = get_scoped(Alarm.objects.all(), actor, pk=alarm_id)
    if alarm.elder.user_id != actor.pk:
        raise Forbidden()
    alarm = _lock_alarm(alarm_id)
    if alarm.status == AlarmStatus.RESOLVED:
        raise Conflict(_("该呼救已处理完毕。"))
    if alarm.elder_ok_at is None:
        alarm.elder_ok_at = clock.now()
        _save(alarm, ["elder_ok_at"])
        _event(alarm, EventKind.ELDER_OK, actor, at=alarm.elder_ok_at)
        _publish(alarm)
        audit.record("sos.alarm.elder_ok", actor=actor, target=alarm)
    return alarm


def may_see_address(actor: Any, alarm: Alarm) -> bool:
    """Who reads the full address off an alarm card (to go there, or to give it to 120/110/119)."""
    if actor.pk == alarm.elder.user_id or actor.is_superuser or actor.role == Role.ADMIN:
        return True
    if alarm.acknowledged_by_id == actor.pk:
        return True
    allowed = set(alarm.policy.reveal_address_to or [])
    if actor.role == Role.COMMUNITY_WORKER:
        return Audience.WORKER in allowed
    if actor.role in (Role.STREET_STAFF, Role.DISTRICT_STAFF):
        return Audience.STREET_OFFICER in allowed
    if actor.role == Role.FAMILY:
        return Audience.FAMILY in allowed
    if actor.role == Role.VOLUNTEER:
        return Audience.VOLUNTEERS in allowed
    return False


@transaction.atomic
def alarm_reveal(*, actor: Any, alarm_id: int, purpose: str) -> dict[str, Any]:
    """The full address and the emergency contacts' phone numbers, for a responder allowed to see them.

    Every reveal is audited (who, when, why) and shows on the alarm's timeline.
    """
    purpose = purpose.strip()
    if not purpose or len(purpose) > 200:
        raise ValidationFailed(fields={"purpose": [_("请说明查看原因（最多 200 字）。")]})
    alarm = get_scoped(Alarm.objects.select_related("elder", "policy"), actor, pk=alarm_id)
    if not may_see_address(actor, alarm):
        raise Forbidden(_("按本社区策略，您不能查看完整地址；受理后可查看。"))
    contacts = [
        {"name": c.name, "relation": str(c.get_relation_display()), "phone": c.phone}
        for c in EmergencyContact.objects.filter(elder=alarm.elder).order_by("priority", "id")
    ]
    _event(alarm, EventKind.ADDRESS_REVEALED, actor, purpose=purpose)
    audit.record(
        "sos.alarm.revealed",
        actor=actor,
        target=alarm,
        data={"fields": ["address", "contacts"], "purpose": purpose},
    )
    return {"address": alarm.elder.address, "contacts": contacts}


@transaction.atomic
def review_close(*, actor: Any, review_id: int, findings: str, actions: str = "") -> IncidentReview:
    if not is_responder_staff(actor):
        raise Forbidden()
    get_scoped(IncidentReview.objects.all(), actor, pk=review_id)
    review = IncidentReview.objects.select_for_update().get(pk=review_id)
    if review.status == ReviewStatus.CLOSED:
        raise Conflict(_("该复盘已结案。"))
    findings = findings.strip()
    if not findings or len(findings) > 4000:
        raise ValidationFailed(fields={"findings": [_("请填写复盘结论（最多 4000 字）。")]})
    review.findings = findings
    review.actions = actions.strip()[:4000]
    review.status = ReviewStatus.CLOSED
    review.closed_by = actor
    review.closed_at = clock.now()
    review.save()
    audit.record("sos.review.closed", actor=actor, target=review, data={"alarm": review.alarm_id})
    return review


# --- duty rosters ------------------------------------------------------------------------------------------


@transaction.atomic
def shift_create(
    *,
    actor: Any,
    person: Any,
    role: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    community: Any = None,
    street: Any = None,
    note: str = "",
) -> DutyShift:
    """Put someone on duty. Staff roster their place; a certified volunteer may put themself on call."""
    from shiguang.community.choices import CertificationKind
    from shiguang.community.selectors import has_certifications
    from shiguang.people.choices import VerificationStatus

    errors: dict[str, list[str]] = {}
    if role not in DutyRole.values:
        raise ValidationFailed(fields={"role": [_("请选择值班类型。")]})
    if role == DutyRole.STREET_OFFICER:
        street = street or (community.street if community is not None else None)
        community = None
        if street is None:
            errors["street"] = [_("请选择街道。")]
    elif community is None:
        errors["community"] = [_("请选择社区。")]
    else:
        street = community.street
    if starts_at >= ends_at:
        errors["ends_at"] = [_("结束时间必须晚于开始时间。")]
    elif ends_at - starts_at > dt.timedelta(days=MAX_SHIFT_DAYS):
        errors["ends_at"] = [_("一次排班最长 %(n)s 天。") % {"n": MAX_SHIFT_DAYS}]
    elif ends_at <= clock.now():
        errors["ends_at"] = [_("不能为已经过去的时间排班。")]
    if len(note) > 120:
        errors["note"] = [_("备注最多 120 字。")]
    if errors:
        raise ValidationFailed(fields=errors)
    # Who may roster whom.
    self_service = actor.pk == person.pk and role == DutyRole.VOLUNTEER and actor.role == Role.VOLUNTEER
    if not self_service:
        if not is_responder_staff(actor):
            raise Forbidden(_("只有工作人员可以排班；志愿者可以为自己登记待命。"))
        place = community if community is not None else street
        if community is not None and not in_scope(community, actor):
            raise Forbidden(_("只能为本辖区排班。"))
        if community is None and not (
            actor.is_superuser
            or actor.role == Role.ADMIN
            or (actor.role == Role.STREET_STAFF and actor.street_id == place.pk)
            or (actor.role == Role.DISTRICT_STAFF and actor.district_id == place.district_id)
        ):
            raise Forbidden(_("街道值班只能由本街道或区级工作人员安排。"))
    # The person must fit the role.
    if role == DutyRole.WORKER and not (
        person.role == Role.COMMUNITY_WORKER and person.community_id == community.pk
    ):
        errors["person"] = [_("社区值班人须是本社区的社区工作者。")]
    elif role == DutyRole.STREET_OFFICER and not (
        person.role == Role.STREET_STAFF and person.street_id == street.pk
    ):
        errors["person"] = [_("街道值班人须是本街道的工作人员。")]
    elif role == DutyRole.VOLUNTEER:
        from shiguang.people.models import VolunteerProfile

        profile = VolunteerProfile.objects.filter(user=person).first()  # fresh, not a cached relation
        if person.role != Role.VOLUNTEER or profile is None:
            errors["person"] = [_("待命人须是志愿者。")]
        elif profile.verification_status != VerificationStatus.VERIFIED:
            errors["person"] = [_("志愿者尚未通过核验，不能待命。")]
        elif not has_certifications(
            profile, [CertificationKind.FALL_RESPONSE], on=clock.local(starts_at).date()
        ):
            errors["person"] = [_("待命志愿者须持有有效的“跌倒应急（应急响应人）”资质。")]
    if errors:
        raise ValidationFailed(fields=errors)
    overlap = DutyShift.objects.filter(
        person=person, role=role, cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    overlap = overlap.filter(community=community) if community is not None else overlap.filter(street=street)
    if overlap.exists():
        raise Conflict(_("该人员在这段时间已有同类排班。"))
    shift = DutyShift.objects.create(
        street=street,
        community=community,
        person=person,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
        created_by=actor,
    )
    audit.record(
        "sos.shift.created",
        actor=actor,
        target=shift,
        data={"person": person.pk, "role": role, "starts_at": starts_at, "ends_at": ends_at},
    )
    return shift


@transaction.atomic
def shift_end(*, actor: Any, shift_id: int) -> DutyShift:
    """Cancel a future shift, or end a running one now."""
    shift = get_scoped(DutyShift.objects.all(), actor, pk=shift_id)
    if not (is_responder_staff(actor) or shift.person_id == actor.pk):
        raise Forbidden()
    shift = DutyShift.objects.select_for_update().get(pk=shift.pk)
    now = clock.now()
    if shift.cancelled_at is not None or shift.ends_at <= now:
        raise Conflict(_("该排班已结束。"))
    if shift.starts_at > now:
        shift.cancelled_at = now
        shift.save(update_fields=["cancelled_at"])
        code = "sos.shift.cancelled"
    else:
        shift.ends_at = max(now, shift.starts_at + dt.timedelta(seconds=1))
        shift.save(update_fields=["ends_at"])
        code = "sos.shift.ended"
    audit.record(code, actor=actor, target=shift)
    return shift


# --- devices -----------------------------------------------------------------------------------------------


def _require_staff_for(actor: Any, elder: ElderProfile) -> None:
    if not (is_responder_staff(actor) and in_scope(elder, actor)):
        raise Forbidden(_("只有本辖区工作人员可以管理呼叫设备。"))


@transaction.atomic
def device_register(*, actor: Any, elder: ElderProfile, kind: str, label: str = "") -> tuple[Device, str]:
    """Bind a device to an elder. Returns the device and its signing secret, which is shown only once."""
    _require_staff_for(actor, elder)
    if kind not in DeviceKind.values:
        raise ValidationFailed(fields={"kind": [_("请选择设备类型。")]})
    if len(label) > 60:
        raise ValidationFailed(fields={"label": [_("名称最多 60 字。")]})
    secret = secrets.token_urlsafe(32)
    device = Device.objects.create(
        elder=elder,
        kind=kind,
        label=label.strip(),
        device_id="sgd_" + secrets.token_hex(8),
        secret=secret,
        registered_by=actor,
    )
    audit.record("sos.device.registered", actor=actor, target=device, data={"elder": elder.pk, "kind": kind})
    return device, secret


@transaction.atomic
def device_rotate_secret(*, actor: Any, device_id: int) -> tuple[Device, str]:
    device = get_scoped(Device.objects.select_related("elder"), actor, pk=device_id)
    _require_staff_for(actor, device.elder)
    if device.revoked_at is not None:
        raise Conflict(_("设备已停用。"))
    secret = secrets.token_urlsafe(32)
    device.secret = secret
    device.save(update_fields=["secret"])
    audit.record("sos.device.secret_rotated", actor=actor, target=device)
    return device, secret


@transaction.atomic
def device_revoke(*, actor: Any, device_id: int) -> Device:
    device = get_scoped(Device.objects.select_related("elder"), actor, pk=device_id)
    _require_staff_for(actor, device.elder)
    if device.revoked_at is not None:
        raise Conflict(_("设备已停用。"))
    device.active = False
    device.revoked_at = clock.now()
    device.save(update_fields=["active", "revoked_at"])
    audit.record("sos.device.revoked", actor=actor, target=device)
    return device


def device_seen(device: Device, *, battery: int | None = None) -> None:
    """Telemetry, not a state change: last contact and battery (not audited)."""
    fields: dict[str, Any] = {"last_seen_at": clock.now()}
    if battery is not None:
        fields["last_battery"] = battery
    Device.objects.filter(pk=device.pk).update(**fields)


# --- daily check-in (报平安) --------------------------------------------------------------------------------


def next_deadline(deadline: dt.time, after: dt.datetime) -> dt.datetime:
    """The first moment after `after` when the clock in Shenzhen shows `deadline`."""
    local = clock.local(after)
    candidate = dt.datetime.combine(local.date(), deadline, tzinfo=clock.SHANGHAI)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def _may_manage_checkin(actor: Any, elder: ElderProfile) -> bool:
    if actor.pk == elder.user_id:
        return True
    if is_responder_staff(actor) and in_scope(elder, actor):
        return True
    return actor.role == Role.FAMILY and elder.family_links.filter(family_user=actor).exists()


@transaction.atomic
def checkin_enroll(*, actor: Any, elder: ElderProfile, deadline: dt.time) -> CheckinPlan:
    """Opt in (or change the time): if nobody hears from the elder by `deadline`, family and the worker
    are told."""
    if not _may_manage_checkin(actor, elder):
        raise Forbidden()
    deadline = deadline.replace(tzinfo=None, microsecond=0)  # a wall-clock time in Shenzhen; offsets ignored
    if not dt.time(6, 0) <= deadline <= dt.time(22, 0):
        raise ValidationFailed(fields={"deadline": [_("截止时间应在 6:00 到 22:00 之间。")]})
    now = clock.now()
    plan = CheckinPlan.objects.select_for_update().filter(elder=elder).first()
    due = next_deadline(deadline, now)
    if DailyCheckin.objects.filter(elder=elder, date=clock.local(due).date()).exists():
        due = next_deadline(deadline, due)
    if plan is None:
        plan = CheckinPlan.objects.create(elder=elder, deadline=deadline, due_at=due, created_by=actor)
        code = "sos.checkin.enrolled"
    else:
        plan.deadline, plan.active, plan.due_at = deadline, True, due
        plan.claimed_by, plan.claimed_until = "", None
        plan.save(update_fields=["deadline", "active", "due_at", "claimed_by", "claimed_until"])
        code = "sos.checkin.changed"
    audit.record(
        code,
        actor=actor,
        target=plan,
        on_behalf_of=elder.user if actor.pk != elder.user_id else None,
        data={"deadline": deadline.strftime("%H:%M")},
    )
    return plan


@transaction.atomic
def checkin_withdraw(*, actor: Any, elder: ElderProfile) -> CheckinPlan:
    if not _may_manage_checkin(actor, elder):
        raise Forbidden()
    plan = CheckinPlan.objects.select_for_update().filter(elder=elder, active=True).first()
    if plan is None:
        raise NotFound(_("没有启用的报平安计划。"))
    plan.active = False
    plan.save(update_fields=["active"])
    audit.record(
        "sos.checkin.withdrawn",
        actor=actor,
        target=plan,
        on_behalf_of=elder.user if actor.pk != elder.user_id else None,
    )
    return plan


@transaction.atomic
def checkin_record(*, actor: Any, elder: ElderProfile, source: str) -> DailyCheckin:
    """Record that the elder is fine today (button, assistant, any activity, a device, a worker or family).

    Once a day counts; later calls return the first record. A check-in after a missed deadline tells the
    people who were alerted, and shows on an open check-in alarm (which a human still closes).
    """
    if source not in CheckinSource.values:
        raise ValidationFailed(fields={"source": [_("未知的报平安方式。")]})
    if actor is None:
        if source not in (CheckinSource.DEVICE, CheckinSource.ACTIVITY):
            raise Forbidden()
    elif not _may_manage_checkin(actor, elder):
        raise Forbidden()
    today = clock.today()
    existing = DailyCheckin.objects.filter(elder=elder, date=today).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            record = DailyCheckin.objects.create(
                elder=elder, date=today, at=clock.now(), source=source, recorded_by=actor
            )
    except IntegrityError:  # a check-in from elsewhere landed first
        return DailyCheckin.objects.get(elder=elder, date=today)
    CheckinPlan.objects.filter(elder=elder).update(miss_streak=0)
    miss = (
        CheckinMiss.objects.select_for_update()
        .filter(elder=elder, date=today, resolved_at__isnull=True)
        .first()
    )
    if miss is not None:
        miss.resolved_at = record.at
        miss.save(update_fields=["resolved_at"])
        from shiguang.notify.services import enqueue
        from shiguang.sos.escalation import checkin_recipients

        for user in checkin_recipients(elder):
            enqueue(
                recipient=user,
                template="sos.checkin.late",
                data={"elder": elder.name, "time": clock.local(record.at).strftime("%H:%M")},
                channel="in_app",
                dedupe_key=f"sos:checkin:{elder.pk}:{today}:ok:u{user.pk}",
                priority=1,
            )
    live = (
        Alarm.objects.select_related("elder", "community__street", "acknowledged_by")
        .select_for_update(of=("self",))
        .filter(elder=elder, source=AlarmSource.CHECKIN)
        .exclude(status=AlarmStatus.RESOLVED)
        .first()
    )
    if live is not None:
        _event(live, EventKind.CHECKED_IN, actor, source=source)
        _save(live, [])
        _publish(live)
    audit.record(
        "sos.checkin.recorded",
        actor=actor,
        target=record,
        on_behalf_of=elder.user if actor is not None and actor.pk != elder.user_id else None,
        data={"source": source},
    )
    return record


# --- "I need service" (the green button) -------------------------------------------------------------------


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
    default_message = _lazy("“我需要服务”暂未开通，请直接联系社区工作人员。")


SERVICE_CATEGORIES = (
    "medical_escort",
    "shopping",
    "housework",
    "companionship",
    "repair",
    "digital_help",
    "outing",
    "legal",
    "meal",
    "other",
)


def service_request(
    *, actor: Any, elder: ElderProfile, category: str = "other", description: str = ""
) -> Any:
    """An urgent (today) help request in the mutual-aid square, for an elder who pressed the green button."""
    if category not in SERVICE_CATEGORIES:
        raise ValidationFailed(fields={"category": [_("请选择服务类别。")]})
    try:
        from shiguang.aid.services import help_request_create
    except ImportError:
        raise ServiceUnavailable() from None
    return help_request_create(
        actor=actor,
        elder=elder,
        category=category,
        description=description.strip() or _("长者通过“我需要服务”按钮求助，请尽快联系。"),
        urgency="today",
    )
