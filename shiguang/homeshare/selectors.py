"""Reads of the homeshare pilot, always through the actor's scope: lists, the pool, suggestions, the optimal
assignment, the funnel and the KPIs."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from shiguang.core import clock
from shiguang.core.scoping import get_scoped, scoped
from shiguang.homeshare import features, matching
from shiguang.homeshare.choices import (
    OPEN_MATCH,
    STAGE_ORDER,
    AgreementStatus,
    DropoutReason,
    HelpLogStatus,
    MatchStatus,
    Stage,
    VisitStatus,
)
from shiguang.homeshare.models import (
    AgreementVersion,
    Application,
    HelpLog,
    Match,
    Offer,
    StageEvent,
    Visit,
)

MATCH_WITHIN_DAYS = 122  # "matched within 4 months of registering"
LASTING_DAYS = 183  # "matches lasting over 6 months"


# --- lists --------------------------------------------------------------------------------------------------


def offers(actor: Any, *, stage: str = "", open_only: bool = False) -> QuerySet[Offer]:
    qs = scoped(Offer.objects.select_related("elder", "community__street"), actor)
    if stage:
        qs = qs.filter(stage=stage)
    if open_only:
        qs = qs.filter(dropped_at__isnull=True).exclude(stage=Stage.ENDED)
    return qs.order_by("community_id", "-id")


def offer_get(actor: Any, offer_id: Any) -> Offer:
    return get_scoped(Offer.objects.select_related("elder__user", "community__street"), actor, pk=offer_id)


def applications(actor: Any, *, stage: str = "", open_only: bool = False) -> QuerySet[Application]:
    qs = scoped(Application.objects.select_related("volunteer", "community__street"), actor)
    if stage:
        qs = qs.filter(stage=stage)
    if open_only:
        qs = qs.filter(dropped_at__isnull=True).exclude(stage=Stage.ENDED)
    return qs.order_by("community_id", "-id")


def application_get(actor: Any, application_id: Any) -> Application:
    return get_scoped(
        Application.objects.select_related("volunteer__user", "community__street", "background_recorded_by"),
        actor,
        pk=application_id,
    )


def matches(actor: Any, *, status: str = "") -> QuerySet[Match]:
    qs = scoped(Match.objects.select_related("offer__elder", "application__volunteer", "community"), actor)
    if status == "open":
        qs = qs.filter(status__in=OPEN_MATCH)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def match_get(actor: Any, match_id: Any) -> Match:
    return get_scoped(
        Match.objects.select_related(
            "offer__elder__user", "application__volunteer__user", "community__street", "proposed_by"
        ),
        actor,
        pk=match_id,
    )


def version_get(actor: Any, version_id: Any) -> AgreementVersion:
    return get_scoped(
        AgreementVersion.objects.select_related(
            "match__offer__elder__user", "match__application__volunteer__user", "match__community"
        ),
        actor,
        pk=version_id,
    )


def offer_for_elder(user: Any) -> Offer | None:
    return (
        Offer.objects.select_related("elder", "community")
        .filter(elder__user=user)
        .order_by("dropped_at", "-id")
        .first()
    )


def application_for_youth(user: Any) -> Application | None:
    return (
        Application.objects.select_related("volunteer", "community")
        .filter(volunteer__user=user)
        .order_by("dropped_at", "-id")
        .first()
    )


def match_for_user(user: Any) -> Match | None:
    """The participant's open match, else their latest."""
    qs = Match.objects.select_related("offer__elder", "application__volunteer").filter(
        Q(offer__elder__user=user) | Q(application__volunteer__user=user)
    )
    return qs.filter(status__in=OPEN_MATCH).order_by("-id").first() or qs.order_by("-id").first()


def pending_help_for_elder(user: Any) -> QuerySet[HelpLog]:
    return HelpLog.objects.filter(match__offer__elder__user=user, status=HelpLogStatus.LOGGED).order_by(
        "date"
    )


def visits_due(actor: Any, *, days: int = 7) -> QuerySet[Visit]:
    horizon = clock.today() + dt.timedelta(days=days)
    return (
        scoped(Visit.objects.select_related("match__offer__elder", "match__application__volunteer"), actor)
        .filter(status=VisitStatus.SCHEDULED, scheduled_for__lte=horizon, match__status__in=OPEN_MATCH)
        .order_by("scheduled_for", "id")
    )


def agreements_to_sign(user: Any) -> QuerySet[AgreementVersion]:
    return (
        scoped(AgreementVersion.objects.select_related("match"), user)
        .filter(status=AgreementStatus.FINAL)
        .exclude(signatures__signer=user)
        .order_by("-id")
    )


# --- the pool, suggestions and the optimal assignment -------------------------------------------------------


def pool(actor: Any) -> tuple[list[Offer], list[Application]]:
    """Vetted offers and applications in scope with no open match: who can be matched now."""
    busy = Q(matches__status__in=OPEN_MATCH)
    offer_qs = (
        offers(actor, stage=Stage.VETTED, open_only=True)
        .exclude(busy)
        .select_related("elder", "community")
        .order_by("id")
    )
    app_qs = (
        applications(actor, stage=Stage.VETTED, open_only=True)
        .exclude(busy)
        .select_related("volunteer", "community")
        .order_by("id")
    )
    return list(offer_qs), list(app_qs)


def suggestions(actor: Any, offer: Offer, *, k: int = 3) -> list[dict[str, Any]]:
    """The k best feasible youths for one elder's room, each explained factor by factor."""
    _offers, apps = pool(actor)
    if not apps:
        return []
    o, a = features.arrays([offer], apps)
    scores, feasible = matching.score_matrix(o, a)
    best = matching.top_candidates(scores, feasible, 0, k)
    return [
        {"application": apps[j], "explanation": features.describe(matching.explain(o, 0, a, j))} for j in best
    ]


def optimal(actor: Any) -> dict[str, Any]:
    """One click: the assignment with the most feasible pairs and, among those, the largest total score."""
    offer_list, app_list = pool(actor)
    pairs: list[dict[str, Any]] = []
    total = 0.0
    if offer_list and app_list:
        o, a = features.arrays(offer_list, app_list)
        scores, feasible = matching.score_matrix(o, a)
        result = matching.optimal_assignment(scores, feasible)
        total = result.total
        for i, j in result.pairs():
            pairs.append(
                {
                    "offer": offer_list[i],
                    "application": app_list[j],
                    "explanation": features.describe(matching.explain(o, i, a, j)),
                }
            )
        feasible_share = float(feasible.mean())
    else:
        feasible_share = 0.0
    matched_offers = {p["offer"].pk for p in pairs}
    matched_apps = {p["application"].pk for p in pairs}
    return {
        "pairs": pairs,
        "total": round(total, 1),
        "offers": len(offer_list),
        "applications": len(app_list),
        "unmatched_offers": [x for x in offer_list if x.pk not in matched_offers],
        "unmatched_applications": [x for x in app_list if x.pk not in matched_apps],
        "feasible_share": round(feasible_share, 3),
    }


# --- the funnel ---------------------------------------------------------------------------------------------


def _reached(events: QuerySet[StageEvent], field: str) -> dict[str, set[int]]:
    reached: dict[str, set[int]] = defaultdict(set)
    for pid, stage in events.exclude(**{f"{field}__isnull": True}).values_list(field, "stage"):
        for s in Stage.values:
            if STAGE_ORDER[s] <= STAGE_ORDER[stage]:
                reached[s].add(pid)
    return reached


def funnel(actor: Any, *, street_id: int | None = None, community_id: int | None = None) -> dict[str, Any]:
    """How many offers and applications ever reached each stage, drop-outs by reason, by street/community."""
    events = scoped(StageEvent.objects.all(), actor)
    offer_qs = scoped(Offer.objects.all(), actor)
    app_qs = scoped(Application.objects.all(), actor)
    if street_id:
        events = events.filter(community__street_id=street_id)
        offer_qs, app_qs = (
            offer_qs.filter(community__street_id=street_id),
            app_qs.filter(community__street_id=street_id),
        )
    if community_id:
        events = events.filter(community_id=community_id)
        offer_qs, app_qs = (
            offer_qs.filter(community_id=community_id),
            app_qs.filter(community_id=community_id),
        )
    offers_reached = _reached(events, "offer_id")
    apps_reached = _reached(events, "application_id")
    stages = [
        {
            "key": s,
            "label": str(label),
            "offers": len(offers_reached.get(s, ())),
            "applications": len(apps_reached.get(s, ())),
            "offers_now": offer_qs.filter(stage=s, dropped_at__isnull=True).count(),
            "applications_now": app_qs.filter(stage=s, dropped_at__isnull=True).count(),
        }
        for s, label in Stage.choices
    ]
    drop_counts: Counter[str] = Counter()
    for reason in offer_qs.exclude(dropout_reason="").values_list("dropout_reason", flat=True):
        drop_counts[reason] += 1
    for reason in app_qs.exclude(dropout_reason="").values_list("dropout_reason", flat=True):
        drop_counts[reason] += 1
    dropouts = [
        {"key": k, "label": str(label), "value": drop_counts.get(k, 0)}
        for k, label in DropoutReason.choices
        if drop_counts.get(k, 0)
    ]
    by_place = []
    group = "community__street__name" if not street_id and not community_id else "community__name"
    group_id = "community__street_id" if group.startswith("community__street") else "community_id"
    rows: dict[Any, dict[str, Any]] = {}
    for qs, key in ((offer_qs, "offers"), (app_qs, "applications")):
        for row in qs.values(group_id, group).annotate(
            total=Count("id"),
            dropped=Count("id", filter=Q(dropped_at__isnull=False)),
            living=Count("id", filter=Q(stage__in=(Stage.TRIAL, Stage.ACTIVE), dropped_at__isnull=True)),
        ):
            entry = rows.setdefault(
                row[group_id],
                {
                    "id": row[group_id],
                    "label": row[group],
                    "offers": 0,
                    "applications": 0,
                    "dropped": 0,
                    "living": 0,
                },
            )
            entry[key] = row["total"]
            entry["dropped"] += row["dropped"]
            entry["living"] += row["living"]
    by_place = sorted(rows.values(), key=lambda r: r["label"] or "")
    return {"stages": stages, "dropouts": dropouts, "by_place": by_place, "group": group}


# --- KPIs after Homeshare UK's quality framework ------------------------------------------------------------


def _first_match_dates(matches_qs: QuerySet[Match], field: str) -> dict[int, dt.date]:
    firsts: dict[int, dt.date] = {}
    for pid, created in (
        matches_qs.exclude(status__in=(MatchStatus.DECLINED, MatchStatus.CANCELLED))
        .filter(status__in=(MatchStatus.ACCEPTED, MatchStatus.TRIAL, MatchStatus.ACTIVE, MatchStatus.ENDED))
        .values_list(field, "created_at")
    ):
        day = clock.local(created).date()
        if pid not in firsts or day < firsts[pid]:
            firsts[pid] = day
    return firsts


def kpis(
    actor: Any, *, street_id: int | None = None, community_id: int | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """% matched within 4 months of registering; % of matches lasting over 6 months; average match length;
    drop-outs for lack of a match."""
    today = today or clock.today()
    offer_qs = scoped(Offer.objects.all(), actor)
    app_qs = scoped(Application.objects.all(), actor)
    match_qs = scoped(Match.objects.all(), actor)
    if street_id:
        offer_qs = offer_qs.filter(community__street_id=street_id)
        app_qs = app_qs.filter(community__street_id=street_id)
        match_qs = match_qs.filter(community__street_id=street_id)
    if community_id:
        offer_qs = offer_qs.filter(community_id=community_id)
        app_qs = app_qs.filter(community_id=community_id)
        match_qs = match_qs.filter(community_id=community_id)

    def matched_within(qs: QuerySet[Any], field: str) -> dict[str, Any]:
        firsts = _first_match_dates(match_qs, field)
        eligible = matched = 0
        for pid, registered in qs.values_list("id", "registered_on"):
            first = firsts.get(pid)
            in_time = first is not None and (first - registered).days <= MATCH_WITHIN_DAYS
            # count those registered at least 4 months ago, and younger ones already matched
            if (today - registered).days >= MATCH_WITHIN_DAYS or in_time:
                eligible += 1
                matched += int(in_time)
        return {
            "eligible": eligible,
            "matched": matched,
            "rate": round(matched / eligible, 4) if eligible else None,
        }

    started: list[tuple[dt.date, dt.date | None]] = [
        (start, ended)
        for start, ended in match_qs.filter(started_on__isnull=False, started_on__lte=today).values_list(
            "started_on", "ended_on"
        )
        if start is not None
    ]
    # a match ended before the move-in date never started: it counts as length 0
    lengths = [max(0, ((ended or today) - start).days) for start, ended in started]
    old_enough = [(s, e) for s, e in started if (today - s).days >= LASTING_DAYS or e is not None]
    lasting = sum(1 for start, ended in old_enough if ((ended or today) - start).days > LASTING_DAYS)
    no_match = (
        offer_qs.filter(dropout_reason=DropoutReason.NO_MATCH).count()
        + app_qs.filter(dropout_reason=DropoutReason.NO_MATCH).count()
    )
    return {
        "elders_matched_within_4_months": matched_within(offer_qs, "offer_id"),
        "youths_matched_within_4_months": matched_within(app_qs, "application_id"),
        "matches_started": len(started),
        "lasting_over_6_months": {
            "eligible": len(old_enough),
            "lasting": lasting,
            "rate": round(lasting / len(old_enough), 4) if old_enough else None,
        },
        "average_length_days": round(sum(lengths) / len(lengths), 1) if lengths else None,
        "living_now": match_qs.filter(status__in=(MatchStatus.TRIAL, MatchStatus.ACTIVE)).count(),
        "dropouts_no_match": no_match,
    }


def kpis_by_place(actor: Any, *, street_id: int | None = None) -> list[dict[str, Any]]:
    """KPIs per street (or per community of one street), for the table and the chart."""
    from shiguang.places.models import Community, Street

    rows = []
    if street_id:
        places = [(c.id, c.name) for c in Community.objects.filter(street_id=street_id).order_by("id")]
    else:
        places = [(s.id, s.name) for s in Street.objects.order_by("id")]
    for pid, name in places:
        k = kpis(actor, street_id=None if street_id else pid, community_id=pid if street_id else None)
        if not (
            k["matches_started"] or k["elders_matched_within_4_months"]["eligible"] or k["dropouts_no_match"]
        ):
            continue
        rate = k["elders_matched_within_4_months"]["rate"]
        lasting = k["lasting_over_6_months"]["rate"]
        rows.append(
            {
                "id": pid,
                "label": name,
                "matched_4m": round(rate * 100, 1) if rate is not None else 0,
                "lasting_6m": round(lasting * 100, 1) if lasting is not None else 0,
                "avg_days": k["average_length_days"] or 0,
                "no_match": k["dropouts_no_match"],
                "living": k["living_now"],
            }
        )
    return rows


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def monitoring_overview(actor: Any) -> dict[str, Any]:
    today = clock.today()
    live = matches(actor).filter(status__in=(MatchStatus.TRIAL, MatchStatus.ACTIVE))
    overdue = scoped(Visit.objects.all(), actor).filter(
        status=VisitStatus.SCHEDULED,
        scheduled_for__lt=today,
        match__status__in=(MatchStatus.TRIAL, MatchStatus.ACTIVE),
    )
    return {
        "live": live.count(),
        "overdue_visits": overdue.count(),
        "pending_help": scoped(HelpLog.objects.all(), actor).filter(status=HelpLogStatus.LOGGED).count(),
        "disputed_help": scoped(HelpLog.objects.all(), actor).filter(status=HelpLogStatus.DISPUTED).count(),
        "label": _("监测"),
    }
