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

_DANGER_PATTERNS: tuple[str, ...] = (
    # falls
    r"摔倒|跌倒|滑倒|绊倒|摔了一?[跤交]|摔了个[跤交]|摔跤|跌了一?[跤交]|摔伤|跌伤|摔下来|从.{1,4}[摔跌]下来",
    r"[起爬站]不起来|起不来|起不了身|起不到身|动不了|站不稳了",
    # chest / breathing / heart / stroke
    r"(?:胸口|心口|胸部|心脏)(?:好|很|非常|特别|有点|突然|剧烈|一阵)?(?:痛|疼|闷|绞痛|不舒服)",
    r"胸痛|胸闷|心绞痛|心脏病发|心梗|心肌梗",
    r"喘不[上过]气|透不[过上]气|上不来气|呼吸困难|不能呼吸|没有呼吸|没了呼吸|停止呼吸|憋气",
    r"中风|口眼歪|嘴歪了|半边身",
    # fire / gas
    r"着火|起火|失火|火灾|烧起来|火警|冒烟了|好大的?烟",
    r"(?:煤气|燃气|天然气|石油气|液化气)(?:泄漏|泄露|漏了|漏气|漏)|(?:煤气|燃气|天然气|石油气)味|漏气了",
    # intruders
    r"撬门|撬锁|撬我|小偷|有贼|进贼|坏人|闯进|闯入|入室|抢劫|打劫|砸门",
    # unconscious
    r"晕倒|晕过去|晕了过去|昏倒|昏迷|叫不醒|不省人事|失去知觉|休克|没反应了|抽搐",
    # bleeding / injuries
    r"流(?:了)?(?:好多|很多|大量|好大)?血|大出血|血流不止|头破了|骨折",
    # explicit calls for help
    r"救命|救救我|快来人|来人啊|救护车|急救|报警|(?:打|叫|拨|call|快)\s*(?:120|110|119)|^(?:120|110|119)\W*$",
    # English
    r"\bi fell\b|\bi(?: have|'ve) fallen\b|\bfell down\b|can'?t get up|cannot get up|chest pain|heart attack"
    r"|can'?t breathe|cannot breathe|\bambulance\b|\bemergency\b|\bsos\b|\bunconscious\b|passed out"
    r"|\bfire\b|gas leak|\bburglar|\bthief\b|\bintruder|\bstroke\b|\bbleeding\b",
    r"^\W*(?:please\s+)?help(?:\s+me)?(?:\s+please)?\W*$|\bhelp\s*!|\bhelp me\s*!",
)
_DANGER_RE = re.compile("|".join(f"(?:{p})" for p in _DANGER_PATTERNS))

# Negation directly before the cue (within a few characters).
_NEGATION_RE = re.compile(r"(?:没|没有|不|未|别|不是|并没有|差点|差一点|险些|几乎|防止|防)\W{0,1}$")
# Hypothetical or "what should I do" wording anywhere in the sentence.
_HYPOTHETICAL_RE = re.compile(
    r"如果|假如|万一|要是|假设|假若|的话|怎么办|怎么处理|如何处理|该怎么|应该怎么|要怎么|怎样处理|怎么做"
    r"|怎么预防|如何预防|预防|避免|防止|注意什么|注意事项|会不会|是什么原因|为什么会|知识|培训|讲座|演练"
    r"|\bif\b|\bwhat should\b|\bhow to\b|\bprevent"
)
# Worry / fear about a danger is not the danger itself.
_FEAR_RE = re.compile(r"(?:怕|害怕|担心|担忧|恐怕|小心|防)\S{0,3}$")
_PAST_RE = re.compile(
    r"上个?月|去年|前年|上次|上回|以前|之前|曾经|前几天|前些天|前段时间|几年前|几个月前|那次|那时|小时候"
    r"|上个?星期|上个?礼拜|上周|昨天|昨晚|前天|\blast (?:week|month|year)\b|\byesterday\b|\bago\b"
)
_PRESENT_RE = re.compile(r"现在|刚才|刚刚|刚|正在|此刻|马上|快点|还在|还是|又|\bnow\b|\bjust\b")
_EXPERIENTIAL_RE = re.compile(r"^过")  # 摔过 / 晕过: experience in the past


@dataclass(frozen=True)
class EmergencyResult:
    is_emergency: bool
    # True when a danger cue was present but guarded as hypothetical (a question about what to do).
    hypothetical: bool = False
    # True when a danger cue was present but negated or in the past.
    guarded: bool = False


def detect(text: str) -> EmergencyResult:
    """Decide whether normalised ``text`` reports a danger happening now."""
    hypothetical_sentence = _HYPOTHETICAL_RE.search(text) is not None
    any_cue = False
    any_hypo = False
    for m in _DANGER_RE.finditer(text):
        any_cue = True
        start, end = m.start(), m.end()
        before = text[:start]
        if _NEGATION_RE.search(before[-4:]):
            continue
        if _EXPERIENTIAL_RE.match(text[end : end + 1]):
            continue
        if hypothetical_sentence or _FEAR_RE.search(before[-5:]):
            any_hypo = True
            continue
        past = None
        for past in _PAST_RE.finditer(before):  # noqa: B007 - keep the last past marker
            pass
        if past is not None and _PRESENT_RE.search(before[past.end() :]) is None:
            continue
        return EmergencyResult(True)
    return EmergencyResult(False, hypothetical=any_hypo, guarded=any_cue)
