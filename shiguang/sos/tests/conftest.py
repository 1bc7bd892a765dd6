"""Fixtures for emergency call: a staffed community A (volunteers on call, worker and street officer)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from shiguang.core import clock
from shiguang.notify.channels import LocalSinkChannel

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture(autouse=True)
def sos_settings(settings: Any) -> Any:
    """Alarms go out on the local sink (in-app always); SMS / voice adapters installed but unconfigured."""
    settings.NOTIFY_CHANNELS = {
        **settings.NOTIFY_CHANNELS,
        "sms": "shiguang.sos.channels.SmsGatewayChannel",
        "voice": "shiguang.sos.channels.VoiceCallChannel",
        "wechat": "shiguang.sos.channels.WeChatSubscribeChannel",
    }
    settings.SOS_ALARM_CHANNEL = "local_sink"
    settings.SOS_ALARM_FALLBACK_CHANNEL = ""
    LocalSinkChannel.sent.clear()
    LocalSinkChannel.fail_next = 0
    return settings


@pytest.fixture(scope="session", autouse=True)
def close_sos_lanes(django_db_setup: Any) -> Iterator[None]:
    """The device and SSE endpoints keep connections on their own threads; close them before the test
    database is dropped."""
    yield
    from shiguang.sos.lanes import close_lanes

    close_lanes()


@pytest.fixture
def frozen() -> Iterator[Any]:
    with clock.frozen(T0):
        yield T0


def advance_to(seconds: float) -> None:
    """Move the frozen clock to T0 + seconds."""
    clock.advance(T0 + dt.timedelta(seconds=seconds) - clock.now())


def run_worker(worker_id: str = "test-worker") -> int:
    from shiguang.sos.escalation import run_batch

    total = 0
    while True:
        n = run_batch(worker_id)
        total += n
        if not n:
            return total


def make_volunteer(
    worker: Any, community: Any, name: str, phone: str, lat: float, lng: float, *, certified: bool = True
) -> Any:
    from shiguang.community.services import certification_record
    from shiguang.people import services

    profile = services.volunteer_register(
        actor=None,
        community=community,
        name=name,
        gender="female",
        kind="graduate",
        phone=phone,
        password="correct-horse-9",
        base_lat=lat,
        base_lng=lng,
    )
    profile = services.volunteer_verify(actor=worker, volunteer=profile, approve=True)
    if certified:
        today = clock.today()
        certification_record(
            actor=worker,
            volunteer=profile,
            kind="fall_response",
            issued_on=today - dt.timedelta(days=30),
            expires_on=today + dt.timedelta(days=300),
        )
    return profile


@pytest.fixture
def staffed(frozen, futian, worker_a, street_staff, elder_a, family_a, volunteer_a) -> dict[str, Any]:
    """Community A at T0: two certified volunteers on call (near and farther), one uncertified (not on call),
    worker_a on duty, the Nanyuan street officer on duty, family_a linked, one more emergency contact."""
    from shiguang.people import services as people_services
    from shiguang.sos import services

    near = make_volunteer(worker_a, futian["a"], "近志愿者", "13700137011", 22.5412, 114.0892)
    far = make_volunteer(worker_a, futian["a"], "远志愿者", "13700137012", 22.556, 114.095)
    untrained = make_volunteer(
        worker_a, futian["a"], "未培训", "13700137013", 22.541, 114.089, certified=False
    )
    start, end = T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=12)
    for v in (near, far):
        services.shift_create(
            actor=worker_a,
            person=v.user,
            role="volunteer",
            starts_at=start,
            ends_at=end,
            community=futian["a"],
        )
    services.shift_create(
        actor=worker_a, person=worker_a, role="worker", starts_at=start, ends_at=end, community=futian["a"]
    )
    services.shift_create(
        actor=street_staff,
        person=street_staff,
        role="street_officer",
        starts_at=start,
        ends_at=end,
        street=futian["nanyuan"],
    )
    contact = people_services.emergency_contact_add(
        actor=worker_a, elder=elder_a, name="陈儿子", relation="son", phone="13600136001"
    )
    return {
        "near": near,
        "far": far,
        "untrained": untrained,
        "contact": contact,
        "worker": worker_a,
        "officer": street_staff,
        "family": family_a,
        "elder": elder_a,
    }


@contextlib.contextmanager
def no_writes() -> Iterator[None]:
    """Assert the block wrote no alarm, step, notification or audit row."""
    from shiguang.core.models import AuditEvent
    from shiguang.notify.models import Notification
    from shiguang.sos.models import Alarm, AlarmEvent, EscalationStep

    models = (Alarm, AlarmEvent, EscalationStep, Notification, AuditEvent)
    before = [m.objects.count() for m in models]
    yield
    assert [m.objects.count() for m in models] == before
