"""Shared fixtures: a small Futian (two streets, three communities) and one named persona per role."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "correct-horse-9"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    from django.conf import settings

    # Browser tests drive chromium against a live server while the rest of the suite loads both cores; a
    # step that misses its timeout then is a starved machine, not a bug, so each gets one more try (the
    # report lists reruns). Nothing else is retried.
    rerun = pytest.mark.flaky(reruns=1, reruns_delay=2)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(rerun)
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="multi-process test: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def make_id_number(birth: dt.date, serial: int = 123, region: str = "440304") -> str:
    from shiguang.accounts.validators import id_check_char

    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in zh-Hans: a request with Accept-Language: en leaves English active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def futian(db: Any) -> dict[str, Any]:
    from shiguang.places.models import Community, District, Facility, Street

    district = District.objects.create(name="福田区", code="440304")
    nanyuan = Street.objects.create(district=district, name="南园")
    shatou = Street.objects.create(district=district, name="沙头")
    a = Community.objects.create(
        street=nanyuan,
        name="测试甲",
        elder_population=2000,
        is_ageing=True,
        latitude=22.540,
        longitude=114.090,
    )
    a2 = Community.objects.create(
        street=nanyuan,
        name="测试乙",
        elder_population=1500,
        is_ageing=True,
        latitude=22.545,
        longitude=114.085,
    )
    b = Community.objects.create(
        street=shatou,
        name="测试丙",
        elder_population=1800,
        is_ageing=True,
        latitude=22.525,
        longitude=114.030,
    )
    Facility.objects.create(
        street=nanyuan,
        community=a,
        name="测试甲站",
        level="community_station",
        latitude=22.541,
        longitude=114.091,
        rating="4A",
    )
    return {"district": district, "nanyuan": nanyuan, "shatou": shatou, "a": a, "a2": a2, "b": b}


@pytest.fixture
def system(db: Any) -> Any:
    from shiguang.accounts.models import User

    return User.objects.create_superuser(
        username="root", password=PASSWORD, role="admin", display_name="系统"
    )


def _staff(system: Any, role: str, username: str, **place: Any) -> Any:
    from shiguang.accounts import services

    return services.user_create(
        actor=system, role=role, display_name=username, username=username, password=PASSWORD, **place
    )


@pytest.fixture
def worker_a(futian: dict[str, Any], system: Any) -> Any:
    return _staff(system, "community_worker", "worker_a", community=futian["a"])


@pytest.fixture
def worker_b(futian: dict[str, Any], system: Any) -> Any:
    return _staff(system, "community_worker", "worker_b", community=futian["b"])


@pytest.fixture
def street_staff(futian: dict[str, Any], system: Any) -> Any:
    return _staff(system, "street_staff", "street_nanyuan", street=futian["nanyuan"])


@pytest.fixture
def district_staff(futian: dict[str, Any], system: Any) -> Any:
    return _staff(system, "district_staff", "district", district=futian["district"])


@pytest.fixture
def legal(futian: dict[str, Any], system: Any) -> Any:
    return _staff(system, "legal_advisor", "legal", district=futian["district"])


def register_elder(
    worker: Any, community: Any, name: str, *, phone: str = "", serial: int = 1, **extra: Any
) -> Any:
    from shiguang.people import services

    birth = extra.pop("birth_date", dt.date(1945, 3, 8))
    return services.elder_register(
        actor=worker,
        community=community,
        name=name,
        gender=extra.pop("gender", "female"),
        birth_date=birth,
        living_arrangement=extra.pop("living_arrangement", "alone"),
        hukou=extra.pop("hukou", "registered"),
        phone=phone,
        password=PASSWORD if phone else None,
        id_number=make_id_number(birth, serial),
        address=extra.pop("address", "深圳市福田区南园街道测试路1号"),
        health_notes=extra.pop("health_notes", "高血压"),
        home_lat=22.541,
        home_lng=114.089,
        **extra,
    )


@pytest.fixture
def elder_a(worker_a: Any, futian: dict[str, Any]) -> Any:
    """陈婆婆: lives alone in community A, has a phone."""
    return register_elder(worker_a, futian["a"], "陈婆婆", phone="13800138001", serial=12)


@pytest.fixture
def elder_b(worker_b: Any, futian: dict[str, Any]) -> Any:
    """李伯: community B (another street), no phone (proxy-registered)."""
    return register_elder(worker_b, futian["b"], "李伯", serial=13, gender="male")


@pytest.fixture
def family_a(elder_a: Any, system: Any) -> Any:
    from shiguang.accounts import services as account_services
    from shiguang.people import services

    user = account_services.user_create(
        actor=system, role="family", display_name="陈女儿", phone="13900139001", password=PASSWORD
    )
    services.family_link(actor=elder_a.user, elder=elder_a, family_user=user, relation="daughter")
    return user


@pytest.fixture
def volunteer_a(futian: dict[str, Any]) -> Any:
    from shiguang.people import services

    return services.volunteer_register(
        actor=None,
        community=futian["a"],
        name="小王",
        gender="male",
        kind="graduate",
        phone="13700137001",
        password=PASSWORD,
        skills=["shopping", "digital_help"],
        base_lat=22.54,
        base_lng=114.09,
    )


@pytest.fixture
def login(client: Any) -> Any:
    """login(user) signs the test client in as `user`."""

    def _login(user: Any) -> Any:
        client.force_login(user, backend="shiguang.accounts.backends.PhoneOrUsernameBackend")
        return client

    return _login


from shiguang.core.testing.browser import asgi_server, browser, live_db, page  # noqa: E402,F401  (fixtures)
from shiguang.core.testing.db import _audit_safe_flush  # noqa: E402,F401  (autouse fixture)
