"""The confirmation rule: nothing is done before the same user confirms, before the proposal expires, once."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.assistant import integrations, services
from shiguang.assistant.choices import ActionStatus
from shiguang.assistant.models import PendingAction
from shiguang.assistant.tests.conftest import FakeActivity, FakeRequest
from shiguang.assistant.tests.helpers import MON_NOV_30, local, say
from shiguang.core import clock
from shiguang.core.errors import Conflict, NotFound, ValidationFailed
from shiguang.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]


def _propose_help(user, at, text="明天上午9点想找人陪我去医院"):
    with at(MON_NOV_30):
        return say(user, text).action


def test_confirm_creates_the_request_through_the_aid_service(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    assert fakes.count("help_request_create") == 0
    with at(MON_NOV_30 + dt.timedelta(minutes=2)):
        outcome = services.action_confirm(actor=elder_a.user, action_id=action.pk)
    assert fakes.count("help_request_create") == 1
    call = fakes.calls["help_request_create"][0]
    assert call["actor"] == elder_a.user and call["elder"] == elder_a
    assert call["category"] == "medical_escort"
    assert call["urgency"] == "soon"
    assert call["start_at"] == local(2026, 12, 1, 9, 0)
    assert call["end_at"] == local(2026, 12, 1, 11, 0)
    assert call["duration_minutes"] == 120
    assert call["description"] == "明天上午9点想找人陪我去医院"
    assert "求助已经发出去了" in outcome.reply
    action.refresh_from_db()
    assert action.status == ActionStatus.CONFIRMED
    assert action.result == {"request_id": fakes.requests[0].pk}
    assert "description" not in action.params  # the words are dropped once decided
    event = AuditEvent.objects.get(code="assistant.action.confirmed")
    assert event.data == {"kind": "request_help", "result": {"request_id": fakes.requests[0].pk}}


def test_a_day_without_a_time_is_sent_as_a_daytime_window(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at, "后天帮我买点菜")
    with at(MON_NOV_30):
        services.action_confirm(actor=elder_a.user, action_id=action.pk)
    call = fakes.calls["help_request_create"][0]
    assert (call["start_at"], call["end_at"]) == (local(2026, 12, 2, 8), local(2026, 12, 2, 18))


def test_confirming_twice_does_it_once(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    with at(MON_NOV_30):
        services.action_confirm(actor=elder_a.user, action_id=action.pk)
        with pytest.raises(Conflict) as exc:
            services.action_confirm(actor=elder_a.user, action_id=action.pk)
    assert exc.value.status == 409 and "已经办好了" in str(exc.value.message)
    assert fakes.count("help_request_create") == 1


def test_another_user_cannot_confirm(elder_a, elder_b, worker_a, system, fakes, at):
    action = _propose_help(elder_a.user, at)
    for other in (elder_b.user, worker_a, system):  # not even a superuser
        with at(MON_NOV_30), pytest.raises(NotFound):
            services.action_confirm(actor=other, action_id=action.pk)
        with at(MON_NOV_30), pytest.raises(NotFound):
            services.action_cancel(actor=other, action_id=action.pk)
    action.refresh_from_db()
    assert action.status == ActionStatus.PENDING
    assert fakes.count("help_request_create") == 0


def test_an_expired_proposal_cannot_be_confirmed(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    with at(MON_NOV_30 + dt.timedelta(minutes=10)), pytest.raises(Conflict) as exc:
        services.action_confirm(actor=elder_a.user, action_id=action.pk)
    assert "过期" in str(exc.value.message)
    action.refresh_from_db()
    assert action.status == ActionStatus.EXPIRED
    assert fakes.count("help_request_create") == 0
    assert AuditEvent.objects.filter(code="assistant.action.expired").count() == 1


def test_the_worker_expires_proposals(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    with at(MON_NOV_30 + dt.timedelta(minutes=9)):
        assert services.expire_due("w1") == 0
    with at(MON_NOV_30 + dt.timedelta(minutes=11)):
        assert services.expire_due("w1") == 1
        assert services.expire_due("w1") == 0
    action.refresh_from_db()
    assert action.status == ActionStatus.EXPIRED and "description" not in action.params


def test_saying_no_cancels(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    with at(MON_NOV_30):
        services.action_cancel(actor=elder_a.user, action_id=action.pk)
        with pytest.raises(Conflict):
            services.action_confirm(actor=elder_a.user, action_id=action.pk)
    assert fakes.count("help_request_create") == 0


def test_a_typed_yes_confirms_the_proposal_just_made(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    with at(MON_NOV_30):
        turn = say(elder_a.user, "好的，确认")
    assert turn.outcome is not None and turn.outcome.action.pk == action.pk
    assert "求助已经发出去了" in turn.reply
    assert fakes.count("help_request_create") == 1


def test_a_typed_no_cancels_the_proposal(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    with at(MON_NOV_30):
        turn = say(elder_a.user, "不用了")
    assert "不办了" in turn.reply
    action.refresh_from_db()
    assert action.status == ActionStatus.CANCELLED


def test_yes_without_a_proposal_is_just_small_talk(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "好的")
    assert turn.outcome is None and turn.intent == "chitchat"


def test_yes_with_several_choices_asks_for_the_button(elder_a, fakes, at):
    fakes.activities = [FakeActivity(i, f"活动{i}", local(2026, 12, i, 9)) for i in range(1, 4)]
    with at(MON_NOV_30):
        say(elder_a.user, "我想参加活动")
        turn = say(elder_a.user, "好")
    assert "按您要的那一项" in turn.reply and len(turn.options) == 3
    assert fakes.count("activity_signup") == 0


def test_a_new_proposal_replaces_the_open_one_of_the_same_kind(elder_a, fakes, at):
    first = _propose_help(elder_a.user, at)
    second = _propose_help(elder_a.user, at, "后天帮我买点菜")
    first.refresh_from_db()
    assert first.status == ActionStatus.CANCELLED and second.status == ActionStatus.PENDING
    with at(MON_NOV_30):
        say(elder_a.user, "确认")
    assert [c["category"] for c in fakes.calls["help_request_create"]] == ["shopping"]


def test_a_domain_error_rolls_back_and_leaves_the_proposal_open(elder_a, fakes, at):
    action = _propose_help(elder_a.user, at)
    fakes.fail_with = ValidationFailed(fields={"start_at": ["时间不能早于现在"]})
    with at(MON_NOV_30), pytest.raises(ValidationFailed):
        services.action_confirm(actor=elder_a.user, action_id=action.pk)
    action.refresh_from_db()
    assert action.status == ActionStatus.PENDING
    assert not AuditEvent.objects.filter(code="assistant.action.confirmed").exists()


def test_every_action_kind_goes_through_its_service(elder_a, fakes, at):
    fakes.activities = [FakeActivity(7, "太极拳班", local(2026, 12, 3, 9))]
    fakes.requests = [FakeRequest(41, "shopping", "买菜", local(2026, 12, 2, 9))]
    with at(MON_NOV_30):
        join = say(elder_a.user, "我想报名太极").action
        cancel = say(elder_a.user, "取消买菜的求助").action
        checkin = say(elder_a.user, "报平安").action
        fakes.signup_status = "waitlisted"
        joined = services.action_confirm(actor=elder_a.user, action_id=join.pk)
        services.action_confirm(actor=elder_a.user, action_id=cancel.pk)
        services.action_confirm(actor=elder_a.user, action_id=checkin.pk)
    assert fakes.calls["activity_signup"] == [{"actor": elder_a.user, "activity_id": 7, "elder": elder_a}]
    assert "候补" in joined.reply
    assert fakes.calls["help_request_cancel"][0]["request_id"] == 41
    assert fakes.calls["checkin_record"] == [{"actor": elder_a.user, "elder": elder_a, "source": "assistant"}]


# --- a service that has not landed yet ----------------------------------------------------------------------


def test_a_missing_service_is_said_plainly_and_nothing_is_proposed(elder_a, fakes, missing, at):
    missing(
        "shiguang.aid.services.help_request_create",
        "shiguang.community.selectors.activities_for_elder",
        "shiguang.sos.services.checkin_record",
        "shiguang.timebank.selectors.balance_for",
        "shiguang.aid.selectors.open_requests_for",
    )
    with at(MON_NOV_30):
        replies = [
            say(elder_a.user, t).reply
            for t in ("明天帮我买菜", "我想报名太极", "报平安", "我的时间币还有多少", "取消我的求助")
        ]
    assert all("这个服务还没有开通" in r for r in replies), replies
    assert not PendingAction.objects.exists()


def test_a_service_gone_at_confirm_time_fails_cleanly(elder_a, fakes, missing, at):
    action = _propose_help(elder_a.user, at)
    missing("shiguang.aid.services.help_request_create")
    with at(MON_NOV_30):
        outcome = services.action_confirm(actor=elder_a.user, action_id=action.pk)
    assert "这个服务还没有开通" in outcome.reply
    action.refresh_from_db()
    assert action.status == ActionStatus.FAILED


def test_integration_lookup_distinguishes_missing_modules():
    with pytest.raises(integrations.ServiceUnavailable):
        integrations.get(("shiguang.no_such_app.services", "anything"))
    with pytest.raises(integrations.ServiceUnavailable):
        integrations.get(("shiguang.core.clock", "no_such_function"))
    assert integrations.get(("shiguang.core.clock", "now")) is clock.now


def test_a_module_that_breaks_on_import_counts_as_unavailable(monkeypatch):
    import importlib as real_importlib

    def broken(name, *args, **kwargs):
        if name == "shiguang.some_app.services":
            raise AttributeError("PUBLICITY")
        return real_importlib.import_module(name, *args, **kwargs)

    monkeypatch.setattr(integrations.importlib, "import_module", broken)
    with pytest.raises(integrations.ServiceUnavailable):
        integrations.get(("shiguang.some_app.services", "anything"))
