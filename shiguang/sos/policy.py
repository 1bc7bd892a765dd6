"""Escalation policies: the defaults, and validation of a new version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from shiguang.sos.choices import Audience

MAX_TIERS = 6
MIN_DEADLINE_SECONDS = 1
MAX_DEADLINE_SECONDS = 24 * 3600
# Addresses are shown in full to these audiences (and to whoever acknowledged the alarm); others see a mask.
DEFAULT_REVEAL_ADDRESS_TO = [Audience.WORKER.value, Audience.STREET_OFFICER.value, Audience.FAMILY.value]


def default_channel() -> str:
    """The external channel alarms use by default (SMS), or the local sink where SMS is not installed."""
    preferred = getattr(settings, "SOS_ALARM_CHANNEL", "sms")
    return preferred if preferred in settings.NOTIFY_CHANNELS else "local_sink"


def default_fallback() -> str:
    preferred = getattr(settings, "SOS_ALARM_FALLBACK_CHANNEL", "voice")
    return preferred if preferred in settings.NOTIFY_CHANNELS else ""


def default_tiers() -> list[dict[str, Any]]:
    channel, fallback = default_channel(), default_fallback()
    return [
        {"audience": Audience.VOLUNTEERS, "deadline_seconds": 30, "channel": channel, "fallback_channel": ""},
        {
            "audience": Audience.WORKER,
            "deadline_seconds": 60,
            "channel": channel,
            "fallback_channel": fallback,
        },
        {
            "audience": Audience.FAMILY,
            "deadline_seconds": 120,
            "channel": channel,
            "fallback_channel": fallback,
        },
        {
            "audience": Audience.STREET_OFFICER,
            "deadline_seconds": 180,
            "channel": fallback or channel,
            "fallback_channel": channel if fallback else "",
        },
    ]


@dataclass(frozen=True)
class Tier:
    number: int
    audience: str
    deadline_seconds: int
    channel: str
    fallback_channel: str


def tiers_of(policy: Any) -> list[Tier]:
    return [
        Tier(
            number=i + 1,
            audience=str(t["audience"]),
            deadline_seconds=int(t["deadline_seconds"]),
            channel=str(t.get("channel") or ""),
            fallback_channel=str(t.get("fallback_channel") or ""),
        )
        for i, t in enumerate(policy.tiers)
    ]


def external_channels() -> list[str]:
    """Channels a tier may use besides the in-app message (which every responder always gets)."""
    return [name for name in settings.NOTIFY_CHANNELS if name != "in_app"]


def validate_tiers(tiers: Any) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Normalise tier input; returns (tiers, field errors). Deadlines count from the moment of the alarm."""
    errors: dict[str, list[str]] = {}
    if not isinstance(tiers, list) or not tiers:
        return [], {"tiers": [_("至少需要一级。")]}
    if len(tiers) > MAX_TIERS:
        return [], {"tiers": [_("最多 %(n)s 级。") % {"n": MAX_TIERS}]}
    clean: list[dict[str, Any]] = []
    previous = 0
    channels = set(external_channels())
    for i, raw in enumerate(tiers):
        key = f"tiers.{i}"
        if not isinstance(raw, dict):
            errors[key] = [_("格式不正确。")]
            continue
        audience = str(raw.get("audience") or "")
        if audience not in Audience.values:
            errors[f"{key}.audience"] = [_("请选择通知对象。")]
        try:
            deadline = int(raw.get("deadline_seconds"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors[f"{key}.deadline_seconds"] = [_("时限应为整数秒。")]
            deadline = 0
        else:
            if not MIN_DEADLINE_SECONDS <= deadline <= MAX_DEADLINE_SECONDS:
                errors[f"{key}.deadline_seconds"] = [_("时限应在 1 秒到 24 小时之间。")]
            elif deadline <= previous:
                errors[f"{key}.deadline_seconds"] = [
                    _("各级时限都从呼救发起时算起，必须逐级递增（上一级为 %(s)s 秒）。") % {"s": previous}
                ]
            previous = max(previous, deadline)
        channel = str(raw.get("channel") or "")
        fallback = str(raw.get("fallback_channel") or "")
        if channel and channel not in channels:
            errors[f"{key}.channel"] = [_("未知的通知渠道。")]
        if fallback and fallback not in channels:
            errors[f"{key}.fallback_channel"] = [_("未知的通知渠道。")]
        if fallback and fallback == channel:
            errors[f"{key}.fallback_channel"] = [_("备用渠道应与首选渠道不同。")]
        clean.append(
            {
                "audience": audience,
                "deadline_seconds": deadline,
                "channel": channel,
                "fallback_channel": fallback,
            }
        )
    return clean, errors
