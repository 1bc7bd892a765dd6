"""Reads of the service network. Places are reference data visible to every signed-in user."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from shiguang.core.scoping import scoped
from shiguang.places.choices import FacilityLevel, FacilityStatus
from shiguang.places.models import Community, Facility, Street

STATION_LEVELS = (FacilityLevel.COMMUNITY_STATION,)


def _has_station() -> Exists:
    return Exists(
        Facility.objects.filter(
            community=OuterRef("pk"), level__in=STATION_LEVELS, status=FacilityStatus.OPEN
        )
    )


def street_summaries() -> list[dict[str, Any]]:
    rows = Street.objects.annotate(n=Count("communities"), pop=Sum("communities__elder_population")).order_by(
        "id"
    )
    return [{"id": s.id, "name": s.name, "communities": s.n, "elder_population": s.pop or 0} for s in rows]


def community_rows(*, street_id: int | None = None) -> list[dict[str, Any]]:
    qs = Community.objects.annotate(has_station=_has_station()).order_by("street_id", "id")
    if street_id:
        qs = qs.filter(street_id=street_id)
    return [
        {
            "id": c.id,
            "name": c.name,
            "street_id": c.street_id,
            "elder_population": c.elder_population,
            "is_ageing": c.is_ageing,
            "has_station": c.has_station,
        }
        for c in qs
    ]


def facility_rows(*, street_id: int | None = None, level: str | None = None) -> list[dict[str, Any]]:
    qs = Facility.objects.all()
    if street_id:
        qs = qs.filter(street_id=street_id)
    if level:
        qs = qs.filter(level=level)
    return [
        {
            "id": f.id,
            "name": f.name,
            "level": f.level,
            "level_label": str(f.get_level_display()),
            "rating": f.rating,
            "street_id": f.street_id,
            "community_id": f.community_id,
            "latitude": f.latitude,
            "longitude": f.longitude,
            "opening_hours": f.opening_hours,
            "capacity": f.capacity,
            "status": f.status,
        }
        for f in qs.order_by("id")
    ]


def coverage() -> dict[str, Any]:
    """Share of ageing communities with an open community elderly-service station (report: > 89%)."""
    ageing = Community.objects.filter(is_ageing=True).annotate(has_station=_has_station())
    total = ageing.count()
    covered = ageing.filter(has_station=True).count()
    counts = Facility.objects.filter(status=FacilityStatus.OPEN).aggregate(
        stations=Count("id", filter=Q(level=FacilityLevel.COMMUNITY_STATION)),
        street_centres=Count("id", filter=Q(level=FacilityLevel.STREET_CENTRE)),
        posts=Count("id", filter=Q(level=FacilityLevel.SERVICE_POST)),
    )
    return {
        "ageing_communities": total,
        "covered": covered,
        "coverage": round(covered / total, 4) if total else 0.0,
        **counts,
    }


def coverage_by_street() -> list[dict[str, Any]]:
    rows = []
    for street in Street.objects.order_by("id"):
        ageing = Community.objects.filter(street=street, is_ageing=True).annotate(has_station=_has_station())
        total = ageing.count()
        covered = ageing.filter(has_station=True).count()
        rows.append(
            {
                "street": street.name,
                "ageing": total,
                "covered": covered,
                "coverage": round(covered / total, 4) if total else 0.0,
            }
        )
    return rows


def communities_in_scope(actor: Any) -> QuerySet[Community]:
    """Communities an actor works in (for forms that place a person in a community)."""
    return scoped(Community.objects.select_related("street"), actor).order_by("street_id", "id")
