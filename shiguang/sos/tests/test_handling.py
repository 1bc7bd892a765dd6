"""Acknowledge, on the way, on scene, resolve: timestamps, audit, scope, and the bad paths."""

from __future__ import annotations

import json

import pytest

from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification
from shiguang.sos import services
from shiguang.sos.models import Alarm, AlarmEvent
from shiguang.sos.tests.conftest import T0, advance_to, no_writes, run_worker


@pytest.fixture
def alarm(staffed):
    elder = staffed["elder"]
    created = services.alarm_trigger(actor=elder.user, elder=elder, source="button")
    run_worker()
    return created


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_each_stage_is_timestamped_and_audited(staffed, alarm):
    volunteer = staffed["near"].user
    advance_to(14)
    services.alarm_acknowledge(actor=volunteer, alarm_id=alarm.id)
    advance_to(20)
    services.alarm_en_route(actor=volunteer, alarm_id=alarm.id)
    advance_to(300)
    services.alarm_on_scene(actor=volunteer, alarm_id=alarm.id)
    advance_to(900)
    services.alarm_resolve(actor=staffed["worker"], alarm_id=alarm.id, outcome="fall", note="扶起，无外伤")
    alarm.refresh_from_db()
    assert alarm.ack_seconds == 14 and alarm.acknowledged_by == volunteer
    assert (alarm.en_route_at - T0).seconds == 20 and (alarm.on_scene_at - T0).seconds == 300
    assert alarm.status == "resolved" and alarm.outcome == "fall" and alarm.resolved_by == staffed["worker"]
    codes = list(
        AuditEvent.objects.filter(target_id=str(alarm.id), target_type="sos.alarm").values_list(
            "code", flat=True
        )
    )
    assert codes == [
        "sos.alarm.raised",
        "sos.alarm.acknowledged",
        "sos.alarm.en_route",
        "sos.alarm.on_scene",
        "sos.alarm.resolved",
    ]
    escalation = AuditEvent.objects.get(code="sos.escalation.ran")  # the worker's batch, one event
    assert escalation.data["steps"] == [
        {"alarm": alarm.id, "tier": 1, "kind": "notify", "audience": "volunteers", "reached": 2}
    ]
    kinds = list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True))
    assert kinds == ["raised", "tier_notified", "acknowledged", "en_route", "on_scene", "resolved"]


def test_family_gets_told_when_someone_takes_it(staffed, alarm):
    for second in (30, 60):
        advance_to(second)
        run_worker()
    services.alarm_acknowledge(actor=staffed["worker"], alarm_id=alarm.id)
    note = Notification.objects.get(recipient=staffed["family"], template="sos.alarm.handled")
    assert note.data["responder"] == str(staffed["worker"])


def test_acknowledging_outside_ones_scope_is_404_and_changes_nothing(staffed, alarm, worker_b, login):
    with no_writes(), pytest.raises(NotFound):
        services.alarm_acknowledge(actor=worker_b, alarm_id=alarm.id)
    response = _post(login(worker_b), f"/api/v1/sos/alarms/{alarm.id}/acknowledge")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    alarm.refresh_from_db()
    assert alarm.status == "open" and alarm.acknowledged_at is None


def test_a_volunteer_not_asked_cannot_see_or_take_it(staffed, alarm, volunteer_a):
    with no_writes(), pytest.raises(NotFound):
        services.alarm_acknowledge(actor=volunteer_a.user, alarm_id=alarm.id)


def test_the_elder_cannot_acknowledge_their_own_alarm(staffed, alarm):
    with no_writes(), pytest.raises(Forbidden):
        services.alarm_acknowledge(actor=staffed["elder"].user, alarm_id=alarm.id)


def test_second_responder_gets_409_naming_who_took_it(staffed, alarm):
    services.alarm_acknowledge(actor=staffed["near"].user, alarm_id=alarm.id)
    assert (
        services.alarm_acknowledge(actor=staffed["near"].user, alarm_id=alarm.id).pk == alarm.pk
    )  # same: fine
    with no_writes(), pytest.raises(Conflict) as exc:
        services.alarm_acknowledge(actor=staffed["worker"], alarm_id=alarm.id)
    assert "近志愿者" in str(exc.value.message)


def test_resolving_twice_is_409_and_keeps_the_first_outcome(staffed, alarm, login):
    client = login(staffed["worker"])
    first = _post(client, f"/api/v1/sos/alarms/{alarm.id}/resolve", {"outcome": "false_alarm"})
    assert first.status_code == 200 and first.json()["status"] == "resolved"
    with no_writes():
        second = _post(client, f"/api/v1/sos/alarms/{alarm.id}/resolve", {"outcome": "medical"})
    assert second.status_code == 409 and second.json()["code"] == "already_resolved"
    alarm.refresh_from_db()
    assert alarm.outcome == "false_alarm"


def test_resolve_needs_a_known_outcome(staffed, alarm, login):
    with no_writes():
        response = _post(
            login(staffed["worker"]), f"/api/v1/sos/alarms/{alarm.id}/resolve", {"outcome": "aliens"}
        )
    assert response.status_code == 422 and "outcome" in response.json()["fields"]


def test_resolving_without_ack_counts_as_acknowledged_then(staffed, alarm):
    advance_to(40)
    services.alarm_resolve(actor=staffed["worker"], alarm_id=alarm.id, outcome="false_alarm")
    alarm.refresh_from_db()
    assert alarm.ack_seconds == 40 and alarm.acknowledged_by == staffed["worker"]


def test_elder_ok_is_recorded_but_escalation_goes_on(staffed, alarm):
    services.alarm_elder_ok(actor=staffed["elder"].user, alarm_id=alarm.id)
    advance_to(30)
    run_worker()
    alarm.refresh_from_db()
    assert alarm.elder_ok_at == T0 and alarm.current_tier == 2


def test_address_reveal_is_audited_and_follows_the_policy(staffed, alarm):
    with no_writes(), pytest.raises(Forbidden):
        services.alarm_reveal(actor=staffed["near"].user, alarm_id=alarm.id, purpose="上门")
    data = services.alarm_reveal(actor=staffed["worker"], alarm_id=alarm.id, purpose="报120")
    assert data["address"].startswith("深圳市福田区") and data["contacts"][0]["phone"] == "13600136001"
    event = AuditEvent.objects.get(code="sos.alarm.revealed")
    assert event.actor == staffed["worker"] and event.data["purpose"] == "报120"
    # Once a volunteer has taken the alarm, they may read the address to go there.
    services.alarm_acknowledge(actor=staffed["near"].user, alarm_id=alarm.id)
    assert services.alarm_reveal(actor=staffed["near"].user, alarm_id=alarm.id, purpose="上门")["address"]
    with pytest.raises(ValidationFailed):
        services.alarm_reveal(actor=staffed["worker"], alarm_id=alarm.id, purpose=" ")


def test_card_masks_by_default_and_shows_health_notes_only_with_consent(staffed, alarm, login):
    from shiguang.accounts.services import consent_grant

    client = login(staffed["worker"])
    card = client.get(f"/api/v1/sos/alarms/{alarm.id}").json()
    assert card["address_masked"].endswith("****") and "测试路1号" not in json.dumps(card, ensure_ascii=False)
    assert card["health_consent"] is False and card["health_notes"] == ""
    assert card["contacts"][0]["phone"] == "136****6001"
    assert [v["name"] for v in card["volunteers"]] == ["近志愿者", "远志愿者"]
    assert card["workers"] == [str(staffed["worker"])] and card["officers"] == [str(staffed["officer"])]
    assert {h["number"] for h in card["hotlines"]} == {"120", "110", "119"}
    consent_grant(actor=staffed["worker"], subject=staffed["elder"].user, category="health", method="paper")
    card = client.get(f"/api/v1/sos/alarms/{alarm.id}").json()
    assert card["health_consent"] is True and card["health_notes"] == "高血压"


def test_api_stage_buttons(staffed, alarm, login):
    client = login(staffed["near"].user)
    assert _post(client, f"/api/v1/sos/alarms/{alarm.id}/acknowledge").json()["status"] == "acknowledged"
    assert _post(client, f"/api/v1/sos/alarms/{alarm.id}/en-route").json()["status"] == "en_route"
    assert _post(client, f"/api/v1/sos/alarms/{alarm.id}/en-route").status_code == 409
    assert _post(client, f"/api/v1/sos/alarms/{alarm.id}/on-scene").json()["status"] == "on_scene"
    assert _post(client, f"/api/v1/sos/alarms/{alarm.id}/notes", {"text": "已送医"}).status_code == 201
    assert client.get("/api/v1/sos/alarms").json()[0]["id"] == alarm.id


def test_legal_advisor_sees_nothing(staffed, alarm, legal, login):
    assert login(legal).get("/api/v1/sos/alarms").json() == []
    assert Alarm.objects.count() == 1


def test_responder_actions_check_csrf_for_sessions_and_accept_tokens(staffed, alarm):
    from django.test import Client

    from shiguang.accounts.services import token_issue

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staffed["worker"], backend="shiguang.accounts.backends.PhoneOrUsernameBackend")
    with no_writes():
        forged = browser.post(
            f"/api/v1/sos/alarms/{alarm.id}/acknowledge", "{}", content_type="application/json"
        )
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    anonymous = Client().post(
        f"/api/v1/sos/alarms/{alarm.id}/acknowledge", "{}", content_type="application/json"
    )
    assert anonymous.status_code == 401
    _token, key = token_issue(user=staffed["worker"], name="app")
    app = Client(enforce_csrf_checks=True)
    response = app.post(
        f"/api/v1/sos/alarms/{alarm.id}/acknowledge",
        "{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200 and response.json()["acknowledged_by"] == str(staffed["worker"])
