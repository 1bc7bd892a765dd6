"""SMS, voice and WeChat adapters: configured by settings, retry rules, the fallback channel."""

from __future__ import annotations

import json

import httpx
import pytest

from shiguang.notify import services as notify
from shiguang.notify.models import Notification
from shiguang.sos.channels import SmsGatewayChannel, VoiceCallChannel, WeChatSubscribeChannel


@pytest.fixture
def gateway():
    calls = []
    replies = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(
            (str(request.url), request.headers.get("authorization"), json.loads(request.content or b"{}"))
        )
        status, body = replies.pop(0) if replies else (200, {"id": f"gw-{len(calls)}"})
        return httpx.Response(status, json=body)

    transport = httpx.MockTransport(handler)
    SmsGatewayChannel.transport = transport
    VoiceCallChannel.transport = transport
    WeChatSubscribeChannel.transport = transport
    yield calls, replies
    SmsGatewayChannel.transport = VoiceCallChannel.transport = WeChatSubscribeChannel.transport = None


def _queue(user, channel, fallback=""):
    return notify.enqueue(
        recipient=user,
        template="sos.alarm.raised",
        data={"elder": "陈婆婆", "community": "测试甲"},
        channel=channel,
        fallback_channel=fallback,
        dedupe_key=f"t:{channel}",
        priority=0,
    )


def test_unconfigured_sms_fails_fast_to_the_fallback(elder_a, worker_a, gateway):
    note = _queue(worker_a, "sms", fallback="in_app")
    notify.dispatch_due("w")
    note.refresh_from_db()
    assert note.status == "failed" and note.attempts == 1 and "not configured" in note.last_error
    fallback = Notification.objects.get(dedupe_key="t:sms:fallback")
    assert fallback.channel == "in_app"
    assert gateway[0] == []


def test_configured_sms_posts_to_the_gateway(settings, elder_a, family_a, gateway):
    settings.SMS_GATEWAY_URL = "https://sms.example.test/send"
    settings.SMS_API_KEY = "k-123"
    note = _queue(family_a, "sms")
    notify.dispatch_due("w")
    note.refresh_from_db()
    assert note.status == "sent"
    url, auth, body = gateway[0][0]
    assert url == "https://sms.example.test/send" and auth == "Bearer k-123"
    assert body["to"] == "13900139001" and "陈婆婆" in body["text"]
    assert note.deliveries.get().provider_id == "gw-1"


def test_gateway_5xx_is_retried_and_4xx_goes_to_fallback(settings, family_a, gateway):
    settings.VOICE_GATEWAY_URL = "https://voice.example.test/call"
    settings.VOICE_API_KEY = "v"
    _calls, replies = gateway
    replies.extend([(503, {}), (400, {"error": "bad number"})])
    note = _queue(family_a, "voice", fallback="in_app")
    notify.dispatch_due("w")
    note.refresh_from_db()
    assert note.status == "pending" and note.attempts == 1  # retried with backoff
    Notification.objects.filter(pk=note.pk).update(next_attempt_at=note.created_at)
    notify.dispatch_due("w")
    note.refresh_from_db()
    assert note.status == "failed" and Notification.objects.filter(dedupe_key="t:voice:fallback").exists()


def test_contact_number_comes_from_the_contact_not_the_outbox(settings, worker_a, elder_a, gateway):
    from shiguang.people.services import emergency_contact_add

    settings.SMS_GATEWAY_URL, settings.SMS_API_KEY = "https://sms.example.test/send", "k"
    contact = emergency_contact_add(
        actor=worker_a, elder=elder_a, name="儿子", relation="son", phone="13600136001"
    )
    notify.enqueue(
        recipient=elder_a.user,
        template="sos.alarm.contact",
        data={"elder": "陈婆婆", "contact_id": contact.pk, "contact": "儿子"},
        channel="sms",
        dedupe_key="c1",
    )
    notify.dispatch_due("w")
    assert gateway[0][0][2]["to"] == "13600136001"


def test_wechat_needs_a_bound_openid(settings, family_a, gateway):
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET, settings.WECHAT_SOS_TEMPLATE_ID = "app", "sec", "tpl"
    settings.WECHAT_OPENID_LOOKUP = "shiguang.sos.tests.test_channels.openid_of"
    calls, replies = gateway
    replies.extend([(200, {"access_token": "tok", "expires_in": 7200}), (200, {"errcode": 0, "msgid": 99})])
    note = _queue(family_a, "wechat")
    notify.dispatch_due("w")
    note.refresh_from_db()
    assert note.status == "sent" and calls[1][2]["touser"] == "o-family"
    WeChatSubscribeChannel._token = ("", 0.0)


def openid_of(user):
    return "o-family" if user.role == "family" else ""
