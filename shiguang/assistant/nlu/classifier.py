"""Weighted keyword/pattern scoring for the non-emergency intents, help categories and activities."""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import Pattern

from . import lexicon

Weighted = tuple[tuple[Pattern[str], float], ...]


def _compile(table: tuple[tuple[str, float], ...]) -> Weighted:
    return tuple((re.compile(pattern), weight) for pattern, weight in table)


_CANCEL = _compile(lexicon.CANCEL_CUES)
_BALANCE = _compile(lexicon.BALANCE_CUES)
_CHECKIN = _compile(lexicon.CHECKIN_CUES)
_HELP = _compile(lexicon.HELP_CUES)
_POLICY_STRONG = tuple(re.compile(p) for p in lexicon.POLICY_STRONG)
_POLICY_DOMAIN = re.compile(lexicon.POLICY_DOMAIN)
_QUESTION = re.compile(lexicon.QUESTION)
_PROBLEM = re.compile(lexicon.PROBLEM_CUES)
_INFO_ASK = re.compile(lexicon.INFO_ASK)
_INJECTION = re.compile(lexicon.INJECTION)
_CATEGORIES: dict[str, Weighted] = {cat: _compile(cues) for cat, cues in lexicon.CATEGORY_CUES.items()}
# Lexicon groups that add to another category's score.
_CATEGORY_ALIASES = {"outing_escort": "outing"}
_ACTIVITIES = tuple((name, re.compile(pattern)) for name, pattern in lexicon.ACTIVITIES)
_JOIN_STRONG = re.compile(lexicon.JOIN_STRONG)
_JOIN_WEAK = re.compile(lexicon.JOIN_WEAK)
_JOIN_SUFFIX = re.compile(lexicon.JOIN_SUFFIX)
_JOIN_GENERIC = re.compile(lexicon.JOIN_GENERIC)
_QUESTION_END = re.compile(r"(?:吗|[?])\W*$")

# Ties are broken by this order (earlier wins).
PRIORITY: tuple[str, ...] = (
    "cancel_request",
    "check_balance",
    "join_activity",
    "ask_policy",
    "request_help",
    "daily_checkin",
)
THRESHOLD = 3.0


@dataclass(frozen=True)
class Scores:
    by_intent: dict[str, float]
    category: str
    activity: str | None


def _sum_weights(table: Weighted, text: str) -> float:
    return sum(weight for pattern, weight in table if pattern.search(text))


def _max_weight(table: Weighted, text: str) -> float:
    return max((weight for pattern, weight in table if pattern.search(text)), default=0.0)


def is_injection(text: str) -> bool:
    return _INJECTION.search(text) is not None


def classify_category(text: str) -> tuple[str, float]:
    """Best help category and its score; ("other", 0.0) when nothing matches."""
    totals: dict[str, float] = {}
    for name, table in _CATEGORIES.items():
        category = _CATEGORY_ALIASES.get(name, name)
        totals[category] = totals.get(category, 0.0) + _sum_weights(table, text)
    best, best_score = "other", 0.0
    for category, total in totals.items():
        if total > best_score:
            best, best_score = category, total
    return best, best_score


def find_activity(text: str) -> tuple[str | None, int]:
    """Canonical activity keyword (earliest mention, longest alias) and where it ends."""
    best: tuple[int, int, str] | None = None
    for name, pattern in _ACTIVITIES:
        m = pattern.search(text)
        if m is None:
            continue
        key = (m.start(), -(m.end() - m.start()), name)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        return None, -1
    return best[2], best[0] - best[1]


def score(text: str, hypothetical_danger: bool = False) -> Scores:
    """Score every non-emergency intent for normalised ``text``."""
    scores: dict[str, float] = dict.fromkeys(PRIORITY, 0.0)

    scores["cancel_request"] = _max_weight(_CANCEL, text)
    scores["check_balance"] = _max_weight(_BALANCE, text)

    checkin = _sum_weights(_CHECKIN, text)
    if checkin and _QUESTION_END.search(text):
        checkin /= 2  # "你身体好吗?" asks about someone else
    scores["daily_checkin"] = min(checkin, 6.0)

    # Activities.
    activity, _ = find_activity(text)
    if activity is not None:
        join = 2.0
        if _JOIN_STRONG.search(text):
            join += 4
        elif _JOIN_WEAK.search(text):
            join += 2
        if _JOIN_SUFFIX.search(text):
            join += 1
        scores["join_activity"] = join
    elif _JOIN_GENERIC.search(text):
        scores["join_activity"] = 4.0

    # Policy questions.
    strong_hits = sum(1 for pattern in _POLICY_STRONG if pattern.search(text))
    policy = 4.0 + (strong_hits - 1) if strong_hits else 0.0
    if _POLICY_DOMAIN.search(text) and _QUESTION.search(text):
        policy = policy + 2 if policy else 3.0
    if hypothetical_danger:
        policy = max(policy, 4.0) + 1
    scores["ask_policy"] = min(policy, 6.0)

    # Help requests: a help cue (or a stated household problem) plus a category cue.
    request_text = _INFO_ASK.sub(" ", text)
    help_cue = _max_weight(_HELP, request_text)
    if _PROBLEM.search(request_text):
        help_cue = max(help_cue, 3.0)
    category, category_score = classify_category(text)
    scores["request_help"] = help_cue + min(category_score, 3.0) if help_cue else 0.0
    if not help_cue and category_score >= 2.5 and re.search(r"想|要|需要|得", request_text):
        scores["request_help"] = 1.0 + min(category_score, 3.0)

    return Scores(scores, category, activity)


def pick(scores: Scores) -> tuple[str, float, float]:
    """Return (intent, best score, runner-up score); chitchat when nothing reaches THRESHOLD."""
    ranked = sorted(PRIORITY, key=lambda intent: (-scores.by_intent[intent], PRIORITY.index(intent)))
    best, second = ranked[0], ranked[1]
    best_score = scores.by_intent[best]
    if best_score < THRESHOLD:
        return "chitchat", best_score, 0.0
    return best, best_score, scores.by_intent[second]
