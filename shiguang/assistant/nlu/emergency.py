"""Emergency detector: danger happening now, with past / hypothetical / negation guards.

A danger cue (a fall, chest pain, fire, gas leak, intruder, someone unconscious, a call for an
ambulance) counts only when:
  * it is not negated just before (我没摔倒, 不是着火, 差点摔倒);
  * it is not hypothetical or a question about what to do (如果摔倒了怎么办, 怕摔倒, 怎么预防跌倒);
  * it is not told as the past (上个月摔了一跤, 去年着火, 摔过) unless a present marker (现在, 刚才)
    sits between the past marker and the cue (昨天摔了，现在还是起不来).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Who can be in danger (used where a cue alone is ambiguous: 水倒在地上 vs 老伴倒在地上).
_PERSON = r"(?:我|他|她|人|老伴|老公|老婆|阿婆|阿公|阿伯|妈|爸|奶奶|爷爷|外婆|外公|邻居)"

_DANGER_PATTERNS: tuple[str, ...] = (
    # falls
    r"摔倒|跌倒|滑倒|绊倒|摔了一?[跤交]|摔了个[跤交]|摔跤|跌了一?[跤交]|摔伤|跌伤|摔下来|从.{1,4}[摔跌]下来"
    rf"|{_PERSON}(?:摔|跌)了(?=$|[,.!~ 啊呀]|下|在|到|个?一?[跤交])|[摔跌滚](?:了|下)?(?:落|下)?楼梯"
    rf"|{_PERSON}[^,.!?]{{0,4}}?(?:倒在地上|躺在地上|倒地|一动不动|叫.{{0,2}}不动|没有?动静)",
    r"[起爬站]不起来|起不来|起不了身|起不到身|动不了|站不稳了",
    # chest / breathing / heart / stroke
    r"(?:胸口|心口|胸部|心脏)[^,.!?不没]{0,8}?(?:痛|疼|闷|不舒服)",
    r"胸痛|胸闷|心绞痛|心脏病发|心梗|心肌梗",
    r"喘不[上过]气|透不[过上]气|上不来气|呼吸困难|不能呼吸|没有呼吸|没了呼吸|停止呼吸|憋气",
    r"中风|口眼歪|嘴歪|嘴巴歪|口歪|半边身|(?<!得)说不出话|(?<!得)说不了话|(?<!得)讲不出话|卡住了?喉|喉咙.{0,4}卡|噎住|哽住",
    # fire / gas
    r"着火|起火|失火|火灾|烧起来|烧着|火烧到|火警(?!器|报警器)|冒烟了|好大的?烟",
    r"(?:煤气|燃气|天然气|石油气|液化气)(?:泄漏|泄露|漏了|漏气|漏)|(?:煤气|燃气|天然气|石油气)味|漏气了",
    # intruders
    r"撬门|撬锁|撬我|小偷|有贼|进贼|坏人|闯进|闯入|入室|抢劫|打劫|砸门",
    # unconscious
    r"晕倒|晕过去|晕了过去|昏倒|昏迷|叫不醒|不省人事|失去知觉|休克|没反应了|抽搐",
    # bleeding / injuries
    r"流(?:了)?(?:好多|很多|大量|好大)?血|大出血|血流不止|头破了|骨折",
    # explicit calls for help
    r"救命|救救我|救我|救下我|救吓我|快来人|来人啊|救护车|(?:叫|打|要|需要|快)急救|报警(?!器)|(?:打|叫|拨|call|快)\s*(?:120|110|119)|^(?:120|110|119)\W*$",
    # English
    r"\bi fell\b|\bi(?: have|'ve) fallen\b|\bfell down\b|can'?t get up|cannot get up|chest pain|heart attack"
    r"|can'?t breathe|cannot breathe|\bambulance\b|\bemergency\b|\bsos\b|\bunconscious\b|passed out"
    r"|\bfire\b|gas leak|\bburglar|\bthief\b|\bintruder|\bstroke\b|\bbleeding\b",
    r"^\W*(?:please\s+)?help(?:\s+me)?(?:\s+please)?\W*$|\bhelp\s*!|\bhelp me\s*!",
)
_DANGER_RE = re.compile("|".join(f"(?:{p})" for p in _DANGER_PATTERNS))

# Negation directly before the cue (within a few characters).
_NEGATION_RE = re.compile(r"(?:没|没有|不|未|别|不是|并没有|差点|差一点|险些|几乎|防止|防)\W{0,1}$")
# Conditional wording anywhere in the sentence: the danger is imagined, not happening.
_CONDITIONAL_RE = re.compile(r"如果|假如|万一|要是|假设|假若|的话|\bif\b|\bin case\b")
# "What should one do / how to prevent" wording: a question about the rules, unless the sentence
# also carries an immediate-state cue (我摔倒了起不来怎么办 is still an emergency).
_HOWTO_RE = re.compile(
    r"怎么办|怎么处理|如何处理|该怎么|应该怎么|要怎么|怎样处理|怎么做|怎么预防|如何预防|预防|避免|防止"
    r"|注意什么|注意事项|知识|培训|讲座|演练|课程|应该(?:先|怎么|做|干|打|去|要)|做什么|打哪个|打什么电话"
    r"|\bwhat should\b|\bhow to\b|\bprevent"
)
_IMMEDIATE_RE = re.compile(
    r"现在|刚才|刚刚|正在|此刻|快来|快点|救命|救救|[起爬站]不起来|起不来|动不了|120|救护车|\bnow\b|\bhelp\b"
)
# Worry / fear about a danger is not the danger itself.
_FEAR_RE = re.compile(r"(?:怕|害怕|担心|担忧|恐怕|小心|防)\S{0,3}$")
# Habitual wording (老是, 经常) describes a pattern, not something happening now; it is treated
# like a past marker (overridden by a later present marker: 经常晕倒，现在又晕倒了).
_HABITUAL = r"|老是|经常|总是|常常|时常|有时候|有时(?!间)|偶尔|每次|动不动就"
_PAST_RE = re.compile(
    r"上个?月|去年|前年|上次|上回|以前|之前|曾经|前几天|前些天|前段时间|几年前|几个月前|那次|那时|小时候"
    r"|上个?星期|上个?礼拜|上周|昨天|昨晚|前天|\blast (?:week|month|year)\b|\byesterday\b|\bago\b" + _HABITUAL
)
_PRESENT_RE = re.compile(
    r"现在|刚才|刚刚|刚|正在|此刻|马上|快点|还在|还是|今天|今早|今晚|又|\bnow\b|\bjust\b"
)
_EXPERIENTIAL_RE = re.compile(r"^过")  # 摔过 / 晕过: experience in the past
_CLAUSE_BREAK_RE = re.compile(r"[,.!?;:]")
# Past marker or "...的事" later in the same clause: 摔倒是上个月的事.
_PAST_AFTER_RE = re.compile(r"^[^,.!?;:]{0,8}?(?:的事|那次|" + _PAST_RE.pattern + ")")


@dataclass(frozen=True)
class EmergencyResult:
    is_emergency: bool
    # True when a danger cue was present but guarded as hypothetical (a question about what to do).
    hypothetical: bool = False
    # True when a danger cue was present but negated or in the past.
    guarded: bool = False


def _clause_start(text: str, index: int) -> int:
    """Index where the clause containing ``index`` begins."""
    breaks = [m.end() for m in _CLAUSE_BREAK_RE.finditer(text, 0, index)]
    return breaks[-1] if breaks else 0


def _scoped_marker(pattern: re.Pattern[str], text: str, cue_start: int) -> re.Match[str] | None:
    """The last ``pattern`` match before the cue that scopes over it.

    A marker scopes over a cue in its own clause, or in the next clause when the marker stands
    alone as a short lead-in (上个月，我摔了一跤).
    """
    clause_start = _clause_start(text, cue_start)
    last: re.Match[str] | None = None
    for last in pattern.finditer(text, 0, cue_start):  # noqa: B007 - keep the last marker
        pass
    if last is None:
        return None
    if last.start() >= clause_start:
        return last
    marker_clause_start = _clause_start(text, last.start())
    marker_clause = text[marker_clause_start:clause_start].rstrip(",.!?;: ")
    lead_in_only = len(marker_clause) <= len(last.group(0)) + 2
    between = text[last.end() : cue_start]
    if lead_in_only and len(_CLAUSE_BREAK_RE.findall(between)) == 1:
        return last
    return None


def detect(text: str) -> EmergencyResult:
    """Decide whether normalised ``text`` reports a danger happening now."""
    howto = _HOWTO_RE.search(text) is not None and _IMMEDIATE_RE.search(text) is None
    any_cue = False
    any_hypo = False
    for m in _DANGER_RE.finditer(text):
        any_cue = True
        start, end = m.start(), m.end()
        before = text[:start]
        if _NEGATION_RE.search(before[-4:]):
            continue
        after = text[end:]
        if _EXPERIENTIAL_RE.match(after) or _PAST_AFTER_RE.match(after):
            continue
        conditional = (
            _scoped_marker(_CONDITIONAL_RE, text, start) is not None
            or re.match(r"^[^,.!?;:]{0,4}的话", after) is not None
        )
        if conditional or howto:
            any_hypo = True
            continue
        if _FEAR_RE.search(before[-5:]):
            continue
        past = _scoped_marker(_PAST_RE, text, start)
        if past is not None and _PRESENT_RE.search(text, past.end(), start) is None:
            continue
        return EmergencyResult(True)
    return EmergencyResult(False, hypothetical=any_hypo, guarded=any_cue)
