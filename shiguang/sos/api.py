"""JSON API for emergency call: elders, responders, staff and devices (mounted at /api/v1/sos/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Header, Query, Router, Status
from ninja.throttling import BaseThrottle, SimpleRateThrottle

from shiguang.core import clock
from shiguang.core.api import ERRORS, ErrorOut, responses, user_of
from shiguang.core.errors import Forbidden, NotFound, ValidationFailed
from shiguang.core.scoping import get_scoped
from shiguang.people import selectors as people_selectors
from shiguang.places.models import Community, Street
from shiguang.sos import selectors, services
from shiguang.sos.choices import AlarmSource, CheckinSource
from shiguang.sos.lanes import Batcher, LaneAuth, run_db
from shiguang.sos.models import Alarm, DailyCheckin, Device, DutyShift, EscalationPolicy, IncidentReview
from shiguang.sos.schemas import (
    SosAlarmIn,
    SosAlarmOut,
    SosCardOut,
    SosCheckinIn,
    SosCheckinOut,
    SosDeviceAlarmIn,
    SosDeviceCheckinIn,
    SosDeviceIn,
    SosDeviceOut,
    SosDeviceSecretOut,
    SosEventOut,
    SosKpiOut,
    SosNoteIn,
    SosPlanIn,
    SosPlanOut,
    SosPolicyIn,
    SosPolicyOut,
    SosResolveIn,
    SosRevealIn,
    SosRevealOut,
    SosReviewCloseIn,
    SosReviewOut,
    SosServiceIn,
    SosServiceOut,
    SosShiftIn,
    SosShiftOut,
    SosTextIn,
)
from shiguang.sos.signing import DeviceSignatureAuth

router = Router()
DEVICE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class DeviceRateThrottle(SimpleRateThrottle):
    """Per device, not per IP: a care home's gateway may carry many devices behind one address."""

    scope = "sos-device"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        device = getattr(request, "auth", None)
        ident = getattr(device, "device_id", None) or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


DEVICE_AUTH = DeviceSignatureAuth()
LANE_AUTH = LaneAuth()
DEVICE_THROTTLE: list[BaseThrottle] = [DeviceRateThrottle("60/m")]


# --- rows --------------------------------------------------------------------------------------------------


def alarm_row(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.id,
        "version": a.version,
        "elder_id": a.elder_id,
        "elder": a.elder.name,
        "community": str(a.community),
        "source": a.source,
        "drill": a.drill,
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "status_text": selectors.status_text(a),
        "tier": a.current_tier,
        "raised_at": a.raised_at,
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": str(a.acknowledged_by) if a.acknowledged_by_id else "",
        "en_route_at": a.en_route_at,
        "on_scene_at": a.on_scene_at,
        "resolved_at": a.resolved_at,
        "outcome": a.outcome,
        "elder_ok": a.elder_ok_at is not None,
        "created": bool(getattr(a, "created_now", False)),
    }


def _fresh(actor: Any, alarm_id: int) -> dict[str, Any]:
    return alarm_row(selectors.alarm_get(actor, alarm_id))


def shift_row(s: DutyShift) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": s.id,
        "person_id": s.person_id,
        "person": str(s.person),
        "role": s.role,
        "role_label": str(s.get_role_display()),
        "community_id": s.community_id,
        "street_id": s.street_id,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "on_duty_now": s.cancelled_at is None and s.starts_at <= now < s.ends_at,
        "note": s.note,
    }


def device_row(d: Device) -> dict[str, Any]:
    return {
        "id": d.id,
        "device_id": d.device_id,
        "elder_id": d.elder_id,
        "elder": d.elder.name,
        "kind": d.kind,
        "label": d.label,
        "active": d.active,
        "last_seen_at": d.last_seen_at,
        "last_battery": d.last_battery,
    }


def policy_row(p: EscalationPolicy) -> dict[str, Any]:
    return {
        "id": p.id,
        "community_id": p.community_id,
        "version": p.version,
        "tiers": p.tiers,
        "review_after_seconds": p.review_after_seconds,
        "volunteer_radius_m": p.volunteer_radius_m,
        "max_volunteers": p.max_volunteers,
        "reveal_address_to": p.reveal_address_to,
        "checkin_alarm_after": p.checkin_alarm_after,
        "checkin_deadline_factor": p.checkin_deadline_factor,
        "repeat_seconds": p.repeat_seconds,
        "max_repeats": p.max_repeats,
        "note": p.note,
        "created_at": p.created_at,
    }


def checkin_row(c: DailyCheckin) -> dict[str, Any]:
    return {"id": c.id, "elder_id": c.elder_id, "date": c.date, "at": c.at, "source": c.source}


def review_row(r: IncidentReview) -> dict[str, Any]:
    return {
        "id": r.id,
        "alarm_id": r.alarm_id,
        "elder": r.alarm.elder.name,
        "community": str(r.alarm.community),
        "opened_at": r.opened_at,
        "ack_seconds": r.ack_seconds,
        "status": r.status,
        "findings": r.findings,
        "actions": r.actions,
    }


def _elder(actor: Any, elder_id: int | None) -> Any:
    if elder_id is None:
        elder = people_selectors.elder_for_user(actor)
        if elder is None:
            raise ValidationFailed(fields={"elder_id": ["请指定长者。"]})
        return elder
    return people_selectors.elder_get(actor, elder_id)


# --- alarms ------------------------------------------------------------------------------------------------


@router.post(
    "/alarms",
    response={200: SosAlarmOut, 201: SosAlarmOut, **ERRORS},
    summary="Raise an alarm (elder: button/assistant; worker: for an elder who phoned). Replays return 200",
)
def alarm_create(request: HttpRequest, payload: SosAlarmIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    alarm = services.alarm_trigger(
        actor=actor,
        elder=_elder(actor, payload.elder_id),
        source=payload.source,
        idempotency_key=payload.idempotency_key,
        drill=payload.drill,
        note=payload.note,
    )
    row = alarm_row(alarm)
    return Status(201 if row["created"] else 200, row)


def _device_call(device: Device, payload: SosDeviceAlarmIn, key: str | None) -> dict[str, Any]:
    location = None
    if payload.lat is not None and payload.lng is not None:
        location = (payload.lat, payload.lng)
    return {
        "actor": None,
        "elder": device.elder,
        "source": AlarmSource.DEVICE,
        "idempotency_key": key,
        "drill": payload.drill,
        "note": f"{device.get_kind_display()}：{payload.event}",
        "device": device,
        "location": location,
        "battery": payload.battery,
    }


def _device_alarms(calls: list[dict[str, Any]]) -> list[dict[str, Any] | Exception]:
    return [r if isinstance(r, Exception) else alarm_row(r) for r in services.alarm_trigger_many(calls)]


# Device triggers of one web process are written in group commits: a burst of pendants (a power cut, a
# typhoon night) costs one transaction per batch, not one per alarm.
DEVICE_TRIGGERS: Batcher[dict[str, Any], dict[str, Any]] = Batcher(_device_alarms)


@router.post(
    "/device/alarm",
    auth=DEVICE_AUTH,
    throttle=DEVICE_THROTTLE,
    response={200: SosAlarmOut, 201: SosAlarmOut, **DEVICE_ERRORS},
    summary="Device trigger, signed per device (HMAC-SHA256 over timestamp + body); retries return 200",
)
async def device_alarm(
    request: HttpRequest,
    payload: SosDeviceAlarmIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, Any]]:
    device: Device = request.auth  # type: ignore[attr-defined]
    key = (idempotency_key or payload.event_id or "").strip() or None
    row = await DEVICE_TRIGGERS(_device_call(device, payload, key))
    return Status(201 if row["created"] else 200, row)


def _device_checkin(device: Device, payload: SosDeviceCheckinIn) -> dict[str, Any]:
    record = services.checkin_record(actor=None, elder=device.elder, source=CheckinSource.DEVICE)
    services.device_seen(device, battery=payload.battery)
    return checkin_row(record)


@router.post(
    "/device/checkin",
    auth=DEVICE_AUTH,
    throttle=DEVICE_THROTTLE,
    response={200: SosCheckinOut, **DEVICE_ERRORS},
    summary="Device check-in (报平安 button on a pendant, or daily activity seen by a sensor)",
)
async def device_checkin(request: HttpRequest, payload: SosDeviceCheckinIn) -> dict[str, Any]:
    device: Device = request.auth  # type: ignore[attr-defined]
    return await run_db(_device_checkin, device, payload)


@router.get(
    "/alarms", response=responses(list[SosAlarmOut]), summary="Alarms in my scope (live, or the last days)"
)
def alarms(
    request: HttpRequest, live: bool = True, days: int = Query(30, ge=1, le=366), drill: bool | None = None
) -> list[dict[str, Any]]:
    actor = user_of(request)
    rows = (
        selectors.live_alarms(actor)
        if live
        else list(selectors.alarm_list(actor, days=days, drill=drill)[:500])
    )
    return [alarm_row(a) for a in rows]


@router.get("/alarms/{alarm_id}", response=responses(SosCardOut), summary="The responder's alarm card")
def alarm_detail(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    actor = user_of(request)
    card = selectors.alarm_card(actor, selectors.alarm_get(actor, alarm_id))
    card["alarm"] = alarm_row(card["alarm"])
    card["community"] = str(card["community"])
    card["street"] = str(card["street"])
    card["location"] = list(card["location"]) if card["location"] else None
    card["hotlines"] = [{"number": h["number"], "label": str(h["label"])} for h in card["hotlines"]]
    return card


def _act(actor: Any, alarm_id: int, action: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    action(actor=actor, alarm_id=alarm_id, **kwargs)
    return _fresh(actor, alarm_id)


@router.post(
    "/alarms/{alarm_id}/acknowledge",
    auth=LANE_AUTH,
    response=responses(SosAlarmOut),
    summary="Acknowledge (stops escalation)",
)
async def acknowledge(request: HttpRequest, alarm_id: int, payload: SosNoteIn) -> dict[str, Any]:
    return await run_db(_act, user_of(request), alarm_id, services.alarm_acknowledge, note=payload.note)


@router.post(
    "/alarms/{alarm_id}/en-route", auth=LANE_AUTH, response=responses(SosAlarmOut), summary="On the way"
)
async def en_route(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    return await run_db(_act, user_of(request), alarm_id, services.alarm_en_route)


@router.post(
    "/alarms/{alarm_id}/on-scene",
    auth=LANE_AUTH,
    response=responses(SosAlarmOut),
    summary="Arrived at the elder",
)
async def on_scene(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    return await run_db(_act, user_of(request), alarm_id, services.alarm_on_scene)


@router.post(
    "/alarms/{alarm_id}/resolve",
    auth=LANE_AUTH,
    response=responses(SosAlarmOut),
    summary="Resolve with an outcome (once)",
)
async def resolve(request: HttpRequest, alarm_id: int, payload: SosResolveIn) -> dict[str, Any]:
    return await run_db(
        _act, user_of(request), alarm_id, services.alarm_resolve, outcome=payload.outcome, note=payload.note
    )


@router.post(
    "/alarms/{alarm_id}/notes", response=responses(SosEventOut, 201), summary="Add a note to the timeline"
)
def add_note(request: HttpRequest, alarm_id: int, payload: SosTextIn) -> Status[dict[str, Any]]:
    event = services.alarm_note(actor=user_of(request), alarm_id=alarm_id, text=payload.text)
    return Status(201, {"id": event.id, "kind": event.kind, "at": event.at})


@router.post(
    "/alarms/{alarm_id}/elder-ok", response=responses(SosAlarmOut), summary="The elder says they are fine"
)
def elder_ok(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    actor = user_of(request)
    services.alarm_elder_ok(actor=actor, alarm_id=alarm_id)
    return _fresh(actor, alarm_id)


@router.post(
    "/alarms/{alarm_id}/reveal",
    response=responses(SosRevealOut),
    summary="Full address and contacts' phones for a permitted responder (audited)",
)
def reveal(request: HttpRequest, alarm_id: int, payload: SosRevealIn) -> dict[str, Any]:
    return services.alarm_reveal(actor=user_of(request), alarm_id=alarm_id, purpose=payload.purpose)


# --- KPIs, reviews -----------------------------------------------------------------------------------------


@router.get(
    "/kpi", response=responses(SosKpiOut), summary="Acknowledgement KPIs against the telecare targets"
)
def kpi(
    request: HttpRequest,
    days: int = Query(30, ge=1, le=366),
    level: Literal["community", "street", "district"] = "community",
    drill: bool = False,
) -> dict[str, Any]:
    actor = user_of(request)
    if not services.is_responder_staff(actor):
        raise Forbidden()
    return selectors.kpis(actor, days=days, level=level, drill=drill)


@router.get(
    "/reviews",
    response=responses(list[SosReviewOut]),
    summary="Incident reviews (alarms not acknowledged in time)",
)
def review_list(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    return [review_row(r) for r in selectors.reviews(user_of(request), status=status)[:200]]


@router.post(
    "/reviews/{review_id}/close", response=responses(SosReviewOut), summary="Close a review with findings"
)
def review_close(request: HttpRequest, review_id: int, payload: SosReviewCloseIn) -> dict[str, Any]:
    review = services.review_close(
        actor=user_of(request), review_id=review_id, findings=payload.findings, actions=payload.actions
    )
    return review_row(
        IncidentReview.objects.select_related("alarm__elder", "alarm__community").get(pk=review.pk)
    )


# --- rosters -----------------------------------------------------------------------------------------------


@router.get(
    "/shifts",
    response=responses(list[SosShiftOut]),
    summary="Duty roster in my scope (now and the next days)",
)
def shift_list(request: HttpRequest, days: int = Query(7, ge=1, le=62)) -> list[dict[str, Any]]:
    return [shift_row(s) for s in selectors.shifts(user_of(request), days_ahead=days)]


@router.post(
    "/shifts", response=responses(SosShiftOut, 201), summary="Put someone on duty (or yourself on call)"
)
def shift_create(request: HttpRequest, payload: SosShiftIn) -> Status[dict[str, Any]]:
    from shiguang.accounts.models import User

    # Anyone or anything referenced that does not exist (or is out of reach) is a 404, like scoping.
    person = User.objects.filter(pk=payload.person_id, is_active=True).first()
    if person is None:
        raise NotFound()
    community = (
        Community.objects.select_related("street").filter(pk=payload.community_id).first()
        if payload.community_id
        else None
    )
    street = Street.objects.filter(pk=payload.street_id).first() if payload.street_id else None
    if (payload.community_id and community is None) or (payload.street_id and street is None):
        raise NotFound()
    shift = services.shift_create(
        actor=user_of(request),
        person=person,
        role=payload.role,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        community=community,
        street=street,
        note=payload.note,
    )
    return Status(201, shift_row(shift))


@router.post(
    "/shifts/{shift_id}/end", response=responses(SosShiftOut), summary="Cancel a future shift or end it now"
)
def shift_end(request: HttpRequest, shift_id: int) -> dict[str, Any]:
    return shift_row(services.shift_end(actor=user_of(request), shift_id=shift_id))


# --- devices -----------------------------------------------------------------------------------------------


@router.get("/devices", response=responses(list[SosDeviceOut]), summary="Devices in my scope")
def device_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [device_row(d) for d in selectors.devices(user_of(request))[:500]]


@router.post(
    "/devices", response=responses(SosDeviceSecretOut, 201), summary="Register a device for an elder"
)
def device_create(request: HttpRequest, payload: SosDeviceIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    elder = people_selectors.elder_get(actor, payload.elder_id)
    device, secret = services.device_register(
        actor=actor, elder=elder, kind=payload.kind, label=payload.label
    )
    return Status(201, {**device_row(device), "secret": secret})


@router.post(
    "/devices/{device_id}/rotate",
    response=responses(SosDeviceSecretOut),
    summary="Issue a new signing secret",
)
def device_rotate(request: HttpRequest, device_id: int) -> dict[str, Any]:
    device, secret = services.device_rotate_secret(actor=user_of(request), device_id=device_id)
    return {**device_row(device), "secret": secret}


@router.post(
    "/devices/{device_id}/revoke", response=responses(SosDeviceOut), summary="Stop accepting a device"
)
def device_revoke(request: HttpRequest, device_id: int) -> dict[str, Any]:
    return device_row(services.device_revoke(actor=user_of(request), device_id=device_id))


# --- policies ----------------------------------------------------------------------------------------------


@router.get(
    "/policies/{community_id}",
    response=responses(list[SosPolicyOut]),
    summary="Policy versions (newest first)",
)
def policy_list(request: HttpRequest, community_id: int) -> list[dict[str, Any]]:
    actor = user_of(request)
    community = get_scoped(Community.objects.all(), actor, pk=community_id)
    active = selectors.policy_for(actor, community)
    versions = list(selectors.policy_versions(actor, community))
    return [policy_row(p) for p in versions] or [policy_row(active)]


@router.post(
    "/policies/{community_id}", response=responses(SosPolicyOut, 201), summary="Publish a new policy version"
)
def policy_create(request: HttpRequest, community_id: int, payload: SosPolicyIn) -> Status[dict[str, Any]]:
    community = get_scoped(Community.objects.all(), user_of(request), pk=community_id)
    data = payload.dict()
    data["tiers"] = [dict(t) for t in data["tiers"]]
    policy = services.policy_publish(actor=user_of(request), community=community, **data)
    return Status(201, policy_row(policy))


# --- daily check-in ----------------------------------------------------------------------------------------


@router.post("/checkin", response=responses(SosCheckinOut), summary="Check in (报平安) for today")
def checkin(request: HttpRequest, payload: SosCheckinIn) -> dict[str, Any]:
    actor = user_of(request)
    record = services.checkin_record(
        actor=actor, elder=_elder(actor, payload.elder_id), source=payload.source
    )
    return checkin_row(record)


def _plan_row(plan: Any, state: str = "") -> dict[str, Any]:
    return {
        "elder_id": plan.elder_id,
        "elder": plan.elder.name,
        "deadline": plan.deadline,
        "active": plan.active,
        "next_check": plan.due_at,
        "miss_streak": plan.miss_streak,
        "today": state,
    }


@router.get(
    "/checkin/plans",
    response=responses(list[SosPlanOut]),
    summary="Check-in plans in my scope with today's state",
)
def plan_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_plan_row(r["plan"], r["state"]) for r in selectors.checkin_overview(user_of(request))]


@router.post(
    "/checkin/plans", response=responses(SosPlanOut), summary="Opt in to daily check-in, or change the time"
)
def plan_set(request: HttpRequest, payload: SosPlanIn) -> dict[str, Any]:
    actor = user_of(request)
    plan = services.checkin_enroll(
        actor=actor, elder=_elder(actor, payload.elder_id), deadline=payload.deadline
    )
    return _plan_row(plan)


@router.post("/checkin/plans/withdraw", response=responses(SosPlanOut), summary="Stop daily check-in")
def plan_withdraw(request: HttpRequest, payload: SosCheckinIn) -> dict[str, Any]:
    actor = user_of(request)
    plan = services.checkin_withdraw(actor=actor, elder=_elder(actor, payload.elder_id))
    return _plan_row(plan)


# --- the green button --------------------------------------------------------------------------------------


@router.post(
    "/service-request",
    response={201: SosServiceOut, 503: ErrorOut, **ERRORS},
    summary="“I need service”: an urgent (today) help request in the mutual-aid square",
)
def service_request(request: HttpRequest, payload: SosServiceIn) -> Status[dict[str, Any]]:
    actor = user_of(request)
    elder = _elder(actor, None)
    req = services.service_request(
        actor=actor, elder=elder, category=payload.category, description=payload.description
    )
    return Status(201, {"id": req.pk, "category": payload.category, "urgency": "today"})
