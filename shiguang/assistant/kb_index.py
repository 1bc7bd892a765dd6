"""BM25 retrieval over knowledge articles, tokenised with jieba. No Django here (the benchmark uses it).

jieba loads its dictionary (about half a second) on first use; `ensure_jieba()` does it once per process,
under a lock, with jieba's log lines kept off stdout. After that a query costs well under a millisecond.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# Words jieba should keep whole: the programme's names and the words elders use for them.
DOMAIN_WORDS: tuple[str, ...] = (
    "时光家园",
    "时间银行",
    "时间币",
    "幸福同行",
    "各得其所",
    "合住",
    "长者服务站",
    "服务站",
    "长者服务中心",
    "长者饭堂",
    "社区食堂",
    "驿站",
    "仁和",
    "法律援助",
    "报平安",
    "互助广场",
    "紧急呼叫",
    "公检法",
    "保健品",
    "验证码",
    "高龄津贴",
    "长者卡",
    "优待证",
    "志愿者",
    "义工",
    "陪诊",
    "助餐",
    "社康",
    "星级",
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """
    的 了 吗 呢 吧 啊 呀 嘛 哦 么 是 我 你 您 他 她 它 我们 你们 请问 请 问 一下 一个 个 这 那 这个 那个
    和 与 跟 还 也 都 就 又 在 有 没有 要 想 能 会 可以 可不可以 能不能 是不是 怎么 怎样 如何 什么 啥
    哪 哪里 哪儿 哪个 多少 几 为什么 不 没 很 太 好 给 让 把 被 对 从 到 去 来 上 下 里 中
    哈 嗯 喂 啦 咧 了解 知道 告诉 说 讲 问问
    """
)
_TOKEN_OK = re.compile(r"[\u3400-\u9fffa-z0-9]")
_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")

_jieba_lock = threading.Lock()
_jieba_ready = False


def ensure_jieba() -> Any:
    """Initialise jieba once per process (thread-safe) and return the module."""
    global _jieba_ready
    import jieba

    if _jieba_ready:
        return jieba
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=20000)
            _jieba_ready = True
    return jieba


def jieba_ready() -> bool:
    return _jieba_ready


def tokenize(text: str) -> list[str]:
    """Search-mode tokens, lower-cased, without stopwords and punctuation."""
    jieba = ensure_jieba()
    tokens = []
    for token in jieba.lcut_for_search(text.lower()):
        token = token.strip()
        if not token or token in STOPWORDS or not _TOKEN_OK.search(token):
            continue
        tokens.append(token)
    return tokens


@dataclass(frozen=True)
class Doc:
    id: int
    title: str
    tags: str
    body: str
    key: str | None = None


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    key: str | None
    score: float
    snippet: str


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_SPLIT.split(body.strip()) if p.strip()]


def _shorten(paragraph: str, limit: int) -> str:
    if len(paragraph) <= limit:
        return paragraph
    out = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if out and len(out) + len(sentence) > limit:
            break
        out += sentence
    return out if out else paragraph[: limit - 1] + "…"


class KBIndex:
    """An immutable BM25 index of published articles; build a new one when the articles change."""

    TITLE_WEIGHT = 3
    TAG_WEIGHT = 2

    def __init__(self, docs: Sequence[Doc]) -> None:
        from rank_bm25 import BM25Okapi

        self.docs = list(docs)
        self._paragraph_tokens: list[list[tuple[str, set[str]]]] = []
        corpus: list[list[str]] = []
        for doc in self.docs:
            tags = " ".join(doc.tags.replace("，", ",").replace("、", ",").split(","))
            tokens = tokenize(doc.title) * self.TITLE_WEIGHT + tokenize(tags) * self.TAG_WEIGHT
            paragraphs = []
            for paragraph in _paragraphs(doc.body):
                ptoks = tokenize(paragraph)
                tokens.extend(ptoks)
                paragraphs.append((paragraph, set(ptoks)))
            self._paragraph_tokens.append(paragraphs)
            corpus.append(tokens or ["∅"])
        self._bm25 = BM25Okapi(corpus) if corpus else None
        self._vocab = {t for tokens in corpus for t in tokens}

    def __len__(self) -> int:
        return len(self.docs)

    def search(
        self, query: str, *, limit: int = 3, min_score: float = 1.0, snippet_chars: int = 140
    ) -> list[Hit]:
        if self._bm25 is None:
            return []
        tokens = [t for t in tokenize(query[:500]) if t in self._vocab]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        ranked = sorted(range(len(self.docs)), key=lambda i: -scores[i])
        hits = []
        for i in ranked[:limit]:
            if scores[i] < min_score:
                break
            doc = self.docs[i]
            hits.append(
                Hit(
                    id=doc.id,
                    title=doc.title,
                    key=doc.key,
                    score=round(float(scores[i]), 3),
                    snippet=_shorten(self._best_paragraph(i, tokens), snippet_chars),
                )
            )
        return hits

    def _best_paragraph(self, index: int, tokens: Iterable[str]) -> str:
        paragraphs = self._paragraph_tokens[index]
        if not paragraphs:
            return ""
        idf: dict[str, float] = getattr(self._bm25, "idf", {})
        wanted = set(tokens)

        def weight(item: tuple[int, tuple[str, set[str]]]) -> tuple[float, int]:
            position, (_text, ptoks) = item
            return (sum(max(idf.get(t, 0.0), 0.1) for t in wanted & ptoks), -position)

        _pos, (text, _toks) = max(enumerate(paragraphs), key=weight)
        return text
