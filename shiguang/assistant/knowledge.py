"""The per-process knowledge-base index: built from the published articles, rebuilt when they change.

Every search compares a cheap fingerprint of the published articles (count, newest edit, highest id) with the
one the cached index was built from, so an edit made in any process (a page, the admin, another web worker) is
picked up by the next question everywhere. jieba is initialised lazily, once per process; the chat page starts
that in a background thread (`warm_up`) so the first question does not pay for it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db.models import Count, Max

from shiguang.assistant.kb_index import Doc, Hit, KBIndex, ensure_jieba, jieba_ready

logger = logging.getLogger(__name__)

MIN_SCORE = 2.0
_lock = threading.Lock()
_cache: dict[str, Any] = {"version": None, "index": None}
_warming = threading.Event()


def _version() -> tuple[Any, ...]:
    from shiguang.assistant.models import KnowledgeArticle

    agg = KnowledgeArticle.objects.filter(published=True).aggregate(
        n=Count("id"), latest=Max("updated_at"), top=Max("id")
    )
    return (agg["n"], agg["latest"], agg["top"])


def _build() -> KBIndex:
    from shiguang.assistant.models import KnowledgeArticle

    docs = [
        Doc(id=a.id, title=a.title, tags=a.tags, body=a.body, key=a.key)
        for a in KnowledgeArticle.objects.filter(published=True).order_by("id")
    ]
    return KBIndex(docs)


def index() -> KBIndex:
    version = _version()
    cached = _cache["index"]
    if cached is not None and _cache["version"] == version:
        return cached  # type: ignore[no-any-return]
    with _lock:
        if _cache["index"] is None or _cache["version"] != version:
            built = _build()
            _cache["index"], _cache["version"] = built, version
            logger.info("assistant knowledge index built: %d articles", len(built))
        return _cache["index"]  # type: ignore[no-any-return]


def invalidate() -> None:
    with _lock:
        _cache["index"], _cache["version"] = None, None


def search(query: str, *, limit: int = 3, min_score: float = MIN_SCORE) -> list[Hit]:
    return index().search(query, limit=limit, min_score=min_score)


def warm_up() -> None:
    """Initialise jieba in a background thread (once per process); returns at once."""
    if jieba_ready() or _warming.is_set():
        return
    _warming.set()

    def run() -> None:
        try:
            ensure_jieba()
        except Exception:  # pragma: no cover - the first search will try again and report
            logger.exception("jieba warm-up failed")
            _warming.clear()

    threading.Thread(target=run, name="assistant-jieba-warmup", daemon=True).start()
