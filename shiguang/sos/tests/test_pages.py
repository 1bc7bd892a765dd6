"""Pages: the elder's SOS (with the no-JS confirm), the console, the card, and the staff pages."""

from __future__ import annotations

import asyncio
import sys

import pytest

from shiguang.core.models import AuditEvent
from shiguang.sos import services
from shiguang.sos.models import Alarm, DailyCheckin, Device, DutyShift, EscalationPolicy, IncidentReview
from shiguang.sos.tests.conftest import advance_to, run_worker


def test_elder_home_has_the_red_tile_and_sos_page(staffed, login):
    from shiguang.core.home import tiles_for

    client = login(staffed["elder"].user)
    tiles = {t.key: t for t in tiles_for(staffed["elder"].user)}
    assert tiles["sos"].tone == "danger" and tiles["sos"].url_name == "sos:elder" and tiles["sos"].order == 1
    assert tiles["sos_service"].tone == "success"
    page = client.get("/sos/").content.decode()
    assert 'id="sos-button"' in page and 'data-countdown="5"' in page and "sos-elder.js" in page


def test_without_javascript_the_button_asks_to_confirm(staffed, login):
    client = login(staffed["elder"].user)
    response = client.post("/sos/press/", {"key": "k1"})
    assert response.status_code == 200 and "确认呼救" in response.content.decode()
    assert not Alarm.objects.exists()
    response = client.post("/sos/press/", {"key": "k1", "confirmed": "1"})
    alarm = Alarm.objects.get()
    assert response.status_code == 302 and response.url == f"/sos/alarms/{alarm.id}/status/"
    again = client.post("/sos/press/", {"key": "k1", "confirmed": "1"})  # a double tap / a retry
    assert again.url == response.url and Alarm.objects.count() == 1
    status = client.get(response.url).content.decode()
    assert "正在为您呼叫帮助" in status and 'data-stream="/sos/alarms/' in status


def test_status_page_says_help_is_coming_once_acknowledged(staffed, login):
    alarm = services.alarm_trigger(actor=staffed["elder"].user, elder=staffed["elder"], source="button")
    services.alarm_acknowledge(actor=staffed["worker"], alarm_id=alarm.id)
    page = login(staffed["elder"].user).get(f"/sos/alarms/{alarm.id}/status/").content.decode()
    assert "帮助正在赶来" in page and str(staffed["worker"]) in page


def test_console_shows_live_alarms_and_acknowledges_with_htmx(staffed, login):
    alarm = services.alarm_trigger(actor=staffed["elder"].user, elder=staffed["elder"], source="button")
    client = login(staffed["worker"])
    page = client.get("/sos/console/").content.decode()
    assert f'id="alarm-{alarm.id}"' in page and "陈婆婆" in page and 'data-stream="/sos/stream/"' in page
    assert "升级程序（worker）没有在运行" in page  # no worker heartbeat in this test
    card = client.post(f"/sos/alarms/{alarm.id}/act/", {"action": "ack"}, HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and 'data-status="acknowledged"' in card.content.decode()
    again = client.post(f"/sos/alarms/{alarm.id}/act/", {"action": "ack"}, HTTP_HX_REQUEST="true")
    assert "msg-error" not in again.content.decode()  # the same person again is fine
    other = login(staffed["officer"]).post(
        f"/sos/alarms/{alarm.id}/act/", {"action": "ack"}, HTTP_HX_REQUEST="true"
    )
    assert other.status_code == 200 and "已由" in other.content.decode()


def test_worker_heartbeat_clears_the_console_warning(staffed, login):
    run_worker()
    from shiguang.sos.escalation import _beat, _last_beat

    _last_beat.clear()
    _beat("w1")
    assert "没有在运行" not in login(staffed["worker"]).get("/sos/console/").content.decode()


def test_alarm_card_page_and_audited_reveal(staffed, login):
    alarm = services.alarm_trigger(actor=staffed["elder"].user, elder=staffed["elder"], source="button")
    run_worker()
    client = login(staffed["worker"])
    page = client.get(f"/sos/alarms/{alarm.id}/").content.decode()
    assert "深圳市福田区****" in page and "近志愿者" in page and "120" in page and "时间线" in page
    assert "测试路1号" not in page
    revealed = client.post(f"/sos/alarms/{alarm.id}/reveal/", {"purpose": "报120"}, HTTP_HX_REQUEST="true")
    assert "测试路1号" in revealed.content.decode()
    assert AuditEvent.objects.filter(code="sos.alarm.revealed").count() == 1
    resolved = client.post(
        f"/sos/alarms/{alarm.id}/act/", {"action": "resolve", "outcome": "fall", "note": "扶起"}
    )
    assert resolved.status_code == 302
    twice = client.post(f"/sos/alarms/{alarm.id}/act/", {"action": "resolve", "outcome": "fall"}, follow=True)
    assert "不能重复处理" in twice.content.decode()


def test_worker_raises_for_an_elder_from_the_page(staffed, login):
    client = login(staffed["worker"])
    assert "陈婆婆" in client.get("/sos/raise/").content.decode()
    response = client.post(
        "/sos/raise/", {"elder": staffed["elder"].id, "note": "来电求助", "drill": "on", "key": "r1"}
    )
    alarm = Alarm.objects.get()
    assert response.url == f"/sos/alarms/{alarm.id}/" and alarm.drill and alarm.source == "worker"


def test_rosters_page(staffed, futian, login):
    client = login(staffed["worker"])
    page = client.get("/sos/rosters/").content.decode()
    assert "值班中" in page and "近志愿者" in page
    response = client.post(
        "/sos/rosters/",
        {
            "role": "worker",
            "person": staffed["worker"].pk,
            "community": futian["a"].pk,
            "starts_at": "2026-03-03T09:00",
            "ends_at": "2026-03-03T17:00",
        },
    )
    assert response.status_code == 302 and DutyShift.objects.filter(role="worker").count() == 2
    bad = client.post(
        "/sos/rosters/",
        {
            "role": "worker",
            "person": staffed["worker"].pk,
            "community": futian["a"].pk,
            "starts_at": "2026-03-03T17:00",
            "ends_at": "2026-03-03T09:00",
        },
    )
    assert bad.status_code == 200 and "结束时间必须晚于开始时间" in bad.content.decode()


def test_volunteer_on_call_page(staffed, login):
    page = login(staffed["near"].user).get("/sos/rosters/").content.decode()
    assert "登记我的待命时间" in page


def test_devices_page_shows_the_secret_once(staffed, login):
    client = login(staffed["worker"])
    response = client.post(
        "/sos/devices/", {"elder": staffed["elder"].id, "kind": "pendant", "label": "挂件"}
    )
    device = Device.objects.get()
    assert "data-secret" in response.content.decode() and device.secret in response.content.decode()
    assert device.secret not in client.get("/sos/devices/").content.decode()
    rotated = client.post(f"/sos/devices/{device.id}/", {"action": "rotate"})
    device.refresh_from_db()
    assert device.secret in rotated.content.decode()


def test_policy_page_publishes_a_version(staffed, futian, login):
    client = login(staffed["officer"])
    url = f"/sos/policy/?community={futian['a'].id}"
    assert "平台默认" in client.get(url).content.decode()
    form = {
        "community": futian["a"].id,
        "review_after_seconds": 90,
        "volunteer_radius_m": 2000,
        "max_volunteers": 3,
        "reveal_address_to": ["worker", "street_officer"],
        "checkin_alarm_after": 2,
        "checkin_deadline_factor": 10,
        "repeat_seconds": 120,
        "max_repeats": 3,
        "note": "收紧",
        "tier0_audience": "volunteers",
        "tier0_deadline": 20,
        "tier0_channel": "local_sink",
        "tier1_audience": "worker",
        "tier1_deadline": 45,
        "tier1_channel": "sms",
        "tier1_fallback": "voice",
    }
    assert client.post(url, form).status_code == 302
    policy = EscalationPolicy.objects.get(community=futian["a"])
    assert policy.tiers[1] == {
        "audience": "worker",
        "deadline_seconds": 45,
        "channel": "sms",
        "fallback_channel": "voice",
    }
    bad = client.post(url, {**form, "tier1_deadline": 10})
    assert bad.status_code == 200 and "逐级递增" in bad.content.decode()
    worker_view = login(staffed["worker"]).get(url).content.decode()
    assert "发布新版本" not in worker_view  # workers see, street staff edit


def test_elder_checkin_page(staffed, login):
    client = login(staffed["elder"].user)
    assert client.post("/sos/checkin/", {"action": "enroll", "deadline": "09:30"}).status_code == 302
    assert client.post("/sos/checkin/", {"action": "checkin"}).status_code == 302
    assert DailyCheckin.objects.get().source == "button"
    assert "已报平安" in client.get("/sos/checkin/").content.decode()


def test_checkin_manage_page(staffed, login):
    client = login(staffed["worker"])
    response = client.post(
        "/sos/checkin/manage/", {"action": "enroll", "elder": staffed["elder"].id, "deadline": "10:00"}
    )
    assert response.status_code == 302
    page = client.get("/sos/checkin/manage/").content.decode()
    assert "陈婆婆" in page and "等待中" in page
    client.post("/sos/checkin/manage/", {"action": "confirm", "elder_id": staffed["elder"].id})
    assert DailyCheckin.objects.get().source == "worker"


def test_reviews_page_closes_a_review(staffed, login):
    alarm = services.alarm_trigger(actor=staffed["elder"].user, elder=staffed["elder"], source="button")
    for second in (0, 30, 60, 90):
        advance_to(second)
        run_worker()
    review = IncidentReview.objects.get(alarm=alarm)
    client = login(staffed["officer"])
    assert "陈婆婆" in client.get("/sos/reviews/").content.decode()
    client.post(
        f"/sos/reviews/{review.id}/close/", {"findings": "志愿者未带手机", "actions": "值班前检查手机"}
    )
    review.refresh_from_db()
    assert review.status == "closed" and review.closed_by == staffed["officer"]


def test_green_button_when_the_service_is_not_available(staffed, login, monkeypatch):
    monkeypatch.setitem(sys.modules, "shiguang.aid.services", None)
    page = login(staffed["elder"].user).post("/sos/service/", {"category": "shopping"}).content.decode()
    assert "暂未开通" in page


def test_green_button_creates_an_urgent_request(staffed, login, monkeypatch):
    calls = []

    class Req:
        pk = 7

    def fake(**kwargs):
        calls.append(kwargs)
        return Req()

    import shiguang.aid.services as aid

    monkeypatch.setattr(aid, "help_request_create", fake, raising=False)
    client = login(staffed["elder"].user)
    assert client.post("/sos/service/", {"category": "shopping"}).status_code == 302
    assert (
        calls[0]["urgency"] == "today"
        and calls[0]["category"] == "shopping"
        and calls[0]["elder"] == staffed["elder"]
    )
    api = client.post(
        "/api/v1/sos/service-request", '{"category": "repair"}', content_type="application/json"
    )
    assert api.status_code == 201 and api.json() == {"id": 7, "category": "repair", "urgency": "today"}


@pytest.mark.django_db(transaction=True)
def test_console_stream_sends_current_alarms_then_pushes(staffed):
    """The SSE view: the live list first, then an alarm pushed through pub/sub (in-process here)."""
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    from shiguang.core import pubsub

    alarm = services.alarm_trigger(actor=staffed["elder"].user, elder=staffed["elder"], source="button")

    async def read() -> list[str]:
        client = AsyncClient()
        await sync_to_async(client.force_login)(
            staffed["worker"], backend="shiguang.accounts.backends.PhoneOrUsernameBackend"
        )
        response = await client.get("/sos/stream/")
        assert response["Content-Type"] == "text/event-stream"
        chunks = response.streaming_content.__aiter__()
        got = [await chunks.__anext__(), await chunks.__anext__()]
        next_chunk = asyncio.ensure_future(chunks.__anext__())
        await asyncio.sleep(0.05)  # let the view subscribe
        community = staffed["elder"].community
        scope = {"c": community.id, "s": community.street_id, "d": 0, "u": []}
        pubsub.publish(
            "sos:events", {"id": 999998, "version": 1, "elder": "别处", "_scope": {**scope, "c": -1, "s": -1}}
        )
        pubsub.publish("sos:events", {"id": 999999, "version": 1, "elder": "推送", "_scope": scope})
        got.append(await asyncio.wait_for(next_chunk, 5))
        await chunks.aclose()
        from django.db import connections

        await sync_to_async(connections.close_all)()
        return got

    retry, first, pushed = (c.decode() for c in asyncio.run(read()))
    assert retry.startswith("retry:")
    assert f'"id": {alarm.id}' in first and "event: alarm" in first
    assert '"elder": "推送"' in pushed and "_scope" not in pushed  # the other community's push was not sent


def test_green_button_posts_a_real_urgent_request_in_the_square(staffed, login):
    from shiguang.aid.models import HelpRequest

    response = login(staffed["elder"].user).post("/sos/service/", {"category": "shopping"})
    assert response.status_code == 302
    request = HelpRequest.objects.get()
    assert request.urgency == "today" and request.category == "shopping" and request.elder == staffed["elder"]
