"""The demo builder: knowledge base back after a flush, a saved sample conversation for the demo elder."""

from __future__ import annotations

import random

import pytest

from shiguang.accounts.models import User
from shiguang.assistant import demo
from shiguang.assistant.knowledge_seed import ARTICLES
from shiguang.assistant.models import Conversation, KnowledgeArticle, Message

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]


def test_demo_build_is_idempotent(elder_a, worker_a):
    User.objects.filter(pk=elder_a.user.pk).update(username="demo-elder", is_demo=True)
    User.objects.filter(pk=worker_a.pk).update(username="worker")
    KnowledgeArticle.objects.all().delete()  # as after `demo_data --reset` (a full flush)
    n = len(ARTICLES)
    first = demo.build(scale="tiny", rng=random.Random(1))
    assert first == f"{n} knowledge articles ({n} loaded now), {len(demo.DEMO_TURNS)} demo conversation turns"
    assert Conversation.objects.filter(user__username="demo-elder").count() == 1
    assert Message.objects.count() == 2 * len(demo.DEMO_TURNS)
    assert "里说" in Message.objects.filter(role="assistant").order_by("id")[2].text
    second = demo.build(scale="tiny", rng=random.Random(1))
    assert second == f"{n} knowledge articles (0 loaded now), 0 demo conversation turns"
