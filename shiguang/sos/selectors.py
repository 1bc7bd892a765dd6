"""Reads of sos, always through the actor's scope: live alarms, the responder's alarm card, KPIs, rosters."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shiguang.accounts.choices import ConsentCategory
from shiguang.core import clock
from shiguang.core.masking import MASKERS
from shiguang.core.scoping import get_scoped, scoped
from shiguang.sos.choices import LIVE_STATUSES, AlarmStatus, Audience, EventKind, Outcome, ReviewStatus
from shiguang.sos.models import (
    Alarm,
    AlarmEvent,
    CheckinMiss,
    CheckinPlan,
    DailyCheckin,
    Device,
    DutyShift,
    EscalationPolicy,
    IncidentReview,
)

# Telecare targets (TSA, UK Telecare Services Association): 97.5% of alarm calls answered within 60 s,
# 99% within 180 s.
TARGET_60 = 97.5
TARGET_180 = 99.0
HOTLINES = [
    {"number": "120", "label": _("急救")},
    {"number": "110", "label": _("报警")},
    {"number": "119", "label": _("火警")},
]


def _alarms(actor: Any) -> QuerySet[Alarm]:
    return scoped(
        Alarm.objects.select_related("elder", "community__street", "acknowledged_by", "policy"), actor
    )


def live_alarms(actor: Any, *, recent_minutes: int = 60) -> list[Alarm]:
    """Live alarms in scope, plus those resolved in the last `recent_minutes` (a console shows the end)."""
    since = clock.now() - dt.timedelta(minutes=recent_minutes)
    qs = _alarms(actor).filter(Q(status__in=LIVE_STATUSES) | Q(resolved_at__gte=since))
    rows = list(qs.order_by("-raised_at")[:200])
    order: dict[str, int] = {"open": 0, "acknowledged": 1, "en_route": 1, "on_scene": 2}
    return sorted(rows, key=lambda a: (order.get(a.status, 3), -a.raised_at.timestamp()))


def changed_since(actor: Any, since: dt.datetime, *, alarm_id: int | None = None) -> list[Alarm]:
    qs = _alarms(actor).filter(updated_at__gte=since)
    if alarm_id is not None:
        qs = qs.filter(pk=alarm_id)
    return list(qs.order_by("updated_at")[:200])


def alarm_get(actor: Any, alarm_id: Any) -> Alarm:
    return get_scoped(_alarms(actor), actor, pk=alarm_id)


def alarm_list(actor: Any, *, days: int = 30, status: str = "", drill: bool | None = None) -> QuerySet[Alarm]:
    qs = _alarms(actor).filter(raised_at__gte=clock.now() - dt.timedelta(days=days))
    if status:
        qs = qs.filter(status=status)
    if drill is not None:
        qs = qs.filter(drill=drill)
    return qs.order_by("-raised_at")


def own_live_alarm(elder: Any) -> Alarm | None:
    return (
        Alarm.objects.filter(elder=elder, drill=False)
        .exclude(status=AlarmStatus.RESOLVED)
        .select_related("acknowledged_by", "community")
        .first()
    )


def status_text(alarm: Alarm) -> str:
    """What the elder's page says, in plain words."""
    who = str(alarm.acknowledged_by) if alarm.acknowledged_by_id else ""
    if alarm.status == AlarmStatus.OPEN:
        if alarm.current_tier:
            return _("正在为您呼叫帮助，已通知附近的人，请保持电话畅通。")
        return _("正在为您呼叫帮助……")
    if alarm.status == AlarmStatus.ACKNOWLEDGED:
        return _("%(who)s已收到您的呼救，帮助正在赶来。") % {"who": who}
    if alarm.status == AlarmStatus.EN_ROUTE:
        return _("%(who)s正在赶来，帮助正在路上。") % {"who": who}
    if alarm.status == AlarmStatus.ON_SCENE:
        return _("帮助已经到达。")
    return _("本次呼救已处理完毕。")


def timeline(alarm: Alarm) -> list[dict[str, Any]]:
    rows = []
    for e in AlarmEvent.objects.filter(alarm=alarm).select_related("actor").order_by("at", "id"):
        data = e.data or {}
        detail = ""
        if e.kind == EventKind.TIER_NOTIFIED:
            detail = _("第%(tier)s级：%(audience)s，%(count)s人") % {
                "tier": data.get("tier"),
                "audience": Audience(data["audience"]).label
                if data.get("audience") in Audience.values
                else "",
                "count": data.get("count"),
            }
            if data.get("fallback_roster"):
                detail += _("（无人排班，已通知全体）")
        elif e.kind == EventKind.NO_RECIPIENTS:
            detail = _("第%(tier)s级无人可通知，立即升级到下一级") % {"tier": data.get("tier")}
        elif e.kind == EventKind.RESOLVED:
            outcome = data.get("outcome")
            detail = str(Outcome(outcome).label) if outcome in Outcome.values else ""
            if data.get("note"):
                detail += f"：{data['note']}"
        elif e.kind == EventKind.NOTE:
            detail = str(data.get("text", ""))
        elif e.kind in (EventKind.RAISED, EventKind.RETRIGGERED):
            detail = str(data.get("note", ""))
        elif e.kind == EventKind.ADDRESS_REVEALED:
            detail = str(data.get("purpose", ""))
        elif e.kind == EventKind.REVIEW_OPENED:
            detail = _("超过%(s)s秒未受理") % {"s": int(data.get("threshold") or 0)}
        seconds = (e.at - alarm.raised_at).total_seconds()
        rows.append(
            {
                "at": e.at,
                "offset": f"+{int(seconds // 60)}:{int(seconds % 60):02d}",
                "kind": e.kind,
                "label": str(EventKind(e.kind).label) if e.kind in EventKind.values else e.kind,
                "actor": str(e.actor) if e.actor else "",
                "detail": detail,
            }
        )
    return rows


def _recent_history(alarm: Alarm) -> list[dict[str, Any]]:
    past = Alarm.objects.filter(elder_id=alarm.elder_id).exclude(pk=alarm.pk).order_by("-raised_at")[:5]
    rows: list[dict[str, Any]] = [
        {
            "at": a.raised_at,
            "what": _("呼救") + (f"（{_('演练')}）" if a.drill else ""),
            "detail": a.get_outcome_display() or a.get_status_display(),
        }
        for a in past
    ]
    since = clock.today() - dt.timedelta(days=7)
    for m in CheckinMiss.objects.filter(elder_id=alarm.elder_id, date__gte=since):
        rows.append(
            {"at": m.detected_at, "what": _("未报平安"), "detail": _("连续%(n)s天") % {"n": m.streak}}
        )
    last = DailyCheckin.objects.filter(elder_id=alarm.elder_id).order_by("-date").first()
    if last is not None:
        rows.append({"at": last.at, "what": _("最近一次报平安"), "detail": last.get_source_display()})
    return sorted(rows, key=lambda r: r["at"], reverse=True)


def alarm_card(actor: Any, alarm: Alarm) -> dict[str, Any]:
    """Everything a responder needs on one screen. Sensitive fields are masked unless allowed:
    the full address and contacts' numbers come from an audited reveal (services.alarm_reveal)."""
    from shiguang.accounts.services import has_consent
    from shiguang.sos.escalation import nearby_volunteers, street_officers_on_duty, workers_on_duty
    from shiguang.sos.services import may_see_address

    elder = alarm.elder
    now = clock.now()
    health_consent = has_consent(elder.user, ConsentCategory.HEALTH)
    contacts = [
        {"name": c.name, "relation": c.get_relation_display(), "phone": MASKERS["phone"](c.phone)}
        for c in elder.emergency_contacts.all().order_by("priority", "id")
    ]
    family = [
        {"name": str(link.family_user), "relation": link.get_relation_display()}
        for link in elder.family_links.select_related("family_user").filter(receives_alerts=True)
    ]
    workers, _w = workers_on_duty(alarm.community, now)
    officers, _o = street_officers_on_duty(alarm.community, now)
    volunteers = nearby_volunteers(alarm, now, limit=10)
    responders = {r.user_id: r for r in alarm.responders.all()}
    return {
        "alarm": alarm,
        "name": elder.name,
        "age": elder.age(),
        "gender": elder.get_gender_display(),
        "living": elder.get_living_arrangement_display(),
        "community": alarm.community,
        "street": alarm.community.street,
        "address_masked": MASKERS["address"](elder.address or ""),
        "can_reveal": may_see_address(actor, alarm),
        "location": (alarm.location_lat, alarm.location_lng) if alarm.location_lat is not None else None,
        "health_consent": health_consent,
        "health_notes": elder.health_notes if health_consent else "",
        "contacts": contacts,
        "family": family,
        "volunteers": [
            {"name": str(r.user), "distance_m": r.distance_m, "notified": r.user.pk in responders}
            for r in volunteers
        ],
        "workers": [str(w) for w in workers],
        "officers": [str(o) for o in officers],
        "responders": [
            {"name": str(r.user), "tier": r.tier, "audience": r.get_audience_display(), "at": r.notified_at}
            for r in sorted(responders.values(), key=lambda r: (r.tier, r.id))
        ],
        "history": _recent_history(alarm),
        "timeline": timeline(alarm),
        "hotlines": HOTLINES,
        "status_text": status_text(alarm),
        "is_elder": actor.pk == elder.user_id,
    }


# --- KPIs --------------------------------------------------------------------------------------------------


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)


def _metrics(rows: list[dict[str, Any]], now: dt.datetime) -> dict[str, Any]:
    # Alarms younger than 180 s are still inside their window: leave them out of the percentages.
    settled = [r for r in rows if (now - r["raised_at"]).total_seconds() >= 180 or r["acknowledged_at"]]
    acks = [(r["acknowledged_at"] - r["raised_at"]).total_seconds() for r in settled if r["acknowledged_at"]]
    scene = [(r["on_scene_at"] - r["raised_at"]).total_seconds() for r in rows if r["on_scene_at"]]
    resolved = [r for r in rows if r["status"] == AlarmStatus.RESOLVED]
    false_alarms = sum(1 for r in resolved if r["outcome"] == Outcome.FALSE_ALARM)
    n = len(settled)
    within = {s: sum(1 for a in acks if a <= s) for s in (30, 60, 180)}
    result: dict[str, Any] = {
        "alarms": len(rows),
        "settled": n,
        "acknowledged": len(acks),
        "within_30": _pct(within[30], n),
        "within_60": _pct(within[60], n),
        "within_180": _pct(within[180], n),
        "median_ack_s": _median(acks),
        "p90_ack_s": _p90(acks),
        "median_on_scene_s": _median(scene),
        "false_alarm_rate": _pct(false_alarms, len(resolved)),
        "reviews": sum(1 for r in rows if r["review"]),
        "outcomes": {o: sum(1 for r in resolved if r["outcome"] == o) for o in Outcome.values},
    }
    result["meets_60"] = result["within_60"] is not None and result["within_60"] >= TARGET_60
    result["meets_180"] = result["within_180"] is not None and result["within_180"] >= TARGET_180
    return result


LEVELS = ("community", "street", "district")


def kpis(actor: Any, *, days: int = 30, level: str = "community", drill: bool = False) -> dict[str, Any]:
    """Acknowledgement KPIs against the telecare targets, per community, street or district.

    Drill alarms are reported separately (`drill=True`) and never mixed into the real figures.
    """
    if level not in LEVELS:
        level = "community"
    now = clock.now()
    qs = scoped(Alarm.objects.all(), actor).filter(raised_at__gte=now - dt.timedelta(days=days), drill=drill)
    fields = (
        "id",
        "raised_at",
        "acknowledged_at",
        "on_scene_at",
        "status",
        "outcome",
        "community_id",
        "community__name",
        "community__street_id",
        "community__street__name",
        "community__street__district_id",
        "community__street__district__name",
        "review__id",
    )
    rows = [{**r, "review": r["review__id"] is not None} for r in qs.values(*fields)]
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    names: dict[Any, str] = {}
    for r in rows:
        if level == "community":
            key, name = r["community_id"], f"{r['community__street__name']} · {r['community__name']}"
        elif level == "street":
            key, name = r["community__street_id"], f"{r['community__street__name']}"
        else:
            key, name = r["community__street__district_id"], r["community__street__district__name"]
        groups[key].append(r)
        names[key] = name
    units = [{"id": k, "label": names[k], **_metrics(v, now)} for k, v in groups.items()]
    units.sort(key=lambda u: (u["within_60"] is None, u["within_60"] or 0, u["label"]))
    total = _metrics(rows, now)
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_day[clock.local(r["raised_at"]).date()].append(r)
    daily = [
        {"label": day.strftime("%m-%d"), "alarms": len(v), "within_60": _metrics(v, now)["within_60"] or 0}
        for day, v in sorted(by_day.items())
    ]
    outcomes = [
        {"key": o, "label": str(label), "value": total["outcomes"][o]}
        for o, label in Outcome.choices
        if total["outcomes"][o]
    ]
    return {
        "days": days,
        "level": level,
        "drill": drill,
        "total": total,
        "units": units,
        "daily": daily,
        "outcomes": outcomes,
        "targets": {"within_60": TARGET_60, "within_180": TARGET_180},
    }


# --- rosters, devices, policies, check-in, reviews ---------------------------------------------------------


def shifts(actor: Any, *, days_ahead: int = 7, include_past_hours: int = 12) -> QuerySet[DutyShift]:
    now = clock.now()
    qs = scoped(DutyShift.objects.select_related("person", "community", "street", "created_by"), actor)
    return qs.filter(
        cancelled_at__isnull=True,
        ends_at__gte=now - dt.timedelta(hours=include_past_hours),
        starts_at__lte=now + dt.timedelta(days=days_ahead),
    ).order_by("starts_at", "id")


def shift_get(actor: Any, shift_id: Any) -> DutyShift:
    return get_scoped(DutyShift.objects.select_related("person", "community", "street"), actor, pk=shift_id)


def devices(actor: Any) -> QuerySet[Device]:
    return scoped(Device.objects.select_related("elder__community", "registered_by"), actor).order_by(
        "revoked_at", "elder_id", "id"
    )


def device_get(actor: Any, device_id: Any) -> Device:
    return get_scoped(Device.objects.select_related("elder"), actor, pk=device_id)


def policy_for(actor: Any, community: Any) -> EscalationPolicy:
    from shiguang.sos.services import active_policy

    get_scoped(type(community).objects.all(), actor, pk=community.pk)
    return active_policy(community)


def policy_versions(actor: Any, community: Any) -> QuerySet[EscalationPolicy]:
    return scoped(EscalationPolicy.objects.filter(community=community), actor).select_related("created_by")


def checkin_overview(actor: Any, *, day: dt.date | None = None) -> list[dict[str, Any]]:
    """Elders who opted in, with today's state: checked in / waiting / missed."""
    day = day or clock.today()
    plans = scoped(CheckinPlan.objects.select_related("elder__community"), actor).filter(active=True)
    plans = plans.order_by("elder__community_id", "elder__name")[:500]
    elder_ids = [p.elder_id for p in plans]
    checked = {c.elder_id: c for c in DailyCheckin.objects.filter(elder_id__in=elder_ids, date=day)}
    missed = {m.elder_id: m for m in CheckinMiss.objects.filter(elder_id__in=elder_ids, date=day)}
    rows = []
    for plan in plans:
        c = checked.get(plan.elder_id)
        m = missed.get(plan.elder_id)
        state = "checked" if c else ("missed" if m else "waiting")
        rows.append({"plan": plan, "elder": plan.elder, "checkin": c, "miss": m, "state": state})
    order = {"missed": 0, "waiting": 1, "checked": 2}
    return sorted(rows, key=lambda r: order[r["state"]])


def checkin_state(elder: Any) -> dict[str, Any]:
    today = clock.today()
    return {
        "plan": CheckinPlan.objects.filter(elder=elder).first(),
        "today": DailyCheckin.objects.filter(elder=elder, date=today).first(),
        "recent": list(DailyCheckin.objects.filter(elder=elder).order_by("-date")[:7]),
    }


def reviews(actor: Any, *, status: str = "") -> QuerySet[IncidentReview]:
    qs = scoped(IncidentReview.objects.select_related("alarm__elder", "alarm__community", "closed_by"), actor)
    if status in ReviewStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-opened_at")
