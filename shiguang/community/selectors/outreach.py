"""Reads of outreach visits, screening, the per-community funnel, and youth surveys."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from shiguang.community.choices import OutreachOutcome, RecruitmentChannel, SignupStatus, YouthInterest
from shiguang.community.models import (
    GroupMembership,
    OutreachVisit,
    ScreeningResponse,
    Signup,
    YouthSurvey,
)
from shiguang.core.scoping import get_scoped, scoped
from shiguang.people.choices import VolunteerKind

STAGES = (
    ("visited", _("走访住户")),
    ("reached", _("见面交流")),
    ("interested", _("有意向")),
    ("screened", _("完成筛查")),
    ("registered", _("登记建档")),
    ("engaged", _("参与服务")),
)
REACHED = {OutreachOutcome.INFORMED, OutreachOutcome.INTERESTED, OutreachOutcome.REGISTERED}


def outreach_list(
    actor: Any,
    *,
    community_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    outcome: str = "",
    interest: str = "",
) -> QuerySet[OutreachVisit]:
    qs = scoped(OutreachVisit.objects.select_related("community", "elder", "visited_by"), actor)
    if community_id:
        qs = qs.filter(community_id=community_id)
    if start:
        qs = qs.filter(visited_on__gte=start)
    if end:
        qs = qs.filter(visited_on__lte=end)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if interest in ("homeshare", "mutual_aid", "sos_device"):
        qs = qs.filter(**{f"interest_{interest}": True})
    return qs.annotate(screened=Exists(ScreeningResponse.objects.filter(visit_id=OuterRef("pk")))).order_by(
        "-visited_on", "-id"
    )


def visit_get(actor: Any, visit_id: Any) -> OutreachVisit:
    return get_scoped(
        OutreachVisit.objects.select_related("community", "elder", "visited_by"), actor, pk=visit_id
    )


def screening_of(visit: OutreachVisit) -> ScreeningResponse | None:
    return ScreeningResponse.objects.filter(visit=visit).first()


def _engaged_elder_ids(elder_ids: set[int]) -> set[int]:
    if not elder_ids:
        return set()
    signed = set(
        Signup.objects.filter(elder_id__in=elder_ids, status=SignupStatus.CONFIRMED).values_list(
            "elder_id", flat=True
        )
    )
    grouped = set(
        GroupMembership.objects.filter(
            user__elder_profile__id__in=elder_ids, left_at__isnull=True
        ).values_list("user__elder_profile__id", flat=True)
    )
    return signed | grouped


def funnel(
    actor: Any, *, community_id: int | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """Households per stage, per community in scope. A household is a registered elder or a new address
    (blind index), so repeat visits count once; a household reaches a stage if any of its visits did.

    Stages: visited → reached (someone talked with us) → interested (homeshare / mutual aid / SOS device)
    → screened (questionnaire) → registered (has an elder record) → engaged (signed up for an activity or
    joined an interest group)."""
    visits = outreach_list(actor, community_id=community_id, start=start, end=end)
    households: dict[tuple[int, str], dict[str, Any]] = {}
    names: dict[int, str] = {}
    interests: Counter[str] = Counter()
    for v in visits:
        names[v.community_id] = str(v.community)
        h = households.setdefault(
            (v.community_id, v.household_key),
            {"reached": False, "interested": False, "screened": False, "elder_id": None, "flags": set()},
        )
        h["reached"] |= v.outcome in REACHED
        h["interested"] |= v.any_interest
        h["screened"] |= bool(v.screened)  # type: ignore[attr-defined]
        if v.elder_id:
            h["elder_id"] = v.elder_id
        for key in ("homeshare", "mutual_aid", "sos_device"):
            if getattr(v, f"interest_{key}"):
                h["flags"].add(key)
    engaged = _engaged_elder_ids({h["elder_id"] for h in households.values() if h["elder_id"]})
    per: dict[int, Counter[str]] = {}
    for (cid, _key), h in households.items():
        counts = per.setdefault(cid, Counter())
        counts["visited"] += 1
        counts["reached"] += h["reached"]
        counts["interested"] += h["interested"]
        counts["screened"] += h["screened"]
        counts["registered"] += h["elder_id"] is not None
        counts["engaged"] += h["elder_id"] in engaged
        interests.update(h["flags"])
    total: Counter[str] = Counter()
    rows = []
    for cid in sorted(per, key=lambda c: names[c]):
        counts = per[cid]
        total.update(counts)
        rows.append(_row(cid, names[cid], counts))
    return {
        "stages": [
            {
                "key": key,
                "label": str(label),
                "value": total[key],
                "rate": _rate(total[key], total["visited"]),
            }
            for key, label in STAGES
        ],
        "communities": rows,
        "total": _row(None, str(_("合计")), total),
        "interests": [
            {"key": "homeshare", "label": str(_("幸福同行")), "value": interests["homeshare"]},
            {"key": "mutual_aid", "label": str(_("互助服务")), "value": interests["mutual_aid"]},
            {"key": "sos_device", "label": str(_("紧急呼叫设备")), "value": interests["sos_device"]},
        ],
        "visits": len(visits),
    }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _row(cid: int | None, name: str, counts: Counter[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"community_id": cid, "label": name}
    for key, _label in STAGES:
        row[key] = counts[key]
    row["conversion"] = _rate(counts["engaged"], counts["visited"])
    return row


def youth_surveys(actor: Any, *, kind: str = "", interest: str = "") -> QuerySet[YouthSurvey]:
    qs = scoped(YouthSurvey.objects.select_related("community", "surveyed_by"), actor)
    if kind:
        qs = qs.filter(respondent_kind=kind)
    surveys = qs.order_by("-surveyed_on", "-id")
    if interest:
        ids = [s.id for s in surveys if interest in (s.interests or [])]
        return surveys.filter(id__in=ids)
    return surveys


def youth_summary(actor: Any) -> dict[str, Any]:
    """Respondents by kind with how many would join each programme, and by recruitment channel."""
    rows = list(
        scoped(YouthSurvey.objects.all(), actor).values(
            "respondent_kind", "channel", "interests", "hours_per_week"
        )
    )
    kinds = {k.value: str(k.label) for k in VolunteerKind}
    by_kind: dict[str, Counter[str]] = {}
    channels: Counter[str] = Counter()
    for r in rows:
        c = by_kind.setdefault(r["respondent_kind"], Counter())
        c["total"] += 1
        c["hours"] += r["hours_per_week"] or 0
        for i in r["interests"] or []:
            c[i] += 1
        channels[r["channel"]] += 1
    table = []
    for kind, c in sorted(by_kind.items(), key=lambda kv: -kv[1]["total"]):
        entry: dict[str, Any] = {"kind": kind, "label": kinds.get(kind, kind), "total": c["total"]}
        for interest in YouthInterest:
            entry[interest.value] = c[interest.value]
        entry["avg_hours"] = round(c["hours"] / c["total"], 1) if c["total"] else 0
        table.append(entry)
    return {
        "total": len(rows),
        "by_kind": table,
        "interests": [{"key": i.value, "label": str(i.label)} for i in YouthInterest],
        "by_channel": [{"label": str(ch.label), "value": channels[ch.value]} for ch in RecruitmentChannel],
    }
