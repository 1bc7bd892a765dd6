"""Rosters, devices and versioned escalation policies."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.sos import services
from shiguang.sos.models import Alarm, DutyShift, EscalationPolicy
from shiguang.sos.tests.conftest import T0, advance_to, make_volunteer, no_writes, run_worker

H = dt.timedelta(hours=1)


# --- rosters -----------------------------------------------------------------------------------------------


def test_only_trained_verified_volunteers_go_on_call(staffed, futian, volunteer_a):
    with pytest.raises(ValidationFailed) as exc:
        services.shift_create(
            actor=staffed["worker"],
            person=staffed["untrained"].user,
            role="volunteer",
            starts_at=T0,
            ends_at=T0 + H,
            community=futian["a"],
        )
    assert "跌倒应急" in str(exc.value.fields["person"])
    with pytest.raises(ValidationFailed):
        services.shift_create(
            actor=staffed["worker"],
            person=volunteer_a.user,
            role="volunteer",
            starts_at=T0,
            ends_at=T0 + H,
            community=futian["a"],
        )


def test_a_volunteer_puts_themself_on_call(staffed, futian, worker_a):
    fresh = make_volunteer(worker_a, futian["a"], "自助", "13700137099", 22.54, 114.09)
    shift = services.shift_create(
        actor=fresh.user,
        person=fresh.user,
        role="volunteer",
        starts_at=T0,
        ends_at=T0 + 2 * H,
        community=futian["a"],
    )
    assert shift.created_by == fresh.user
    with pytest.raises(Forbidden):
        services.shift_create(
            actor=fresh.user,
            person=staffed["near"].user,
            role="volunteer",
            starts_at=T0,
            ends_at=T0 + H,
            community=futian["a"],
        )


def test_roster_rules(staffed, futian, worker_b):
    worker = staffed["worker"]
    with no_writes(), pytest.raises(ValidationFailed):
        services.shift_create(
            actor=worker, person=worker, role="worker", starts_at=T0 + H, ends_at=T0, community=futian["a"]
        )
    with pytest.raises(Conflict):  # worker_a is already on duty until T0 + 12 h
        services.shift_create(
            actor=worker, person=worker, role="worker", starts_at=T0, ends_at=T0 + H, community=futian["a"]
        )
    with pytest.raises(Forbidden):
        services.shift_create(
            actor=worker_b,
            person=worker_b,
            role="worker",
            starts_at=T0,
            ends_at=T0 + H,
            community=futian["a"],
        )
    with pytest.raises(ValidationFailed):  # a worker of A cannot be on duty for B
        services.shift_create(
            actor=staffed["officer"],
            person=worker,
            role="worker",
            starts_at=T0,
            ends_at=T0 + H,
            community=futian["a2"],
        )


def test_ending_a_running_shift_takes_them_off_duty(staffed):
    shift = DutyShift.objects.get(role="worker")
    advance_to(600)
    services.shift_end(actor=staffed["worker"], shift_id=shift.id)
    shift.refresh_from_db()
    assert shift.ends_at == T0 + dt.timedelta(seconds=600)
    with pytest.raises(Conflict):
        services.shift_end(actor=staffed["worker"], shift_id=shift.id)


def test_roster_api(staffed, futian, login):
    client = login(staffed["worker"])
    rows = client.get("/api/v1/sos/shifts").json()
    assert {r["role"] for r in rows} == {"volunteer", "worker", "street_officer"} and all(
        r["on_duty_now"] for r in rows
    )
    body = {
        "person_id": staffed["worker"].pk,
        "role": "worker",
        "community_id": futian["a"].pk,
        "starts_at": (T0 + 13 * H).isoformat(),
        "ends_at": (T0 + 20 * H).isoformat(),
    }
    created = client.post("/api/v1/sos/shifts", json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["on_duty_now"] is False
    assert client.post(f"/api/v1/sos/shifts/{created.json()['id']}/end").json()["id"] == created.json()["id"]


# --- devices -----------------------------------------------------------------------------------------------


def test_device_lifecycle(staffed, worker_b, login):
    client = login(staffed["worker"])
    response = client.post(
        "/api/v1/sos/devices",
        json.dumps({"elder_id": staffed["elder"].id, "kind": "wristband", "label": "左手"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["device_id"].startswith("sgd_") and len(body["secret"]) > 30
    assert body["secret"] not in client.get("/api/v1/sos/devices").content.decode()  # shown once
    rotated = client.post(f"/api/v1/sos/devices/{body['id']}/rotate").json()
    assert rotated["secret"] != body["secret"]
    assert client.post(f"/api/v1/sos/devices/{body['id']}/revoke").json()["active"] is False
    assert client.post(f"/api/v1/sos/devices/{body['id']}/revoke").status_code == 409
    assert login(worker_b).post(f"/api/v1/sos/devices/{body['id']}/rotate").status_code == 404


# --- policies ----------------------------------------------------------------------------------------------

TEST_TIERS = [
    {"audience": "worker", "deadline_seconds": 20, "channel": "local_sink", "fallback_channel": ""},
    {"audience": "street_officer", "deadline_seconds": 40, "channel": "sms", "fallback_channel": "voice"},
]


def test_policy_versions_and_alarms_keep_theirs(staffed, futian):
    officer, elder = staffed["officer"], staffed["elder"]
    first = services.alarm_trigger(actor=elder.user, elder=elder, source="button")
    v1 = services.policy_publish(actor=officer, community=futian["a"], tiers=TEST_TIERS, note="worker first")
    assert v1.version == 1 and v1.created_by == officer
    v2 = services.policy_publish(
        actor=officer, community=futian["a"], tiers=TEST_TIERS[:1], review_after_seconds=60
    )
    assert v2.version == 2
    services.alarm_resolve(actor=staffed["worker"], alarm_id=first.id, outcome="false_alarm")
    second = services.alarm_trigger(actor=elder.user, elder=elder, source="button", idempotency_key="x")
    assert first.policy.community is None and second.policy == v2
    run_worker()
    assert set(second.responders.values_list("user_id", flat=True)) == {
        staffed["worker"].pk
    }  # tier 1 = worker


def test_policy_validation(staffed, futian):
    officer = staffed["officer"]
    bad = [
        {"audience": "worker", "deadline_seconds": 60},
        {"audience": "family", "deadline_seconds": 30},  # not increasing
        {"audience": "pigeons", "deadline_seconds": 90, "channel": "telegraph"},
    ]
    with no_writes(), pytest.raises(ValidationFailed) as exc:
        services.policy_publish(actor=officer, community=futian["a"], tiers=bad)
    assert set(exc.value.fields) == {"tiers.1.deadline_seconds", "tiers.2.audience", "tiers.2.channel"}
    with pytest.raises(Forbidden):
        services.policy_publish(actor=staffed["worker"], community=futian["a"], tiers=TEST_TIERS)
    with pytest.raises(Forbidden):
        services.policy_publish(actor=officer, community=None, tiers=TEST_TIERS)
    assert not EscalationPolicy.objects.filter(community=futian["a"]).exists()


def test_policy_api(staffed, futian, login):
    client = login(staffed["officer"])
    url = f"/api/v1/sos/policies/{futian['a'].id}"
    assert client.get(url).json()[0]["community_id"] is None  # the default until one is published
    created = client.post(url, json.dumps({"tiers": TEST_TIERS}), content_type="application/json")
    assert created.status_code == 201 and created.json()["version"] == 1, created.content.decode()
    assert client.get(url).json()[0]["version"] == 1
    bad = client.post(url, json.dumps({"tiers": []}), content_type="application/json")
    assert bad.status_code == 422
    assert Alarm.objects.count() == 0
