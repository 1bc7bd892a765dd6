"""The interpret() pipeline: normalise -> emergency -> injection -> scored intents -> slots."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from . import classifier, emergency
from .normalize import has_content, normalize
from .schema import MAX_INPUT_CHARS, Interpretation, make_interpretation
from .timeparse import resolve_date, resolve_time

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
logger = logging.getLogger(__name__)


def local_now(now: datetime | None = None) -> datetime:
    """``now`` converted to Asia/Shanghai; naive datetimes are taken as already local."""
    if now is None:
        return datetime.now(LOCAL_TZ)
    if now.tzinfo is None or now.utcoffset() is None:
        return now.replace(tzinfo=LOCAL_TZ)
    return now.astimezone(LOCAL_TZ)


def interpret(text: str, now: datetime) -> Interpretation:
    """Understand one utterance. Never raises on bad input; falls back to chitchat."""
    try:
        return _interpret(text, now)
    except Exception:  # pragma: no cover - defensive: a bad rule must not break the caller
        logger.exception("nlu.interpret failed; falling back to chitchat")
        return make_interpretation("chitchat", 0.0)


def _interpret(text: str, now: datetime) -> Interpretation:
    if not isinstance(text, str):
        text = ""
    norm = normalize(text[:MAX_INPUT_CHARS])
    if not has_content(norm):
        return make_interpretation("chitchat", 0.9)

    danger = emergency.detect(norm)
    if danger.is_emergency:
        return make_interpretation("emergency", 0.95)
    if classifier.is_injection(norm):
        return make_interpretation("chitchat", 0.9)

    scores = classifier.score(norm, hypothetical_danger=danger.hypothetical)
    intent, best, second = classifier.pick(scores)
    if intent == "chitchat":
        return make_interpretation("chitchat", 0.6 if best == 0 else 0.45)
    confidence = min(0.97, 0.5 + 0.06 * best + 0.04 * (best - second))

    if intent == "request_help":
        today = local_now(now).date()
        resolved = resolve_date(norm, today)
        return make_interpretation(
            intent,
            confidence,
            category=scores.category,
            date=resolved.isoformat() if resolved else None,
            time=resolve_time(norm),
        )
    if intent == "join_activity":
        return make_interpretation(intent, confidence, activity=scores.activity)
    return make_interpretation(intent, confidence)
