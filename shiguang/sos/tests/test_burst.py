"""A burst of triggers: set-wise writes (alarm_trigger_many), batched signature checks, the lean ASGI path."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from shiguang.core.errors import ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.sos import push, services
from shiguang.sos.models import Alarm, AlarmEvent, EscalationStep
from shiguang.sos.signing import signed_headers, verify_many
from shiguang.sos.tests.conftest import T0


def _device_call(device: Any, key: str) -> dict[str, Any]:
    return {
        "actor": None,
        "elder": device.elder,
        "source": "device",
        "idempotency_key": key,
        "note": "pendant: sos",
        "device": device,
        "battery": 55,
    }


def test_trigger_many_answers_every_call_as_alarm_trigger_would(
    staffed, worker_b, elder_b, django_capture_on_commit_callbacks, monkeypatch
):
    elder_a = staffed["elder"]
    device, _secret = services.device_register(actor=staffed["worker"], elder=elder_a, kind="pendant")
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(push.pubsub, "publish", lambda topic, payload: published.append(payload))
    calls = [
        _device_call(device, "k1"),  # new alarm
        _device_call(device, "k2"),  # the same elder again: joins the first
        {
            "actor": worker_b,
            "elder": elder_b,
            "source": "worker",
            "note": "电话求助",
        },  # new, another community
        {**_device_call(device, "k3"), "note": "x" * 301},  # invalid: the same error alarm_trigger raises
        _device_call(device, "k1"),  # a retry: the alarm of k1
    ]
    with django_capture_on_commit_callbacks(execute=True):
        results = services.alarm_trigger_many(calls)
    first, joined, other, invalid, retry = results
    assert isinstance(first, Alarm) and getattr(first, "created_now", False)
    assert isinstance(other, Alarm) and getattr(other, "created_now", False)
    assert other.community_id == elder_b.community_id and other.raised_by == worker_b
    assert isinstance(joined, Alarm) and joined.pk == first.pk and not getattr(joined, "created_now", False)
    assert isinstance(invalid, ValidationFailed)
    assert isinstance(retry, Alarm) and retry.pk == first.pk
    assert Alarm.objects.count() == 2
    for alarm in (first, other):
        steps = {(s.kind, s.tier): s.due_at for s in EscalationStep.objects.filter(alarm=alarm)}
        assert steps[("notify", 1)] == T0 and ("review", 0) in steps
        assert AlarmEvent.objects.filter(alarm=alarm, kind="raised").count() == 1
    assert AlarmEvent.objects.filter(alarm=first, kind="retriggered").count() == 1
    raised = AuditEvent.objects.filter(code="sos.alarm.raised")
    assert sorted(raised.values_list("target_id", flat=True)) == sorted([str(first.pk), str(other.pk)])
    assert {p["id"] for p in published} == {first.pk, other.pk}  # pushed after commit, none for the rest
    device.refresh_from_db()
    assert device.last_battery == 55 and device.last_seen_at == T0


def test_trigger_many_falls_back_to_one_transaction_per_call(staffed, monkeypatch):
    elder = staffed["elder"]
    device, _secret = services.device_register(actor=staffed["worker"], elder=elder, kind="pendant")

    real = services._raise_new_alarms

    def broken(calls: list[dict[str, Any]]) -> dict[int, Alarm]:
        real(calls)  # writes the batch, then fails before commit (a deadlock, a constraint)
        raise RuntimeError("deadlock detected")

    monkeypatch.setattr(services, "_raise_new_alarms", broken)
    [alarm] = services.alarm_trigger_many([_device_call(device, "k1")])
    assert isinstance(alarm, Alarm) and Alarm.objects.count() == 1
    assert AuditEvent.objects.filter(code="sos.alarm.raised").count() == 1


def test_verify_many_checks_each_request_on_its_own(rf, staffed):
    device, secret = services.device_register(actor=staffed["worker"], elder=staffed["elder"], kind="pendant")
    body = b'{"event": "sos"}'

    def request(device_id: str, key: str) -> Any:
        return rf.post(
            "/api/v1/sos/device/alarm",
            body,
            content_type="application/json",
            headers=signed_headers(device_id, key, body),
        )

    good, wrong_key, unknown = verify_many(
        [request(device.device_id, secret), request(device.device_id, "nope"), request("sgd_x", secret)]
    )
    assert good == device
    assert (
        getattr(wrong_key, "code", "") == "bad_signature" and getattr(unknown, "code", "") == "device_unknown"
    )


async def _asgi_post(
    app: Any, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the response is sent
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], out["body"]


@pytest.mark.django_db(transaction=True)
def test_device_calls_take_the_lean_asgi_path_with_the_same_answers(futian, worker_a, elder_a, monkeypatch):
    from config import asgi

    async def not_here(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("device calls must not go through the full middleware stack")

    monkeypatch.setattr(asgi, "django_application", not_here)
    device, secret = services.device_register(actor=worker_a, elder=elder_a, kind="pendant")
    body = json.dumps({"event": "fall", "event_id": "asgi-1"}).encode()

    def post(key: str, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        headers = {**signed_headers(device.device_id, key, body), "Content-Type": "application/json"}
        status, response_headers, raw = async_to_sync(_asgi_post)(
            asgi.application, "/api/v1/sos/device/alarm", body, {**headers, **(extra or {})}
        )
        return status, response_headers, json.loads(raw)

    status, headers, first = post(secret)
    assert status == 201 and first["source"] == "device"
    assert headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware still answers
    assert headers["content-language"] == "zh-hans" and "set-cookie" not in headers
    status, _headers, retry = post(secret)
    assert status == 200 and retry["id"] == first["id"]
    status, headers, error = post("not-the-secret", {"Accept-Language": "en"})
    assert status == 403 and error["code"] == "bad_signature" and headers["content-language"] == "en"
    assert Alarm.objects.count() == 1
