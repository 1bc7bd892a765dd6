"""SMS, WeChat subscribe-message and voice-call adapters behind notify's Channel interface.

Each is configured by environment (through settings); an adapter that is not configured answers with a
non-retryable error, so notify moves straight on to the notification's fallback channel. Gateways are
called with short timeouts: a network error or a 5xx is retryable (notify backs off and tries again),
a 4xx is not (bad number, unbound account) and goes to the fallback channel.

Settings read (all optional; see docs/sos.md):
    SMS_GATEWAY_URL, SMS_API_KEY, SMS_SIGN_NAME
    VOICE_GATEWAY_URL, VOICE_API_KEY
    WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_SOS_TEMPLATE_ID,
    WECHAT_OPENID_LOOKUP (dotted path: user -> openid)
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, ClassVar

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from shiguang.notify.channels import Channel, Result
from shiguang.notify.templates_registry import render

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(3.0, connect=2.0)


def destination_phone(notification: Any) -> str:
    """The number to text or call: an emergency contact's (looked up by id: the outbox never holds it),
    or the recipient's own."""
    contact_id = (notification.data or {}).get("contact_id")
    if contact_id:
        from shiguang.people.models import EmergencyContact

        contact = EmergencyContact.objects.filter(pk=contact_id).first()
        return contact.phone if contact is not None else ""
    return getattr(notification.recipient, "phone", "") or ""


def _text(notification: Any) -> str:
    title, body = render(notification.template, notification.data)
    return f"{title} {body}".strip()


class _HttpChannel(Channel):
    """POST JSON to a gateway; tests may set `transport` to an httpx.MockTransport."""

    transport: ClassVar[httpx.BaseTransport | None] = None
    url_setting = ""
    key_setting = ""

    def _post(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> Result:
        try:
            with httpx.Client(timeout=TIMEOUT, transport=type(self).transport) as client:
                response = client.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            return Result(
                ok=False, error=f"{self.name} gateway unreachable: {exc.__class__.__name__}", retryable=True
            )
        if response.status_code >= 500:
            return Result(ok=False, error=f"{self.name} gateway {response.status_code}", retryable=True)
        if response.status_code >= 400:
            return Result(
                ok=False, error=f"{self.name} gateway refused ({response.status_code})", retryable=False
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("ok") is False:
            return Result(ok=False, error=str(body.get("error", "rejected"))[:200], retryable=False)
        provider_id = str(body.get("id") or body.get("message_id") or "") if isinstance(body, dict) else ""
        return Result(ok=True, provider_id=provider_id[:120])

    def _configured(self) -> tuple[str, str] | None:
        url = getattr(settings, self.url_setting, "")
        key = getattr(settings, self.key_setting, "")
        return (url, key) if url and key else None


class SmsGatewayChannel(_HttpChannel):
    """A generic SMS gateway (the district's SMS platform or a cloud provider behind a small proxy).

    POST {SMS_GATEWAY_URL} with Authorization: Bearer {SMS_API_KEY} and
    {"to": "+86…", "text": "…", "sign": SMS_SIGN_NAME, "reference": "<notification id>"}.
    """

    name = "sms"
    url_setting = "SMS_GATEWAY_URL"
    key_setting = "SMS_API_KEY"

    def send(self, notification: Any) -> Result:
        config = self._configured()
        if config is None:
            return Result(
                ok=False, error="sms not configured (SMS_GATEWAY_URL / SMS_API_KEY)", retryable=False
            )
        phone = destination_phone(notification)
        if not phone:
            return Result(ok=False, error="recipient has no phone number", retryable=False)
        url, key = config
        payload = {
            "to": phone,
            "text": _text(notification),
            "sign": getattr(settings, "SMS_SIGN_NAME", "时光家园"),
            "reference": str(notification.id),
        }
        return self._post(url, payload, {"Authorization": f"Bearer {key}"})


class VoiceCallChannel(_HttpChannel):
    """A text-to-speech call: POST {VOICE_GATEWAY_URL} {"to", "speech", "repeat": 2, "reference"}."""

    name = "voice"
    url_setting = "VOICE_GATEWAY_URL"
    key_setting = "VOICE_API_KEY"

    def send(self, notification: Any) -> Result:
        config = self._configured()
        if config is None:
            return Result(
                ok=False, error="voice not configured (VOICE_GATEWAY_URL / VOICE_API_KEY)", retryable=False
            )
        phone = destination_phone(notification)
        if not phone:
            return Result(ok=False, error="recipient has no phone number", retryable=False)
        url, key = config
        payload = {"to": phone, "speech": _text(notification), "repeat": 2, "reference": str(notification.id)}
        return self._post(url, payload, {"Authorization": f"Bearer {key}"})


class WeChatSubscribeChannel(_HttpChannel):
    """WeChat mini-program subscribe message (订阅消息) through the official API.

    Needs WECHAT_APP_ID / WECHAT_APP_SECRET / WECHAT_SOS_TEMPLATE_ID and WECHAT_OPENID_LOOKUP, a dotted path
    to `fn(user) -> openid | ""` (the accounts app owns the mini-program binding). The access token is cached.
    """

    name = "wechat"
    api = "https://api.weixin.qq.com"
    _token: ClassVar[tuple[str, float]] = ("", 0.0)
    _lock = threading.Lock()

    def _access_token(self, client: httpx.Client) -> str:
        with self._lock:
            token, expires = WeChatSubscribeChannel._token
            if token and expires > time.monotonic() + 60:
                return token
            response = client.get(
                f"{self.api}/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": getattr(settings, "WECHAT_APP_ID", ""),
                    "secret": getattr(settings, "WECHAT_APP_SECRET", ""),
                },
            )
            body = response.json()
            token = str(body.get("access_token", ""))
            if token:
                WeChatSubscribeChannel._token = (token, time.monotonic() + int(body.get("expires_in", 7200)))
            return token

    def send(self, notification: Any) -> Result:
        needed = ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_SOS_TEMPLATE_ID", "WECHAT_OPENID_LOOKUP")
        if not all(getattr(settings, name, "") for name in needed):
            return Result(ok=False, error="wechat not configured", retryable=False)
        try:
            openid = import_string(getattr(settings, "WECHAT_OPENID_LOOKUP", ""))(notification.recipient)
        except Exception:
            log.exception("WECHAT_OPENID_LOOKUP failed")
            return Result(ok=False, error="openid lookup failed", retryable=False)
        if not openid:
            return Result(ok=False, error="recipient has not bound WeChat", retryable=False)
        title, body = render(notification.template, notification.data)
        payload = {
            "touser": openid,
            "template_id": getattr(settings, "WECHAT_SOS_TEMPLATE_ID", ""),
            "page": notification.link or "/",
            "data": {"thing1": {"value": title[:20]}, "thing2": {"value": body[:20]}},
        }
        try:
            with httpx.Client(timeout=TIMEOUT, transport=type(self).transport) as client:
                token = self._access_token(client)
                if not token:
                    return Result(ok=False, error="wechat access token refused", retryable=True)
                response = client.post(
                    f"{self.api}/cgi-bin/message/subscribe/send", params={"access_token": token}, json=payload
                )
        except httpx.HTTPError as exc:
            return Result(ok=False, error=f"wechat unreachable: {exc.__class__.__name__}", retryable=True)
        try:
            result = response.json()
        except ValueError:
            return Result(
                ok=False, error=f"wechat {response.status_code}", retryable=response.status_code >= 500
            )
        errcode = int(result.get("errcode", 0) or 0)
        if errcode == 0:
            return Result(ok=True, provider_id=str(result.get("msgid", ""))[:120])
        if errcode in (40001, 42001):  # token expired: fetch a new one next time
            WeChatSubscribeChannel._token = ("", 0.0)
            return Result(ok=False, error=f"wechat token expired ({errcode})", retryable=True)
        return Result(ok=False, error=f"wechat errcode {errcode}", retryable=errcode == -1)
