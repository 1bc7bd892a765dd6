"""Demo data for the assistant: the knowledge base (a flushed demo database has lost the migration's
articles) and, for the demo elder, a short saved conversation (with a recorded conversation consent)."""

from __future__ import annotations

import random

from shiguang.accounts.choices import ConsentCategory, ConsentMethod, Role
from shiguang.accounts.models import User

DEMO_TURNS = ("你好", "最近的服务站在哪", "时间银行是怎么算的", "有人打电话要我转账，是不是骗子")


def build(*, scale: str, rng: random.Random) -> str:
    from shiguang.accounts import services as account_services
    from shiguang.assistant import knowledge, selectors, services
    from shiguang.assistant.knowledge_seed import seed_articles
    from shiguang.assistant.models import KnowledgeArticle

    created = seed_articles(KnowledgeArticle)
    knowledge.invalidate()
    elder = User.objects.filter(is_demo=True, role=Role.ELDER, username="demo-elder").first()
    worker = User.objects.filter(username="worker").first()
    turns = 0
    if elder is not None and worker is not None:
        if not selectors.keeps_conversations(elder):
            account_services.consent_grant(
                actor=worker,
                subject=elder,
                category=ConsentCategory.CONVERSATION,
                method=ConsentMethod.PAPER,
                note="演示：同意保存AI助手对话",
            )
        if not selectors.conversations_for(elder).exists():
            for text in DEMO_TURNS:
                services.message_handle(actor=elder, text=text)
                turns += 1
    articles = KnowledgeArticle.objects.filter(published=True).count()
    return f"{articles} knowledge articles ({created} loaded now), {turns} demo conversation turns"
