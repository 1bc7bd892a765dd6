"""Rule-based resolver for the relative dates and clock times elders say.

Operates on text already passed through :func:`normalize.normalize` (simplified, lower-cased,
Cantonese forms rewritten: 听日 -> 明天, 下昼 -> 下午, 星期天 -> 星期日 ...).

Date rules (``today`` is the local date in Asia/Shanghai):
  今天/明天/后天/大后天 (and 今晚, 明早 ...), 昨天/前天;
  这周X/本周X: X of the current Monday-Sunday week, even if already past;
  下周X / 下下周X / 上周X: X of the next / following / previous week;
  bare 周X/星期X/礼拜X: next occurrence on or after today;
  M月D号: this year, or next year when already before today;
  D号: this month, or the next month that has that day when already before today;
  月底 / 下个月底: last day of the (next) month; 下个月D号.
  Festivals (重阳节, 中秋, 春节, 国庆 ...): jionlp.parse_time fallback (lunar calendar), imported
  lazily with its banner silenced; the next occurrence on or after today.
Time rules: 上午/早上 -> AM; 下午/晚上/傍晚 -> PM; 中午 1-4 -> PM; a bare 1-6 -> PM, 7-11 -> AM.
"""

from __future__ import annotations

import calendar
import contextlib
import io
import logging
import re
import threading
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

_CN_DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十廿]{1,3})"


def cn_to_int(token: str) -> int | None:
    """Convert a small Arabic or Chinese numeral (0-99) to int; None when it is not one."""
    if not token:
        return None
    if token.isdigit():
        return int(token)
    if token.startswith("廿"):
        rest = token[1:]
        ones = _CN_DIGITS.get(rest) if rest else 0
        return None if ones is None else 20 + ones
    if "十" in token:
        left, _, right = token.partition("十")
        tens = _CN_DIGITS.get(left) if left else 1
        ones = _CN_DIGITS.get(right) if right else 0
        if tens is None or ones is None or "十" in right:
            return None
        return tens * 10 + ones
    value = 0
    for ch in token:
        digit = _CN_DIGITS.get(ch)
        if digit is None:
            return None
        value = value * 10 + digit
    return value


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_WEEKDAY_INDEX: dict[str, int] = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
_EN_WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}

_RELATIVE_DAY_RE = re.compile(
    r"大后天|(?<!大)后天|明(?:天|日|早|晚|儿|朝)|今(?:天|日|早|晚|儿|夜|朝)|大前天|(?<!大)前天|昨(?:天|日|晚)"
    r"|day after tomorrow|tomorrow|today|tonight|yesterday"
)
_RELATIVE_OFFSETS: dict[str, int] = {
    "大后天": 3,
    "后天": 2,
    "大前天": -3,
    "前天": -2,
    "day after tomorrow": 2,
    "tomorrow": 1,
    "today": 0,
    "tonight": 0,
    "yesterday": -1,
}
_WEEK_RE = re.compile(r"(?P<pre>下下个?|下个?|上个?|这个?|本)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")
_EN_WEEK_RE = re.compile(
    r"\b(?P<pre>next |this )?(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)
_MONTH_DAY_RE = re.compile(rf"(?P<m>{NUM})月(?P<d>{NUM})(?:号|日)?")
_NEXT_MONTH_DAY_RE = re.compile(rf"(?P<pre>下个?|这个?|本)月(?P<d>{NUM})(?:号|日)")
_MONTH_END_RE = re.compile(r"(?P<pre>下个?)?月底")
_DAY_RE = re.compile(
    rf"(?<![月\d零〇一二两三四五六七八九十廿])(?P<d>{NUM})号(?![楼线房门床窗柜车])"
    r"|(?<![月\d])(?P<dd>\d{1,2})日"
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _resolve_week(pre: str, weekday: int, today: date) -> date:
    week_start = today - timedelta(days=today.weekday())
    pre = pre.rstrip("个")
    if pre in ("这", "本"):
        return week_start + timedelta(days=weekday)
    if pre == "下":
        return week_start + timedelta(days=7 + weekday)
    if pre == "下下":
        return week_start + timedelta(days=14 + weekday)
    if pre == "上":
        return week_start + timedelta(days=weekday - 7)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _date_candidates(text: str, today: date) -> list[tuple[int, int, date]]:
    """All date expressions as (start, -length, date); the earliest (then longest) one wins.

    Explicitly past expressions (昨天, 前天, 上周X) are returned with a date before ``today`` and
    are dropped by :func:`resolve_date`; they are still matched so that e.g. 上周一 is not read as
    a bare 周一.
    """
    found: list[tuple[int, int, date]] = []

    for m in _RELATIVE_DAY_RE.finditer(text):
        word = m.group(0)
        if word in _RELATIVE_OFFSETS:
            offset = _RELATIVE_OFFSETS[word]
        else:
            offset = {"明": 1, "今": 0, "昨": -1}[word[0]]
        found.append((m.start(), -len(word), today + timedelta(days=offset)))

    for m in _WEEK_RE.finditer(text):
        resolved = _resolve_week(m.group("pre") or "", _WEEKDAY_INDEX[m.group("wd")], today)
        found.append((m.start(), -len(m.group(0)), resolved))

    for m in _EN_WEEK_RE.finditer(text):
        pre = (m.group("pre") or "").strip()
        prefix = {"next": "下", "this": "这"}.get(pre, "")
        resolved = _resolve_week(prefix, _EN_WEEKDAYS[m.group("wd")], today)
        found.append((m.start(), -len(m.group(0)), resolved))

    for m in _MONTH_DAY_RE.finditer(text):
        month, day = cn_to_int(m.group("m")), cn_to_int(m.group("d"))
        if month is None or day is None or not 1 <= month <= 12:
            continue
        # This year, or the next year (up to 4 ahead, for 2月29号) where it is valid and not past.
        for year in range(today.year, today.year + 5):
            resolved_md = _safe_date(year, month, day)
            if resolved_md is not None and resolved_md >= today:
                found.append((m.start(), -len(m.group(0)), resolved_md))
                break

    for m in _NEXT_MONTH_DAY_RE.finditer(text):
        day = cn_to_int(m.group("d"))
        if day is None:
            continue
        delta = 1 if m.group("pre").startswith("下") else 0
        year, month = _add_months(today.year, today.month, delta)
        resolved_nm = _safe_date(year, month, day)
        if resolved_nm is not None:
            found.append((m.start(), -len(m.group(0)), resolved_nm))

    for m in _MONTH_END_RE.finditer(text):
        year, month = _add_months(today.year, today.month, 1 if m.group("pre") else 0)
        found.append((m.start(), -len(m.group(0)), _month_end(year, month)))

    for m in _DAY_RE.finditer(text):
        day = cn_to_int(m.group("d") or m.group("dd") or "")
        if day is None or not 1 <= day <= 31:
            continue
        for delta in range(3):  # this month, else the next month(s) that have that day
            year, month = _add_months(today.year, today.month, delta)
            resolved_d = _safe_date(year, month, day)
            if resolved_d is not None and resolved_d >= today:
                found.append((m.start(), -len(m.group(0)), resolved_d))
                break
    return found


_FESTIVAL_RE = re.compile(
    r"(?P<pre>今年|明年)?(?P<name>春节|除夕|元宵节?|清明节?|端午节?|中秋节?|重阳节?|七夕节?|腊八节?|冬至"
    r"|元旦|国庆节?|劳动节|五一劳动节|圣诞节?|母亲节|父亲节|儿童节)"
)
_jionlp_lock = threading.Lock()
_jionlp_module: Any = None
_jionlp_failed = False


def _jionlp() -> Any:
    """Import jionlp on first use, silencing the banner it prints; None when unavailable."""
    global _jionlp_module, _jionlp_failed
    if _jionlp_module is not None or _jionlp_failed:
        return _jionlp_module
    with _jionlp_lock:
        if _jionlp_module is None and not _jionlp_failed:
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    import jionlp

                _jionlp_module = jionlp
            except Exception:  # pragma: no cover - optional dependency
                logger.warning("jionlp unavailable; festival dates will not be resolved")
                _jionlp_failed = True
    return _jionlp_module


def preload_fallback() -> None:
    """Import the jionlp fallback now (e.g. at app start) instead of on the first festival."""
    _festival_date("今年", "元旦", date(2026, 1, 1))


@lru_cache(maxsize=256)
def _festival_date(pre: str, name: str, today: date) -> date | None:
    module = _jionlp()
    if module is None:
        return None
    base = datetime.combine(today, time(12, 0))
    try:
        parsed = module.parse_time(pre + name, time_base=base)
        resolved = datetime.strptime(parsed["time"][0], "%Y-%m-%d %H:%M:%S").date()
        if resolved < today and not pre:  # this year's is over: the next one
            parsed = module.parse_time("明年" + name, time_base=base)
            resolved = datetime.strptime(parsed["time"][0], "%Y-%m-%d %H:%M:%S").date()
    except Exception:  # jionlp raises on anything it cannot parse
        return None
    return resolved


def resolve_date(text: str, today: date) -> date | None:
    """Resolve the first date expression in ``text`` relative to ``today`` (local date)."""
    resolved = _resolve_rule_date(text, today)
    if resolved is None:
        festival = _FESTIVAL_RE.search(text)
        if festival is not None:
            resolved = _festival_date(festival.group("pre") or "", festival.group("name"), today)
    return resolved


def _resolve_rule_date(text: str, today: date) -> date | None:
    candidates = _date_candidates(text, today)
    candidates.sort(key=lambda item: (item[0], item[1]))
    # Skip overlapping shorter matches and explicitly past expressions.
    covered_until = -1
    for start, neg_len, resolved in candidates:
        if start < covered_until:
            continue
        covered_until = start - neg_len
        if _is_explicit_past(text, start) and resolved < today:
            continue
        return resolved
    return None


def _is_explicit_past(text: str, start: int) -> bool:
    return text.startswith(("昨", "前天", "大前天", "上", "yesterday"), start)


# ---------------------------------------------------------------------------------------------
# Clock times
# ---------------------------------------------------------------------------------------------

_AM_WORDS = ("凌晨", "清晨", "早上", "早晨", "上午", "明早", "今早", "早")
_NOON_WORDS = ("中午", "午")
_PM_WORDS = ("下午", "傍晚", "晚上", "今晚", "明晚", "夜里", "夜晚", "夜间", "晚")
_NIGHT_WORDS = ("晚上", "今晚", "明晚", "夜里", "夜晚", "夜间", "晚")
_PERIOD_RE = re.compile("|".join(sorted(_AM_WORDS + _NOON_WORDS + _PM_WORDS, key=len, reverse=True)))

_CLOCK_RE = re.compile(
    rf"(?P<h>{NUM})(?:点|时(?![间候长数期段]))(?:钟)?"
    rf"(?P<rest>半|一刻|三刻|整|过?(?P<m>{NUM})分?|零(?P<m2>{NUM})分?)?"
)
_DIGITAL_RE = re.compile(r"(?<!\d)(?P<h>\d{1,2})[:：](?P<m>\d{2})(?!\d)\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?")
_AMPM_RE = re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)")
_FIXED_MINUTES: dict[str, int] = {"": 0, "整": 0, "半": 30, "一刻": 15, "三刻": 45}
# "一点" after these characters means "a little" (快一点, 买一点), not one o'clock.
_A_LITTLE_PREFIX = set("快慢多少早晚大小好高低贵买吃喝有点远近轻重再稍")


def _period_before(text: str, start: int) -> str | None:
    """The period word (上午/下午/...) closest before ``start`` within a short window."""
    window = text[max(0, start - 6) : start]
    best: str | None = None
    best_end = -1
    for m in _PERIOD_RE.finditer(window):
        if m.end() >= best_end:
            best, best_end = m.group(0), m.end()
    return best


def _apply_period(hour: int, period: str | None) -> int:
    if hour > 12:
        return hour
    if period is None:
        if 1 <= hour <= 6:
            return hour + 12
        return hour
    if period in _AM_WORDS:
        return 0 if (hour == 12 and period == "凌晨") else hour
    if period in _NOON_WORDS:
        return hour + 12 if 1 <= hour <= 4 else hour
    if hour < 12:
        return hour + 12
    return 0 if period in _NIGHT_WORDS else 12


def _format(hour: int, minute: int) -> str | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return f"{hour:02d}:{minute:02d}"
    return None


def resolve_time(text: str) -> str | None:
    """Return the first clock time said in ``text`` as HH:MM, or None."""
    candidates: list[tuple[int, str]] = []

    for m in _DIGITAL_RE.finditer(text):
        hour, minute = int(m.group("h")), int(m.group("m"))
        ampm = m.group("ampm")
        if ampm:
            hour = _apply_ampm(hour, ampm)
        elif hour <= 12:
            hour = _apply_period(hour, _period_before(text, m.start()))
        formatted = _format(hour, minute)
        if formatted:
            candidates.append((m.start(), formatted))

    for m in _AMPM_RE.finditer(text):
        formatted = _format(_apply_ampm(int(m.group("h")), m.group("ampm")), 0)
        if formatted:
            candidates.append((m.start(), formatted))

    for m in _CLOCK_RE.finditer(text):
        token = m.group("h")
        clock_hour = cn_to_int(token)
        if clock_hour is None:
            continue
        rest = m.group("rest") or ""
        period = _period_before(text, m.start())
        if token == "一" and not rest and not m.group(0).endswith("钟"):
            prev = text[m.start() - 1] if m.start() > 0 else ""
            if prev in _A_LITTLE_PREFIX or period is None or period in ("早", "晚"):
                continue
        minutes = _FIXED_MINUTES.get(rest)
        if minutes is None:
            minutes = cn_to_int(m.group("m") or m.group("m2") or "")
        if minutes is None:
            continue
        formatted = _format(_apply_period(clock_hour, period), minutes)
        if formatted:
            candidates.append((m.start(), formatted))

    if not candidates:
        return None
    candidates.sort(key=lambda item: item[0])
    return candidates[0][1]


def _apply_ampm(hour: int, ampm: str) -> int:
    if ampm.startswith("p") and hour < 12:
        return hour + 12
    if ampm.startswith("a") and hour == 12:
        return 0
    return hour
