from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shiguang.core.api import responses
from shiguang.places import selectors

router = Router()


class StreetOut(Schema):
    id: int
    name: str
    communities: int
    elder_population: int


class CommunityOut(Schema):
    id: int
    name: str
    street_id: int
    elder_population: int
    is_ageing: bool
    has_station: bool


class FacilityOut(Schema):
    id: int
    name: str
    level: str
    level_label: str
    rating: str
    street_id: int
    community_id: int | None
    latitude: float
    longitude: float
    opening_hours: str
    capacity: int
    status: str


class CoverageOut(Schema):
    ageing_communities: int
    covered: int
    coverage: float
    stations: int
    street_centres: int
    posts: int


@router.get("/streets", response=responses(list[StreetOut]), summary="Streets with community counts")
def streets(request: HttpRequest) -> list[dict[str, object]]:
    return selectors.street_summaries()


@router.get("/communities", response=responses(list[CommunityOut]), summary="Communities")
def communities(request: HttpRequest, street_id: int | None = None) -> list[dict[str, object]]:
    return selectors.community_rows(street_id=street_id)


@router.get("/facilities", response=responses(list[FacilityOut]), summary="Service facilities")
def facilities(
    request: HttpRequest, street_id: int | None = None, level: str | None = None
) -> list[dict[str, object]]:
    return selectors.facility_rows(street_id=street_id, level=level)


@router.get("/coverage", response=responses(CoverageOut), summary="Station coverage of ageing communities")
def coverage(request: HttpRequest) -> dict[str, object]:
    return selectors.coverage()
