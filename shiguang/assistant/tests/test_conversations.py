"""Conversations are kept only with the conversation consent, only for the user, and are really deletable."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.accounts import services as account_services
from shiguang.accounts.choices import ConsentCategory
from shiguang.assistant import selectors, services
from shiguang.assistant.models import Conversation, Message, PendingAction
from shiguang.assistant.tests.helpers import MON_NOV_30, say
from shiguang.core.audit import verify_chain
from shiguang.core.errors import NotFound
from shiguang.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]


def test_without_consent_messages_are_answered_but_not_stored(elder_a, fakes, at):
    with at(MON_NOV_30):
        turn = say(elder_a.user, "明天上午帮我买菜")
    assert turn.reply.startswith("我帮您发一个求助") and turn.action is not None
    assert turn.stored is False and turn.conversation is None
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_with_consent_both_sides_are_stored(elder_a, fakes, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        first = say(elder_a.user, "明天上午帮我买菜")
        second = say(elder_a.user, "我的时间币还有多少")
    assert first.stored and first.conversation is not None
    assert second.conversation.pk == first.conversation.pk  # same sitting, same conversation
    rows = list(Message.objects.order_by("id").values_list("role", "text", "intent"))
    assert rows[0] == ("user", "明天上午帮我买菜", "request_help")
    assert rows[1][0] == "assistant" and rows[1][1].startswith("我帮您发一个求助")
    assert rows[2][:1] == ("user",) and len(rows) == 4
    action = PendingAction.objects.get()
    assert action.conversation_id == first.conversation.pk


def test_a_new_conversation_after_a_pause_or_on_request(elder_a, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        a = say(elder_a.user, "你好").conversation
        b = say(elder_a.user, "你好", new_conversation=True).conversation
    with at(MON_NOV_30 + dt.timedelta(hours=2)):
        c = say(elder_a.user, "你好").conversation
    assert len({a.pk, b.pk, c.pk}) == 3


def test_a_confirmed_result_is_added_to_the_conversation(elder_a, fakes, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        turn = say(elder_a.user, "明天上午帮我买菜")
        outcome = services.action_confirm(actor=elder_a.user, action_id=turn.action.pk)
    assert outcome.recorded
    last = Message.objects.order_by("-id").first()
    assert last.role == "assistant" and "求助已经发出去了" in last.text


def test_someone_elses_conversation_is_invisible(elder_a, elder_b, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        conversation = say(elder_a.user, "你好").conversation
    with pytest.raises(NotFound):
        selectors.conversation_get(elder_b.user, conversation.pk)
    with pytest.raises(NotFound):
        say(elder_b.user, "你好", conversation_id=conversation.pk)
    with pytest.raises(NotFound):
        services.conversation_delete(actor=elder_b.user, conversation_id=conversation.pk)
    assert list(selectors.conversations_for(elder_b.user)) == []
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_delete_is_a_hard_delete_with_an_audit_event_without_content(elder_a, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        conversation = say(elder_a.user, "我家住在测试路1号，电话13800138001").conversation
    services.conversation_delete(actor=elder_a.user, conversation_id=conversation.pk)
    assert not Conversation.objects.exists() and not Message.objects.exists()
    event = AuditEvent.objects.get(code="assistant.conversation.deleted")
    assert event.data == {"messages": 2}
    assert event.actor_id == elder_a.user.pk
    assert not AuditEvent.objects.filter(data__icontains="测试路").exists()
    assert verify_chain().ok


def test_delete_all(elder_a, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        say(elder_a.user, "你好")
        say(elder_a.user, "你好", new_conversation=True)
    assert services.conversations_delete_all(actor=elder_a.user) == 2
    assert not Message.objects.exists()
    assert AuditEvent.objects.get(code="assistant.conversation.deleted_all").data == {
        "conversations": 2,
        "messages": 4,
        "reason": "user",
    }
    assert services.conversations_delete_all(actor=elder_a.user) == 0


def test_withdrawing_consent_deletes_what_was_kept_and_stops_keeping(elder_a, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        say(elder_a.user, "你好")
    account_services.consent_withdraw(
        actor=elder_a.user, subject=elder_a.user, category=ConsentCategory.CONVERSATION
    )
    assert not Conversation.objects.exists()
    assert (
        AuditEvent.objects.get(code="assistant.conversation.deleted_all").data["reason"]
        == "consent_withdrawn"
    )
    with at(MON_NOV_30):
        assert say(elder_a.user, "你好").stored is False
    assert not Conversation.objects.exists()


def test_other_consents_do_not_touch_conversations(elder_a, consent, at):
    consent(elder_a.user)
    with at(MON_NOV_30):
        say(elder_a.user, "你好")
    account_services.consent_grant(
        actor=elder_a.user, subject=elder_a.user, category=ConsentCategory.LOCATION
    )
    account_services.consent_withdraw(
        actor=elder_a.user, subject=elder_a.user, category=ConsentCategory.LOCATION
    )
    assert Conversation.objects.count() == 1


def test_old_conversations_are_purged_after_the_retention_period(elder_a, consent, at, settings):
    settings.ASSISTANT_CONVERSATION_RETENTION_DAYS = 30
    consent(elder_a.user)
    with at(MON_NOV_30):
        say(elder_a.user, "你好")
    with at(MON_NOV_30 + dt.timedelta(days=29)):
        recent = say(elder_a.user, "你好", new_conversation=True).conversation
    with at(MON_NOV_30 + dt.timedelta(days=31)):
        services.expire_due("w1")
    assert list(Conversation.objects.values_list("pk", flat=True)) == [recent.pk]
    assert AuditEvent.objects.get(code="assistant.conversation.purged").data == {
        "reason": "retention",
        "conversations": 1,
        "messages": 2,
    }
