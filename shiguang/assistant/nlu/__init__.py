"""Offline intent + slot engine for elders' everyday spoken Chinese (no Django imports here).

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> now = datetime(2026, 11, 29, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> interpret("下周一下午三点想找人陪我去社康", now).as_dict()
{'intent': 'request_help', 'slots': {'category': 'medical_escort', 'date': '2026-11-30', 'time': '15:00'}}
"""

from __future__ import annotations

from .engine import interpret
from .schema import CATEGORIES, INTENTS, MAX_INPUT_CHARS, SLOT_KEYS, Interpretation

__all__ = ["CATEGORIES", "INTENTS", "MAX_INPUT_CHARS", "SLOT_KEYS", "Interpretation", "interpret"]
