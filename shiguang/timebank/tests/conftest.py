"""Fixtures for the time-bank tests: a second volunteer, an elder who does not meet the transfer rule, and
small helpers that post through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from shiguang.conftest import register_elder
from shiguang.timebank.testing import ledger_flush  # noqa: F401  (fixture)

_keys = itertools.count(1)


@pytest.fixture
def volunteer_b(futian: dict[str, Any]) -> Any:
    from shiguang.people import services

    return services.volunteer_register(
        actor=None,
        community=futian["a"],
        name="小李",
        gender="female",
        kind="student",
        phone="13700137002",
        password="correct-horse-9",
        skills=["companionship"],
        base_lat=22.54,
        base_lng=114.09,
    )


@pytest.fixture
def young_elder(worker_a: Any, futian: dict[str, Any]) -> Any:
    """张阿姨: 71, lives with family — not eligible to receive transfers from strangers."""
    return register_elder(
        worker_a,
        futian["a"],
        "张阿姨",
        phone="13800138003",
        serial=21,
        birth_date=dt.date(1955, 6, 1),
        living_arrangement="with_family",
    )


@pytest.fixture
def post(elder_a: Any) -> Any:
    """post(provider, minutes, ...) posts a confirmed service, confirmed by the elder who received it."""
    from shiguang.timebank import services

    def _post(
        provider: Any,
        minutes: int = 60,
        *,
        receiver: Any = None,
        category: str = "companionship",
        key: str | None = None,
        actor: Any = None,
    ) -> Any:
        receiver = receiver or elder_a.user
        return services.post_service(
            actor=actor or receiver,
            idempotency_key=key or f"test:{next(_keys)}",
            provider=provider,
            receiver=receiver,
            minutes=minutes,
            category=category,
            source="test",
        )

    return _post


def assert_ledger_ok() -> None:
    from shiguang.timebank.verify import verify_ledger

    report = verify_ledger()
    assert report.ok, report.messages
