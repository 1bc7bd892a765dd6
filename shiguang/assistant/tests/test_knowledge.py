"""The knowledge base: seeded by a data migration, retrieved with jieba + BM25, rebuilt on change."""

from __future__ import annotations

import pytest

from shiguang.assistant import knowledge, services
from shiguang.assistant.kb_index import Doc, KBIndex, tokenize
from shiguang.assistant.knowledge_seed import ARTICLES, seed_articles
from shiguang.assistant.models import KnowledgeArticle
from shiguang.assistant.tests.helpers import say
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]


def test_the_migration_seeds_every_required_topic(seeded):
    categories = set(KnowledgeArticle.objects.values_list("category", flat=True))
    assert categories == {"programme", "timebank", "homeshare", "legal", "stations", "anti_scam"}
    assert KnowledgeArticle.objects.filter(key="stations").exists()
    scam = KnowledgeArticle.objects.get(key="anti-scam").body
    assert "绝不会向您要钱" in scam and "银行卡" in scam
    assert seed_articles(KnowledgeArticle) == 0  # re-seeding never duplicates or overwrites


def test_tokenizer_keeps_programme_words_whole():
    tokens = tokenize("时间银行的时间币怎么算？幸福同行在哪里申请")
    assert {"时间银行", "时间币", "幸福同行", "申请"} <= set(tokens)
    assert "的" not in tokens and "？" not in tokens


def test_index_ranks_the_right_article_without_a_database():
    index = KBIndex(
        [Doc(i, title, tags, body, key) for i, (key, _c, title, tags, body) in enumerate(ARTICLES)]
    )
    hits = index.search("接到电话说我孙子出事了要我转账，是不是骗子")
    assert hits and hits[0].key == "anti-scam-common"
    assert "冒充家人" in hits[0].snippet  # the paragraph that matches, not the first one
    assert index.search("你好") == []  # only stopwords: nothing to match
    assert index.search("") == []


def test_the_index_is_cached_and_rebuilt_when_an_article_changes(worker_a, seeded):
    first = knowledge.index()
    assert knowledge.index() is first
    article = services.article_create(
        actor=worker_a,
        title="社区游泳池开放规定",
        category="stations",
        tags="游泳池,游泳,泳池",
        body="社区游泳池夏天开放，长者游泳请结伴，带好泳帽。",
    )
    second = knowledge.index()
    assert second is not first
    assert knowledge.search("游泳池几点开")[0].id == article.pk
    services.article_update(actor=worker_a, article_id=article.pk, changes={"published": False})
    assert all(hit.id != article.pk for hit in knowledge.search("游泳池几点开", min_score=0))


def test_an_edit_in_another_process_is_seen(seeded):
    before = knowledge.index()
    # Written straight to the database, as another web process would.
    KnowledgeArticle.objects.create(
        title="广场舞噪音公约", category="programme", body="广场舞晚上九点前结束。"
    )
    assert knowledge.index() is not before
    assert knowledge.search("广场舞噪音")[0].title == "广场舞噪音公约"


def test_an_edited_answer_is_what_the_elder_hears(elder_a, worker_a, seeded):
    article = KnowledgeArticle.objects.get(key="timebank-rules")
    body = article.body.replace("志愿服务1小时记1个时间币", "志愿服务1小时记1.5个时间币（试行）")
    services.article_update(actor=worker_a, article_id=article.pk, changes={"body": body})
    assert "1小时记1.5个时间币" in say(elder_a.user, "时间银行是怎么算的").reply


def test_article_validation_and_permissions(elder_a, worker_a):
    with pytest.raises(Forbidden):
        services.article_create(actor=elder_a.user, title="x", category="programme", body="y")
    with pytest.raises(ValidationFailed) as exc:
        services.article_create(actor=worker_a, title=" ", category="nope", body="", tags="x" * 201)
    assert set(exc.value.fields) == {"title", "category", "body", "tags"}
    article = services.article_create(actor=worker_a, title="t", category="legal", body="b")
    with pytest.raises(ValidationFailed):
        services.article_update(actor=worker_a, article_id=article.pk, changes={"key": "hijack"})
    assert AuditEvent.objects.filter(code="assistant.article.created").count() == 1


def test_admin_saves_go_through_the_service(worker_a, seeded, client):
    client.force_login(worker_a, backend="shiguang.accounts.backends.PhoneOrUsernameBackend")
    article = KnowledgeArticle.objects.get(key="meals")
    response = client.post(
        f"/admin/assistant/knowledgearticle/{article.pk}/change/",
        {"title": article.title, "category": article.category, "tags": article.tags, "body": "新的正文。"},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "新的正文。" and article.updated_by == worker_a and article.published is False
    assert AuditEvent.objects.filter(code="assistant.article.updated").exists()
