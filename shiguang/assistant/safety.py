"""Guards around the understanding engine: input caps, no medical diagnoses, yes/no replies to a proposal,
and stripping personal numbers before anything leaves the platform (the optional LLM)."""

from __future__ import annotations

import re
import unicodedata

from shiguang.assistant.nlu import MAX_INPUT_CHARS
from shiguang.assistant.nlu.normalize import has_content, normalize

# Messages are cut to this many characters before they are understood or stored.
MAX_CHARS = MAX_INPUT_CHARS

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: object) -> tuple[str, bool]:
    """Return (text without control characters and surrounding blanks, capped; whether it was cut)."""
    if not isinstance(text, str):
        return "", False
    text = _CONTROL_RE.sub("", unicodedata.normalize("NFC", text)).strip()
    if len(text) > MAX_CHARS:
        return text[:MAX_CHARS], True
    return text, False


def meaningful(text: str) -> bool:
    """True when the message has at least one letter, digit or Chinese character (not only emoji)."""
    return has_content(normalize(text))


# --- medical diagnosis guard --------------------------------------------------------------------------------
# Questions asking for a diagnosis, a treatment or a medicine decision. Asking for an escort to the doctor
# is a help request and never reaches this guard; a danger happening now is an emergency, handled first.
_DIAGNOSIS_RE = re.compile(
    r"(?:是不是|是啥|是什么|什么|哪种|啥)\s*(?:病|毛病|问题引起)"
    r"|得了(?:什么|啥|哪种)|(?:会不会|是不是|是否)(?:得了|患了|是)?\s*(?:癌|中风|糖尿病|高血压|心脏病|痴呆|肿瘤|肺炎)"
    r"|怎么治|怎样治|如何治|治得好|能治好|怎么医|诊断一下|帮我诊断|给我诊断|看看我是什么病"
    r"|(?:吃|用|服|打|买)(?:什么|啥|哪种|哪个|哪些)药"
    r"|药.{0,8}(?:能不能|可不可以|可以|能|要不要)(?:一起)?(?:吃|停|加|减|换)"
    r"|(?:要不要|该不该|能不能|可不可以|可以)(?:吃|停|加|减|换)(?:药|量)|吃多少(?:片|粒|毫克)|剂量"
    r"|药.{0,12}(?:一起吃|同时吃|混着吃|一起服|一起用)"
    r"|(?:血压|血糖|心率|心跳|体温|尿酸|胆固醇).{0,10}(?:正常吗|高吗|低吗|要紧吗|严重吗|怎么办|算高|算低|有问题吗)"
    r"|(?:头|肚子|胃|腰|腿|膝盖|关节|牙|喉咙|眼睛)[^,.!?，。！？]{0,4}(?:痛|疼|晕|痒|肿)"
    r"[^,.!?，。！？]{0,6}(?:怎么办|吃什么|是什么|怎么回事|要紧吗|严重吗)"
    r"|严重不严重|严不严重|要不要紧|(?:是不是|会不会|算不算)(?:很|太)?(?:严重|要紧|危险)|严重吗|要紧吗"
    r"|\bdiagnos|\bwhat (?:disease|illness)|\bwhich (?:medicine|drug|pill)s?\b|\bdosage\b"
)


def asks_for_diagnosis(normalised: str) -> bool:
    return _DIAGNOSIS_RE.search(normalised) is not None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- yes / no to a proposal ---------------------------------------------------------------------------------
_YES = _words(
    """
    好 好的 好啊 好呀 好吧 好嘞 行 行啊 可以 可以的 确认 确定 是 是的 是啊 对 对的 对啊 没错 嗯 嗯嗯 要 要的
    同意 办吧 发吧 就这样 没问题 ok okay yes yep sure 得 得嘞 确认办理 确认发出 好的确认 好确认
    """
)
_NO = _words(
    """
    不 不要 不用 不用了 不要了 算了 算了吧 取消 不对 错了 不是 不行 别 别办 先不要 先不用 暂时不用 等等
    取消吧 取消了 取消掉 不办了 不发了 no nope cancel 唔要 唔使 不好
    """
)
_STRIP_RE = re.compile(r"[\s,.!?~;:，。！？、…～]+")


def _bare(normalised: str) -> str:
    return _STRIP_RE.sub("", normalised)


def is_yes(normalised: str) -> bool:
    bare = _bare(normalised)
    if bare in _YES:
        return True
    # "好的，谢谢" / "确认，麻烦你了": a yes word first, then a few polite words.
    return (
        len(bare) <= 8
        and any(bare.startswith(w) for w in ("确认", "好的", "可以", "没问题"))
        and not any(w in bare for w in ("不", "没有", "别"))
    )


def is_no(normalised: str) -> bool:
    bare = _bare(normalised)
    # "取消我的求助" is not a "no" to the proposal: it is a request to cancel something, left to the engine.
    return bare in _NO or (len(bare) <= 5 and bare.startswith(("不要了", "不用了", "算了")))


# --- small talk the offline engine answers itself -----------------------------------------------------------
_GREETING_RE = re.compile(
    r"^(?:你好|您好|早上好|上午好|中午好|下午好|晚上好|早晨|早|哈喽|喂|hello|hi|hey|在吗|有人吗)\W*(?:啊|呀)?\W*$"
)
_THANKS_RE = re.compile(r"谢谢|多谢|感谢|麻烦你了|辛苦了|\bthank")
_WHO_RE = re.compile(r"你是谁|你叫什么|你是什么|你是机器人|你是人吗|\bwho are you")
_LATIN_RE = re.compile(r"[a-z]")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def is_greeting(normalised: str) -> bool:
    return _GREETING_RE.search(normalised) is not None


def is_thanks(normalised: str) -> bool:
    return _THANKS_RE.search(normalised) is not None


def asks_who(normalised: str) -> bool:
    return _WHO_RE.search(normalised) is not None


def mostly_english(normalised: str) -> bool:
    latin = len(_LATIN_RE.findall(normalised))
    return latin >= 3 and len(_CJK_RE.findall(normalised)) * 2 < latin


# --- personal numbers never leave the platform ---------------------------------------------------------
_ID_RE = re.compile(
    r"(?<![0-9a-zA-Z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9a-zA-Z])"
)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)|(?<!\d)[2-8]\d{7}(?!\d)")
_CARD_RE = re.compile(r"(?<!\d)\d{12,19}(?!\d)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_ADDRESS_RE = re.compile(
    r"[\u4e00-\u9fff]{0,12}(?:路|街|道|巷|村|花园|小区|大厦|苑)\d+[号栋座](?:[\u4e00-\u9fff\d]{0,10}(?:室|房|楼))?"
)


def redact(text: str) -> str:
    """Replace ID numbers, phone numbers, card numbers, e-mail addresses and street addresses."""
    text = _ID_RE.sub("[身份证号]", text)
    text = _CARD_RE.sub("[号码]", text)
    text = _PHONE_RE.sub("[电话]", text)
    text = _LANDLINE_RE.sub("[电话]", text)
    text = _EMAIL_RE.sub("[邮箱]", text)
    return _ADDRESS_RE.sub("[地址]", text)
