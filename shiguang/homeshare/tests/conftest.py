"""Homeshare fixtures: a vetted offer (陈婆婆's room) and a vetted application (小王), ready to be matched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shiguang.conftest import PASSWORD, make_id_number

YOUTH_ID = make_id_number(dt.date(2000, 5, 6), 321)
YOUTH2_ID = make_id_number(dt.date(1999, 1, 2), 22)


def offer_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "room_size_m2": 12,
        "floor": 5,
        "has_lift": True,
        "rent_yuan": 0,
        "included": ["utilities", "internet"],
        "visitors": "daytime",
        "cooking": "shared",
        "help_kinds": ["companionship", "shopping"],
        "help_hours_per_week": 6,
        "evenings_wanted": 3,
        "languages": ["mandarin", "cantonese"],
        "interests": ["reading", "music"],
        "pref_gender": "any",
        "age_min": 20,
        "age_max": 35,
    }
    data.update(extra)
    return data


def application_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workplace": "深圳某律师事务所",
        "work_lat": 22.543,
        "work_lng": 114.06,
        "budget_yuan": 800,
        "schedule": "工作日9:00-18:00",
        "evenings_home": 4,
        "help_kinds": ["companionship", "shopping", "digital_help"],
        "help_hours_per_week": 8,
        "languages": ["mandarin"],
        "interests": ["music", "films"],
        "motivation": "刚来深圳工作，希望陪伴长者，也有一个安稳的住处。",
    }
    data.update(extra)
    return data


def vet_offer(worker: Any, offer: Any) -> Any:
    from shiguang.homeshare import services

    for key in ("share_profile", "matching_data", "home_visits"):
        services.offer_consent(actor=worker, offer_id=offer.pk, key=key, method="paper")
    services.stage_advance(actor=worker, kind="offer", pk=offer.pk, stage="screened")
    return services.stage_advance(actor=worker, kind="offer", pk=offer.pk, stage="vetted")


def vet_application(worker: Any, app: Any) -> Any:
    from shiguang.homeshare import services

    for name in ("张老师", "李经理"):
        ref = services.reference_add(
            actor=worker, application_id=app.pk, name=name, relation="导师", phone="13600136000"
        )
        services.reference_check(actor=worker, reference_id=ref.pk, status="positive", note="评价良好")
    services.background_record(
        actor=worker, application_id=app.pk, outcome="clear", checked_on=dt.date.today(), id_verified=True
    )
    services.stage_advance(actor=worker, kind="application", pk=app.pk, stage="screened")
    return services.stage_advance(actor=worker, kind="application", pk=app.pk, stage="vetted")


@pytest.fixture
def offer_a(worker_a: Any, elder_a: Any) -> Any:
    from shiguang.homeshare import services
    from shiguang.people import services as people_services

    people_services.emergency_contact_add(
        actor=worker_a, elder=elder_a, name="陈女儿", relation="daughter", phone="13900139001"
    )
    offer = services.offer_create(actor=worker_a, elder=elder_a, **offer_data())
    return vet_offer(worker_a, offer)


@pytest.fixture
def app_a(worker_a: Any, volunteer_a: Any) -> Any:
    from shiguang.homeshare import services

    app = services.application_create(
        actor=volunteer_a.user, volunteer=volunteer_a, id_number=YOUTH_ID, **application_data()
    )
    return vet_application(worker_a, app)


@pytest.fixture
def youth(futian: dict[str, Any]) -> Any:
    """A second youth (female trainee lawyer) in community A."""
    from shiguang.people import services

    return services.volunteer_register(
        actor=None,
        community=futian["a"],
        name="小李",
        gender="female",
        kind="trainee_lawyer",
        phone="13700137002",
        password=PASSWORD,
        birth_date=dt.date(1999, 1, 2),
    )


def make_match(worker: Any, offer: Any, app: Any) -> Any:
    from shiguang.core import clock
    from shiguang.homeshare import services

    match = services.match_propose(actor=worker, offer_id=offer.pk, application_id=app.pk)
    services.meeting_record(actor=worker, match_id=match.pk, held_at=clock.now(), place="社区党群服务中心")
    return match


def accept(worker: Any, match: Any) -> Any:
    from shiguang.homeshare import services

    elder_user = match.offer.elder.user
    youth_user = match.application.volunteer.user
    services.match_decide(actor=elder_user, match_id=match.pk, accept=True)
    return services.match_decide(actor=youth_user, match_id=match.pk, accept=True)


@pytest.fixture
def accepted(worker_a: Any, offer_a: Any, app_a: Any) -> Any:
    return accept(worker_a, make_match(worker_a, offer_a, app_a))
