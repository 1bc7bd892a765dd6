"""Per-device request signing for the device endpoints.

A device sends three headers:
    X-Device-Id:  its public id (e.g. sgd_3f2a…)
    X-Timestamp:  Unix seconds when it signed the request
    X-Signature:  hex HMAC-SHA256(secret, "<timestamp>." + raw body)
Requests older (or newer) than MAX_SKEW_SECONDS are refused, so a captured request cannot be replayed later;
within the window a replay returns the original alarm (idempotency key), so it does no harm either.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyHeader

from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden

MAX_SKEW_SECONDS = 300


class DeviceUnauthenticated(DomainError):
    status = 401
    code = "device_unknown"
    default_message = _("未知或已停用的设备。")


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(device_id: str, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers a device (or a test, or the benchmark) sends with `body`."""
    ts = int(clock.now().timestamp()) if timestamp is None else timestamp
    return {"X-Device-Id": device_id, "X-Timestamp": str(ts), "X-Signature": sign(secret, ts, body)}


def _device_id(request: HttpRequest) -> str:
    device_id = request.headers.get("X-Device-Id", "").strip()
    if not device_id or len(device_id) > 40:
        raise DeviceUnauthenticated(_("缺少设备编号（X-Device-Id）。"))
    return device_id


def _check(request: HttpRequest, device: Any) -> Any:
    if device is None:
        raise DeviceUnauthenticated()
    timestamp = request.headers.get("X-Timestamp", "").strip()
    signature = request.headers.get("X-Signature", "").strip().lower()
    try:
        ts = int(timestamp)
    except ValueError:
        raise Forbidden(_("缺少或无效的时间戳（X-Timestamp）。"), code="bad_timestamp") from None
    if abs(clock.now().timestamp() - ts) > MAX_SKEW_SECONDS:
        raise Forbidden(_("请求时间戳已过期，请校准设备时间后重试。"), code="stale_timestamp")
    expected = sign(device.secret, ts, request.body)
    if not signature or not hmac.compare_digest(expected, signature):
        raise Forbidden(_("设备签名不正确。"), code="bad_signature")
    return device


def verify_many(requests: list[HttpRequest]) -> list[Any]:
    """For each request, the device that signed it or the DomainError verify() would raise; one query for all
    (a burst of pendants is verified in batches on the lane)."""
    from shiguang.sos.models import Device

    ids: list[str | Exception] = []
    for request in requests:
        try:
            ids.append(_device_id(request))
        except DeviceUnauthenticated as exc:
            ids.append(exc)
    wanted = {i for i in ids if isinstance(i, str)}
    found = {}
    if wanted:
        # What the trigger, its push and its answer read; the elder's encrypted fields are not among them.
        rows = (
            Device.objects.select_related("elder__community__street")
            .defer("elder__id_number", "elder__address", "elder__health_notes")
            .filter(device_id__in=wanted, active=True, revoked_at__isnull=True)
        )
        found = {d.device_id: d for d in rows}
    results: list[Any] = []
    for request, device_id in zip(requests, ids, strict=True):
        if isinstance(device_id, Exception):
            results.append(device_id)
            continue
        try:
            results.append(_check(request, found.get(device_id)))
        except DomainError as exc:
            results.append(exc)
    return results


def verify(request: HttpRequest) -> Any:
    """The device that signed this request, or a DomainError (401 unknown device, 403 bad/stale signature)."""
    result = verify_many([request])[0]
    if isinstance(result, Exception):
        raise result
    return result


class DeviceSignatureAuth(APIKeyHeader):
    """ninja auth for device endpoints (documented in OpenAPI as the X-Signature header)."""

    param_name = "X-Signature"

    async def __call__(self, request: HttpRequest) -> Any:  # type: ignore[override]
        return await _lookups()(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return verify(request)


@cache
def _lookups() -> Any:
    from shiguang.sos.lanes import Batcher

    return Batcher(verify_many)
