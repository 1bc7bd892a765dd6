"""Public constants and the result type of the NLU engine (no Django, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTENTS: tuple[str, ...] = (
    "request_help",
    "emergency",
    "join_activity",
    "check_balance",
    "ask_policy",
    "cancel_request",
    "daily_checkin",
    "chitchat",
)

CATEGORIES: tuple[str, ...] = (
    "medical_escort",
    "shopping",
    "housework",
    "companionship",
    "repair",
    "digital_help",
    "outing",
    "legal",
    "meal",
    "other",
)

# Longer input is truncated before analysis (keeps latency bounded for pasted text).
MAX_INPUT_CHARS = 500

# Exact slot keys per intent; every Interpretation carries exactly these keys.
SLOT_KEYS: dict[str, tuple[str, ...]] = {
    "request_help": ("category", "date", "time"),
    "emergency": (),
    "join_activity": ("activity",),
    "check_balance": (),
    "ask_policy": (),
    "cancel_request": (),
    "daily_checkin": (),
    "chitchat": (),
}


@dataclass(frozen=True)
class Interpretation:
    """Result of :func:`shiguang.assistant.nlu.interpret`."""

    intent: str
    slots: dict[str, str | None] = field(default_factory=dict)
    confidence: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": dict(self.slots)}


def make_interpretation(intent: str, confidence: float, **values: str | None) -> Interpretation:
    """Build an Interpretation whose slots hold exactly the keys defined for ``intent``."""
    if intent not in SLOT_KEYS:
        intent = "chitchat"
    slots = {key: values.get(key) for key in SLOT_KEYS[intent]}
    return Interpretation(intent=intent, slots=slots, confidence=round(max(0.0, min(1.0, confidence)), 3))
