"""Community fixtures on top of the shared personas: the station of community A, activities, more elders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from shiguang.conftest import register_elder
from shiguang.core import clock

# A fixed "now" for tests that pin the clock: Monday 2026-03-02 10:00 in Shanghai.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def station(futian: dict[str, Any]) -> Any:
    from shiguang.places.models import Facility

    return Facility.objects.get(name="测试甲站")


@pytest.fixture
def far_station(futian: dict[str, Any]) -> Any:
    """A station in community B (沙头), about 6 km from community A's elders."""
    from shiguang.places.models import Facility

    return Facility.objects.create(
        street=futian["shatou"],
        community=futian["b"],
        name="测试丙站",
        level="community_station",
        latitude=22.526,
        longitude=114.031,
    )


@pytest.fixture
def make_activity(worker_a: Any, station: Any) -> Callable[..., Any]:
    from shiguang.community import services

    def _make(
        *,
        title: str = "太极晨练",
        kind: str = "exercise",
        capacity: int = 10,
        starts_in: dt.timedelta = dt.timedelta(days=2),
        hours: float = 1.5,
        facility: Any = None,
        actor: Any = None,
        tags: Any = None,
    ) -> Any:
        start = clock.now() + starts_in
        return services.activity_create(
            actor=actor or worker_a,
            facility=facility or station,
            title=title,
            kind=kind,
            start_at=start,
            end_at=start + dt.timedelta(hours=hours),
            capacity=capacity,
            tags=tags,
        )

    return _make


@pytest.fixture
def make_elders(worker_a: Any, futian: dict[str, Any]) -> Callable[[int], list[Any]]:
    counter = {"n": 100}

    def _make(n: int, *, community: Any = None, worker: Any = None) -> list[Any]:
        elders = []
        for _ in range(n):
            counter["n"] += 1
            elders.append(
                register_elder(
                    worker or worker_a,
                    community or futian["a"],
                    f"长者{counter['n']}",
                    serial=counter["n"] % 1000,
                )
            )
        return elders

    return _make


@pytest.fixture
def approved_volunteer(volunteer_a: Any, worker_a: Any) -> Any:
    from shiguang.people import services

    return services.volunteer_verify(actor=worker_a, volunteer=volunteer_a, approve=True)


@pytest.fixture
def courses(db: Any) -> Any:
    """The five standard courses. A data migration seeds them; a transactional test's flush removes them,
    so tests that run after one (browser tests) put them back the same way."""
    import importlib

    from django.apps import apps

    from shiguang.community.models import Course

    if not Course.objects.exists():
        importlib.import_module("shiguang.community.migrations.0003_seed_training_courses").seed(apps, None)
    return Course.objects.all()
