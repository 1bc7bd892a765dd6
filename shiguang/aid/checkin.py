"""The elder's rotating check-in QR token and 6-digit code.

Each elder has a random secret (encrypted at rest). Time is cut into windows of `WINDOW_SECONDS`; for each
window the QR token is `<elder id>.<window>.<HMAC>` and the 6-digit code is an HMAC truncated to six digits
(like TOTP).
A token or code is accepted during its own window and the previous one, so what the elder shows is valid for
5–10 minutes and a photo of it is useless the next day. Rotating the secret invalidates everything at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import segno
from django.db import IntegrityError, transaction
from django.utils.html import escape

from shiguang.aid.models import ElderCheckinKey
from shiguang.core import clock
from shiguang.people.models import ElderProfile

WINDOW_SECONDS = 300
GRACE_WINDOWS = 1


def _window(at: dt.datetime) -> int:
    return int(at.timestamp()) // WINDOW_SECONDS


def _secret(elder: ElderProfile) -> bytes:
    key = ElderCheckinKey.objects.filter(elder=elder).first()
    if key is None:
        try:
            with transaction.atomic():
                key = ElderCheckinKey.objects.create(elder=elder, secret=secrets.token_hex(32))
        except IntegrityError:  # created by a concurrent request
            key = ElderCheckinKey.objects.get(elder=elder)
    return bytes.fromhex(key.secret)


def rotate_secret(elder: ElderProfile) -> None:
    """Invalidate every code and QR shown so far (a worker does this if a code card was lost)."""
    ElderCheckinKey.objects.update_or_create(
        elder=elder, defaults={"secret": secrets.token_hex(32), "rotated_at": clock.now()}
    )


def _mac(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def _code(secret: bytes, elder_id: int, window: int) -> str:
    return f"{int(_mac(secret, f'code:{elder_id}:{window}')[:12], 16) % 1_000_000:06d}"


def _token(secret: bytes, elder_id: int, window: int) -> str:
    return f"{elder_id}.{window}.{_mac(secret, f'qr:{elder_id}:{window}')[:24]}"


@dataclass(frozen=True)
class CheckinCode:
    code: str
    token: str
    valid_until: dt.datetime


def current(elder: ElderProfile, at: dt.datetime | None = None) -> CheckinCode:
    at = at or clock.now()
    window = _window(at)
    secret = _secret(elder)
    elder_id = int(elder.pk)
    until = dt.datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, tz=dt.UTC)
    return CheckinCode(_code(secret, elder_id, window), _token(secret, elder_id, window), until)


def verify_code(elder: ElderProfile, code: str, at: dt.datetime | None = None) -> bool:
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return False
    at = at or clock.now()
    secret = _secret(elder)
    window = _window(at)
    elder_id = int(elder.pk)
    return any(
        hmac.compare_digest(_code(secret, elder_id, w), code)
        for w in range(window - GRACE_WINDOWS, window + 1)
    )


def token_elder_id(token: str) -> int | None:
    """The elder a token claims to be for (not yet verified)."""
    try:
        elder_id, _window_text, _mac_text = (token or "").split(".")
        return int(elder_id)
    except ValueError:
        return None


def verify_token(elder: ElderProfile, token: str, at: dt.datetime | None = None) -> bool:
    try:
        elder_id_text, window_text, _mac_text = (token or "").strip().split(".")
        elder_id, window = int(elder_id_text), int(window_text)
    except ValueError:
        return False
    if elder_id != int(elder.pk):  # type: ignore[attr-defined]
        return False
    now_window = _window(at or clock.now())
    if not now_window - GRACE_WINDOWS <= window <= now_window:
        return False
    return hmac.compare_digest(_token(_secret(elder), elder_id, window), token.strip())


def qr_svg(url: str, *, label: str) -> str:
    """The QR code as inline SVG (no style attributes, so the strict CSP allows it)."""
    svg = segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff", title=label)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
