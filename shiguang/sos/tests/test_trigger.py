"""Raising alarms: one transaction with its first step, idempotency, joining a live alarm, who may raise."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.sos import services
from shiguang.sos.models import Alarm, AlarmEvent, EscalationStep
from shiguang.sos.signing import signed_headers
from shiguang.sos.tests.conftest import T0, no_writes


def test_trigger_writes_alarm_first_step_and_review_check_in_one_go(staffed):
    elder = staffed["elder"]
    alarm = services.alarm_trigger(actor=elder.user, elder=elder, source="button")
    assert alarm.status == "open" and alarm.raised_at == T0 and alarm.community_id == elder.community_id
    steps = {(s.kind, s.tier): s.due_at for s in EscalationStep.objects.filter(alarm=alarm)}
    assert steps == {("notify", 1): T0, ("review", 0): T0 + dt.timedelta(seconds=90)}
    assert AlarmEvent.objects.filter(alarm=alarm, kind="raised").count() == 1
    event = AuditEvent.objects.get(code="sos.alarm.raised")
    assert event.target_id == str(alarm.pk) and event.data["policy_version"] == alarm.policy.version
    assert alarm.location_lat == 22.541  # the home's coarse position


def test_push_happens_only_after_commit(staffed, django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(
        "shiguang.core.pubsub.publish", lambda topic, payload: published.append((topic, payload))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alarm = services.alarm_trigger(actor=staffed["elder"].user, elder=staffed["elder"], source="button")
    assert published == [] and len(callbacks) == 1
    callbacks[0]()
    [(topic, payload)] = published  # one publish per change, whatever the number of consoles
    community = staffed["elder"].community
    assert topic == "sos:events" and payload["id"] == alarm.id and payload["status"] == "open"
    assert payload["_scope"] == {
        "c": community.id,
        "s": community.street_id,
        "d": community.street.district_id,
        "u": [staffed["family"].pk],  # the family page follows it from the start
    }
    assert "address" not in json.dumps(payload) and "高血压" not in json.dumps(payload, ensure_ascii=False)


def test_viewers_see_pushes_by_place_or_as_people_of_the_alarm(
    staffed, worker_b, district_staff, volunteer_a
):
    from shiguang.sos.push import viewer_filter

    community = staffed["elder"].community
    scope = {"c": community.id, "s": community.street_id, "d": community.street.district_id, "u": [77]}
    assert viewer_filter(staffed["worker"])(scope) and viewer_filter(staffed["officer"])(scope)
    assert viewer_filter(district_staff)(scope)
    assert not viewer_filter(worker_b)(scope) and not viewer_filter(volunteer_a.user)(scope)
    assert viewer_filter(volunteer_a.user)({**scope, "u": [volunteer_a.user.pk]})


def test_same_idempotency_key_returns_the_original_alarm(staffed):
    elder = staffed["elder"]
    first = services.alarm_trigger(actor=elder.user, elder=elder, source="button", idempotency_key="k-1")
    services.alarm_resolve(actor=staffed["worker"], alarm_id=first.id, outcome="false_alarm")
    again = services.alarm_trigger(actor=elder.user, elder=elder, source="button", idempotency_key="k-1")
    assert again.pk == first.pk and Alarm.objects.count() == 1


def test_second_press_joins_the_live_alarm(staffed):
    elder = staffed["elder"]
    first = services.alarm_trigger(actor=elder.user, elder=elder, source="button")
    second = services.alarm_trigger(
        actor=staffed["worker"], elder=elder, source="worker", note="电话里说摔倒了"
    )
    assert second.pk == first.pk and Alarm.objects.count() == 1
    assert AlarmEvent.objects.filter(alarm=first, kind="retriggered").count() == 1
    # A drill runs beside a real alarm, never merged into it.
    drill = services.alarm_trigger(actor=staffed["worker"], elder=elder, source="worker", drill=True)
    assert drill.pk != first.pk and drill.drill


def test_only_the_elder_presses_their_own_button(staffed, elder_b, worker_b):
    elder = staffed["elder"]
    with no_writes(), pytest.raises(Forbidden):
        services.alarm_trigger(actor=staffed["family"], elder=elder, source="button")
    with no_writes(), pytest.raises(Forbidden):
        services.alarm_trigger(actor=worker_b, elder=elder, source="worker")  # another community
    with no_writes(), pytest.raises(ValidationFailed):
        services.alarm_trigger(actor=elder.user, elder=elder, source="telepathy")
    with no_writes(), pytest.raises(Forbidden):
        services.alarm_trigger(actor=elder.user, elder=elder, source="checkin")


def test_api_raise_returns_201_then_200_for_a_replay(staffed, login):
    client = login(staffed["elder"].user)
    body = {"source": "button", "idempotency_key": "tap-1"}
    first = client.post("/api/v1/sos/alarms", json.dumps(body), content_type="application/json")
    assert first.status_code == 201, first.content
    replay = client.post("/api/v1/sos/alarms", json.dumps(body), content_type="application/json")
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert Alarm.objects.count() == 1


def test_worker_raises_for_an_elder_who_phoned(staffed, login):
    client = login(staffed["worker"])
    body = {"elder_id": staffed["elder"].id, "source": "worker", "note": "来电：胸口痛"}
    response = client.post("/api/v1/sos/alarms", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    alarm = Alarm.objects.get()
    assert alarm.source == "worker" and alarm.raised_by == staffed["worker"] and alarm.note == "来电：胸口痛"
    event = AuditEvent.objects.get(code="sos.alarm.raised")
    assert event.on_behalf_of_id == staffed["elder"].user_id


# --- devices -----------------------------------------------------------------------------------------------


@pytest.fixture
def pendant(staffed):
    device, secret = services.device_register(actor=staffed["worker"], elder=staffed["elder"], kind="pendant")
    return device, secret


def _post_signed(client, device_id, secret, body, **kwargs):
    raw = json.dumps(body).encode()
    headers = signed_headers(device_id, secret, raw, **kwargs)
    return client.post(
        "/api/v1/sos/device/alarm",
        raw,
        content_type="application/json",
        headers={**headers, **kwargs.pop("extra", {})},
    )


def test_signed_device_call_raises_an_alarm_with_its_location(client, pendant):
    device, secret = pendant
    response = _post_signed(
        client,
        device.device_id,
        secret,
        {"event": "fall", "event_id": "e1", "lat": 22.5401, "lng": 114.0903, "battery": 81},
    )
    assert response.status_code == 201, response.content
    alarm = Alarm.objects.get(pk=response.json()["id"])
    assert alarm.source == "device" and alarm.device == device and alarm.raised_by is None
    assert (alarm.location_lat, alarm.location_lng) == (22.54, 114.09)
    device.refresh_from_db()
    assert device.last_battery == 81 and device.last_seen_at == T0


def test_device_retry_with_same_event_id_returns_the_original(client, pendant):
    device, secret = pendant
    first = _post_signed(client, device.device_id, secret, {"event": "sos", "event_id": "e-42"})
    retry = _post_signed(client, device.device_id, secret, {"event": "sos", "event_id": "e-42"})
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"] and Alarm.objects.count() == 1


def test_unknown_device_is_401_in_the_api_error_format(client, pendant):
    with no_writes():
        response = _post_signed(client, "sgd_nope", "whatever", {"event": "sos"})
    assert response.status_code == 401
    assert response.json()["code"] == "device_unknown" and response.json()["message"]


def test_bad_signature_is_403(client, pendant):
    device, _secret = pendant
    with no_writes():
        response = _post_signed(client, device.device_id, "not-the-secret", {"event": "sos"})
    assert response.status_code == 403 and response.json()["code"] == "bad_signature"


def test_tampered_body_is_403(client, pendant):
    device, secret = pendant
    raw = json.dumps({"event": "sos"}).encode()
    headers = signed_headers(device.device_id, secret, raw)
    with no_writes():
        response = client.post(
            "/api/v1/sos/device/alarm",
            json.dumps({"event": "sos", "drill": True}),
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 403


def test_stale_timestamp_is_403(client, pendant):
    device, secret = pendant
    with no_writes():
        response = _post_signed(
            client, device.device_id, secret, {"event": "sos"}, timestamp=int(T0.timestamp()) - 600
        )
    assert response.status_code == 403 and response.json()["code"] == "stale_timestamp"


def test_revoked_device_is_refused(client, pendant, staffed):
    device, secret = pendant
    services.device_revoke(actor=staffed["worker"], device_id=device.id)
    with no_writes():
        response = _post_signed(client, device.device_id, secret, {"event": "sos"})
    assert response.status_code == 401


def test_device_checkin_counts_for_today(client, pendant):
    device, secret = pendant
    raw = json.dumps({"battery": 50}).encode()
    response = client.post(
        "/api/v1/sos/device/checkin",
        raw,
        content_type="application/json",
        headers=signed_headers(device.device_id, secret, raw),
    )
    assert response.status_code == 200 and response.json()["source"] == "device"
