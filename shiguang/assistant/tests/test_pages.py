"""The pages: the chat works as a plain form POST (no JavaScript), htmx swaps partials, history and the
knowledge base have pages, and the elder's home page has the tile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shiguang.assistant.models import Conversation, EmergencyCountdown, KnowledgeArticle, PendingAction
from shiguang.assistant.tests.helpers import MON_NOV_30, client_for
from shiguang.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shiguang.assistant.tests.urls")]
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_elder_home_has_the_assistant_tile(elder_a):
    from shiguang.core.home import tiles_for

    tile = next(t for t in tiles_for(elder_a.user) if t.key == "assistant")
    assert (str(tile.label), tile.tone, reverse(tile.url_name)) == ("AI助手", "primary", "/assistant/")


def test_staff_home_links_the_knowledge_base(worker_a, volunteer_a):
    from shiguang.core.home import tiles_for

    assert "assistant-kb" in {t.key for t in tiles_for(worker_a)}
    assert "assistant" in {t.key for t in tiles_for(volunteer_a.user)}


def test_no_tile_when_the_pages_are_not_mounted(elder_a, settings):
    from shiguang.core.home import tiles_for

    settings.ROOT_URLCONF = "shiguang.assistant.tests.urls_without_assistant"
    assert "assistant" not in {t.key for t in tiles_for(elder_a.user)}


def test_chat_page_for_an_elder_without_consent(login, elder_a):
    response = login(elder_a.user).get("/assistant/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "这次说的话不会被保存" in html
    assert 'id="mic-btn"' in html and "hidden" in html.split('id="mic-btn"')[1].split(">")[0]
    assert 'name="text"' in html and 'method="post"' in html
    assert "js/assistant-chat.js" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style


def test_plain_form_post_shows_the_reply_and_the_confirm_button(login, elder_a, fakes, at):
    client = login(elder_a.user)
    with at(MON_NOV_30):
        response = client.post("/assistant/", {"text": "明天上午9点想找人陪我去医院"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "明天上午9点想找人陪我去医院" in html
    assert "我帮您发一个求助：明天上午9点，陪诊。确认吗？" in html
    action = PendingAction.objects.get()
    confirm_url = reverse("assistant:action_confirm", args=[action.pk])
    assert f'action="{confirm_url}"' in html
    with at(MON_NOV_30):
        done = client.post(confirm_url, follow=True)
    assert "求助已经发出去了" in done.content.decode()
    assert fakes.count("help_request_create") == 1


def test_htmx_post_returns_only_the_turn(login, elder_a, fakes, at):
    with at(MON_NOV_30):
        response = login(elder_a.user).post("/assistant/", {"text": "报平安"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'class="turn"' in html
    assert "我帮您报平安" in html and "action-card" in html


def test_htmx_confirm_and_cancel_swap_the_card(login, elder_a, fakes, at):
    client = login(elder_a.user)
    with at(MON_NOV_30):
        client.post("/assistant/", {"text": "报平安"}, **HTMX)
        action = PendingAction.objects.get()
        url = reverse("assistant:action_confirm", args=[action.pk])
        first = client.post(url, **HTMX).content.decode()
        second = client.post(url, **HTMX).content.decode()
    assert "已经帮您报了平安" in first and "<html" not in first
    assert "已经办好了" in second  # shown in the card, not a broken page
    assert fakes.count("checkin_record") == 1


def test_someone_elses_action_cannot_be_confirmed_from_a_page(elder_a, elder_b, fakes, at):
    with at(MON_NOV_30):
        client_for(elder_a.user).post("/assistant/", {"text": "报平安"})
    action = PendingAction.objects.get()
    with at(MON_NOV_30):
        response = client_for(elder_b.user).post(reverse("assistant:action_confirm", args=[action.pk]))
    assert response.status_code in (302, 404)
    assert fakes.count("checkin_record") == 0


def test_with_consent_the_page_shows_the_conversation(login, elder_a, consent, at):
    consent(elder_a.user)
    client = login(elder_a.user)
    with at(MON_NOV_30):
        client.post("/assistant/", {"text": "你好"})
        client.post("/assistant/", {"text": "谢谢你"})
        html = client.get("/assistant/").content.decode()
    assert html.count("bubble-user") == 2 and "不客气" in html
    assert "您同意了保存对话" in html
    conversation = Conversation.objects.get()
    assert f'value="{conversation.pk}"' in html


def test_history_page_and_deletion(login, elder_a, consent, at):
    consent(elder_a.user)
    client = login(elder_a.user)
    with at(MON_NOV_30):
        client.post("/assistant/", {"text": "你好"})
    conversation = Conversation.objects.get()
    assert "你好" in client.get("/assistant/history/").content.decode()
    response = client.post(reverse("assistant:history_delete", args=[conversation.pk]), follow=True)
    assert "这段对话已经删除" in response.content.decode()
    assert not Conversation.objects.exists()
    assert AuditEvent.objects.filter(code="assistant.conversation.deleted").exists()
    with at(MON_NOV_30):
        client.post("/assistant/", {"text": "你好"})
    response = client.post(reverse("assistant:history_delete_all"), follow=True)
    assert "已删除全部1段对话" in response.content.decode()


def test_emergency_page_flow(login, elder_a, fakes, at):
    client = login(elder_a.user)
    with at(MON_NOV_30):
        html = client.post("/assistant/", {"text": "我摔倒了起不来"}).content.decode()
    countdown = EmergencyCountdown.objects.get()
    assert 'class="card emergency-card"' in html and 'data-seconds="10"' in html
    assert 'href="tel:120"' in html and "立即呼叫" in html and "取消，我没事" in html
    with at(MON_NOV_30 + dt.timedelta(seconds=4)):
        page = client.get(reverse("assistant:emergency", args=[countdown.pk])).content.decode()
    assert "秒后发出紧急呼叫" in page and fakes.count("alarm_trigger") == 0
    with at(MON_NOV_30 + dt.timedelta(seconds=11)):  # the status page fires an overdue countdown
        page = client.get(reverse("assistant:emergency", args=[countdown.pk])).content.decode()
    assert "紧急呼叫已经发出" in page and fakes.count("alarm_trigger") == 1


def test_emergency_cancel_from_the_page(login, elder_a, fakes, at):
    client = login(elder_a.user)
    with at(MON_NOV_30):
        client.post("/assistant/", {"text": "救命"})
        countdown = EmergencyCountdown.objects.get()
        card = client.post(
            reverse("assistant:emergency_cancel", args=[countdown.pk]), **HTMX
        ).content.decode()
    assert "已取消紧急呼叫" in card
    with at(MON_NOV_30 + dt.timedelta(seconds=30)):
        assert client.post(reverse("assistant:emergency_now", args=[countdown.pk]), **HTMX).status_code == 200
    assert fakes.count("alarm_trigger") == 0


def test_other_users_cannot_see_an_emergency_page(elder_a, elder_b, fakes, at):
    with at(MON_NOV_30):
        client_for(elder_a.user).post("/assistant/", {"text": "救命"})
    countdown = EmergencyCountdown.objects.get()
    assert (
        client_for(elder_b.user).get(reverse("assistant:emergency", args=[countdown.pk])).status_code == 404
    )


def test_knowledge_pages_for_everyone(login, elder_a, seeded):
    client = login(elder_a.user)
    html = client.get("/assistant/articles/").content.decode()
    assert "防诈骗：平台绝不会向您要钱" in html and "管理知识库" not in html
    article = KnowledgeArticle.objects.get(key="anti-scam")
    page = client.get(reverse("assistant:article", args=[article.pk])).content.decode()
    assert "绝不会让您转账" in page and "编辑" not in page


def test_knowledge_editing_is_for_staff(login, elder_a, worker_a, seeded):
    assert client_for(elder_a.user).get("/assistant/kb/").status_code == 403
    assert client_for(elder_a.user).post("/assistant/kb/new/", {"title": "x"}).status_code in (302, 403)
    staff = client_for(worker_a)
    listing = staff.get("/assistant/kb/?try=时间币可以换钱吗").content.decode()
    assert "时间币能做什么：兑换、转赠和星级" in listing
    response = staff.post(
        "/assistant/kb/new/",
        {
            "title": "社康预约",
            "category": "programme",
            "tags": "社康",
            "body": "社康可以电话预约。",
            "published": "on",
        },
    )
    article = KnowledgeArticle.objects.get(title="社康预约")
    assert response.status_code == 302 and article.updated_by == worker_a
    invalid = staff.post(
        reverse("assistant:kb_edit", args=[article.pk]), {"title": "", "category": "programme", "body": ""}
    )
    assert invalid.status_code == 200 and "errorlist" in invalid.content.decode()
    staff.post(
        reverse("assistant:kb_edit", args=[article.pk]),
        {"title": "社康怎么预约", "category": "programme", "tags": "社康", "body": "社康可以电话预约。"},
    )
    article.refresh_from_db()
    assert article.title == "社康怎么预约" and article.published is False
    assert client_for(elder_a.user).get(reverse("assistant:article", args=[article.pk])).status_code == 404


def test_pages_need_sign_in(client):
    response = client.get("/assistant/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_stale_conversation_id_on_the_page_is_ignored(login, elder_a, elder_b, consent, at):
    consent(elder_b.user)
    with at(MON_NOV_30):
        others = client_for(elder_b.user).post("/assistant/", {"text": "你好"})
    assert others.status_code == 200
    foreign = Conversation.objects.get().pk
    with at(MON_NOV_30):
        response = login(elder_a.user).post("/assistant/", {"text": "你好", "conversation": foreign})
    assert response.status_code == 200 and "我是AI助手" in response.content.decode()
    assert Conversation.objects.get().user == elder_b.user  # nothing added to someone else's
