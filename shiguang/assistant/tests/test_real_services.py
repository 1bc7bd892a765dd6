"""The assistant against the other apps' real services (the cross-app contracts), where they are installed.

Each test skips only when the function it needs is missing from this installation."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from shiguang.assistant import services
from shiguang.assistant.choices import CountdownStatus
from shiguang.assistant.tests.helpers import say
from shiguang.core import clock

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]


def has(dotted: str) -> bool:
    module_name, _dot, name = dotted.rpartition(".")
    try:
        return callable(getattr(importlib.import_module(module_name), name, None))
    except ImportError:
        return False


def _tomorrow_9() -> dt.datetime:
    return dt.datetime.combine(clock.today() + dt.timedelta(days=1), dt.time(9), tzinfo=clock.SHANGHAI)


@pytest.mark.skipif(not has("shiguang.aid.services.help_request_create"), reason="aid not installed")
def test_help_request_round_trip_through_aid(elder_a):
    from shiguang.aid.selectors import open_requests_for

    turn = say(elder_a.user, "明天上午9点想找人陪我去医院复查")
    assert list(open_requests_for(elder_a)) == []  # proposed, not posted
    services.action_confirm(actor=elder_a.user, action_id=turn.action.pk)
    (request,) = open_requests_for(elder_a)
    assert request.category == "medical_escort"
    assert clock.local(request.start_at) == _tomorrow_9()
    assert "陪我去医院复查" in request.description

    cancel = say(elder_a.user, "明天不用人陪我去医院了，帮我取消")
    assert cancel.action is not None and cancel.action.params["request_id"] == request.pk
    services.action_confirm(actor=elder_a.user, action_id=cancel.action.pk)
    assert list(open_requests_for(elder_a)) == []


@pytest.mark.skipif(not has("shiguang.sos.services.alarm_trigger"), reason="sos not installed")
def test_emergency_raises_a_real_alarm_once(elder_a):
    from shiguang.sos.models import Alarm

    turn = say(elder_a.user, "我摔倒了起不来")
    with clock.frozen(turn.emergency.due_at + dt.timedelta(seconds=1)):
        assert services.fire_due_countdowns("w1") == 1
        services.emergency_fire(countdown_id=turn.emergency.pk, actor=elder_a.user, via="button")
    turn.emergency.refresh_from_db()
    assert turn.emergency.status == CountdownStatus.FIRED
    alarm = Alarm.objects.get()
    assert alarm.source == "assistant" and alarm.elder == elder_a
    assert str(alarm.pk) == turn.emergency.alarm_id
    assert turn.emergency.follow_url and str(alarm.pk) in turn.emergency.follow_url


@pytest.mark.skipif(not has("shiguang.sos.services.checkin_record"), reason="sos not installed")
def test_checkin_through_sos(elder_a):
    from shiguang.sos.models import DailyCheckin

    turn = say(elder_a.user, "我今天很好，报个平安")
    services.action_confirm(actor=elder_a.user, action_id=turn.action.pk)
    assert DailyCheckin.objects.get(elder=elder_a).source == "assistant"


@pytest.mark.skipif(not has("shiguang.timebank.selectors.balance_for"), reason="timebank not installed")
def test_balance_from_the_real_ledger(elder_a):
    assert say(elder_a.user, "我的时间币还有多少").reply.startswith("您的时间银行余额是0小时")


@pytest.mark.skipif(
    not (
        has("shiguang.community.services.activity_signup")
        and has("shiguang.community.services.activity_create")
    ),
    reason="community activities not installed",
)
def test_join_an_activity_through_community(elder_a, worker_a):
    from shiguang.community import services as community
    from shiguang.community.models import Signup
    from shiguang.places.models import Facility

    start = _tomorrow_9()
    activity = community.activity_create(
        actor=worker_a,
        facility=Facility.objects.get(name="测试甲站"),
        title="太极拳班",
        kind="exercise",
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        capacity=10,
    )
    turn = say(elder_a.user, "我想报名太极")
    assert turn.action is not None and turn.action.params["activity_id"] == activity.pk
    assert "太极拳班，明天上午9点，在测试甲站" in turn.reply
    services.action_confirm(actor=elder_a.user, action_id=turn.action.pk)
    assert Signup.objects.get(activity=activity).elder == elder_a
