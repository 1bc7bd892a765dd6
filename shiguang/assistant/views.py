"""Pages: the chat (works without JavaScript; htmx makes it smoother), history, emergencies, knowledge."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shiguang.accounts.choices import Role
from shiguang.assistant import knowledge, services
from shiguang.assistant import selectors as sel
from shiguang.assistant.choices import ArticleCategory, CountdownStatus
from shiguang.assistant.forms import ArticleForm, MessageForm
from shiguang.core import clock
from shiguang.core.errors import DomainError, Forbidden
from shiguang.core.forms import apply_errors

# A suggestion button sends the Chinese sentence (what the engine understands); its label is translated.
ELDER_SUGGESTIONS = (
    ("报平安", gettext_lazy("报平安")),
    ("我的时间币还有多少", gettext_lazy("我的时间币还有多少")),
    ("最近的服务站在哪", gettext_lazy("最近的服务站在哪")),
    ("明天上午想找人陪我去社康", gettext_lazy("明天上午想找人陪我去社康")),
)
OTHER_SUGGESTIONS = (
    ("时间银行是怎么算的", gettext_lazy("时间银行是怎么算的")),
    ("最近的服务站在哪", gettext_lazy("最近的服务站在哪")),
    ("怎么防诈骗", gettext_lazy("怎么防诈骗")),
    ("幸福同行是什么项目", gettext_lazy("幸福同行是什么项目")),
)


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _chat_context(request: HttpRequest, *, new: bool = False) -> dict[str, Any]:
    user: Any = request.user
    keeps = sel.keeps_conversations(user)
    conversation = None
    if keeps and not new:
        conversation = sel.recent_conversation(user, within_minutes=services.CONVERSATION_GAP_MINUTES)
    return {
        "keeps": keeps,
        "conversation": conversation,
        "history": list(sel.messages_of(conversation)) if conversation else [],
        "open_actions": sel.latest_open_group(user),
        "suggestions": ELDER_SUGGESTIONS if user.role == Role.ELDER else OTHER_SUGGESTIONS,
        "form": MessageForm(initial={"conversation": conversation.pk if conversation else None, "new": new}),
        "new": new,
    }


@login_required
def chat(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    knowledge.warm_up()  # jieba loads in the background while the elder reads and types
    if request.method != "POST":
        return render(
            request, "assistant/chat.html", _chat_context(request, new=request.GET.get("new") == "1")
        )
    form = MessageForm(request.POST)
    form.is_valid()  # every field is optional; a bad hidden id is simply dropped
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    conversation_id = data.get("conversation")
    if conversation_id and not sel.conversations_for(user).filter(pk=conversation_id).exists():
        conversation_id = None  # e.g. deleted in another tab, or consent withdrawn: just carry on
    turn = services.message_handle(
        actor=user,
        text=request.POST.get("text", ""),
        conversation_id=conversation_id,
        new_conversation=bool(data.get("new")),
    )
    if _htmx(request):
        return render(request, "assistant/chat.html#turn", {"turn": turn})
    context = _chat_context(request, new=False)
    # Show this turn with its buttons; earlier stored messages above it.
    history = list(sel.messages_of(turn.conversation)) if turn.conversation else []
    context.update(
        {
            "conversation": turn.conversation,
            "history": history[:-2] if turn.stored else [],
            "turn": turn,
            "open_actions": [],
            "form": MessageForm(
                initial={"conversation": turn.conversation.pk if turn.conversation else None}
            ),
        }
    )
    return render(request, "assistant/chat.html", context)


@login_required
@require_POST
def action_confirm(request: HttpRequest, action_id: int) -> HttpResponse:
    try:
        outcome = services.action_confirm(actor=request.user, action_id=action_id)
    except DomainError as exc:
        if _htmx(request):
            return render(request, "assistant/chat.html#outcome", {"error": exc.message})
        raise
    if _htmx(request):
        return render(request, "assistant/chat.html#outcome", {"outcome": outcome})
    if not outcome.recorded:
        messages.success(request, outcome.reply)
    return redirect("assistant:chat")


@login_required
@require_POST
def action_cancel(request: HttpRequest, action_id: int) -> HttpResponse:
    try:
        services.action_cancel(actor=request.user, action_id=action_id)
    except DomainError as exc:
        if _htmx(request):
            return render(request, "assistant/chat.html#outcome", {"error": exc.message})
        raise
    reply = _("好的，这件事不办了。")
    if _htmx(request):
        return render(request, "assistant/chat.html#outcome", {"cancelled": reply})
    messages.info(request, reply)
    return redirect("assistant:chat")


# --- emergencies --------------------------------------------------------------------------------------------


def _emergency_response(request: HttpRequest, countdown: Any) -> HttpResponse:
    context = {"countdown": countdown}
    if _htmx(request):
        return render(request, "assistant/emergency.html#card", context)
    return render(request, "assistant/emergency.html", context)


@login_required
def emergency(request: HttpRequest, countdown_id: int) -> HttpResponse:
    countdown = sel.countdown_get(request.user, countdown_id)
    if countdown.status == CountdownStatus.COUNTING and countdown.due_at <= clock.now():
        # The countdown is over and no worker has fired it yet: do it now (this page may be all that is left).
        countdown = services.emergency_fire(countdown_id=countdown.pk, actor=request.user, via="page")
    return _emergency_response(request, countdown)


@login_required
@require_POST
def emergency_now(request: HttpRequest, countdown_id: int) -> HttpResponse:
    countdown = services.emergency_fire(countdown_id=countdown_id, actor=request.user, via="button")
    if not _htmx(request):
        return redirect("assistant:emergency", countdown_id=countdown.pk)
    return _emergency_response(request, countdown)


@login_required
@require_POST
def emergency_cancel(request: HttpRequest, countdown_id: int) -> HttpResponse:
    try:
        countdown = services.emergency_cancel(actor=request.user, countdown_id=countdown_id)
    except DomainError as exc:
        if not _htmx(request):
            raise
        countdown = sel.countdown_get(request.user, countdown_id)
        context = {"countdown": countdown, "error": exc.message}
        return render(request, "assistant/emergency.html#card", context)
    if not _htmx(request):
        messages.info(request, _("已取消紧急呼叫。需要帮忙随时跟我说。"))
        return redirect("assistant:chat")
    return _emergency_response(request, countdown)


# --- history ------------------------------------------------------------------------------------------------


@login_required
def history(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    page = Paginator(sel.conversations_for(user), 10).get_page(request.GET.get("page"))
    conversations = [(c, list(sel.messages_of(c))) for c in page]
    return render(
        request,
        "assistant/history.html",
        {"page": page, "conversations": conversations, "keeps": sel.keeps_conversations(user)},
    )


@login_required
@require_POST
def history_delete(request: HttpRequest, conversation_id: int) -> HttpResponse:
    services.conversation_delete(actor=request.user, conversation_id=conversation_id)
    messages.success(request, _("这段对话已经删除，不能恢复。"))
    return redirect("assistant:history")


@login_required
@require_POST
def history_delete_all(request: HttpRequest) -> HttpResponse:
    count = services.conversations_delete_all(actor=request.user)
    if count:
        messages.success(request, _("已删除全部%(n)d段对话，不能恢复。") % {"n": count})
    else:
        messages.info(request, _("没有保存的对话。"))
    return redirect("assistant:history")


# --- knowledge base -----------------------------------------------------------------------------------------


def _editor(request: HttpRequest) -> Any:
    user: Any = request.user
    if not sel.can_edit_articles(user):
        raise Forbidden(_("只有工作人员可以编辑知识库。"))
    return user


@login_required
def articles(request: HttpRequest) -> HttpResponse:
    groups = []
    for value, label in ArticleCategory.choices:
        rows = list(sel.articles_published(category=value))
        if rows:
            groups.append((label, rows))
    return render(
        request,
        "assistant/articles.html",
        {"groups": groups, "can_edit": sel.can_edit_articles(request.user)},
    )


@login_required
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    item = sel.article_get(request.user, article_id)
    paragraphs = [p.strip() for p in item.body.split("\n\n") if p.strip()]
    return render(
        request,
        "assistant/article.html",
        {"article": item, "paragraphs": paragraphs, "can_edit": sel.can_edit_articles(request.user)},
    )


@login_required
def kb_list(request: HttpRequest) -> HttpResponse:
    user = _editor(request)
    query = request.GET.get("q", "").strip()[:60]
    category = request.GET.get("category", "")
    category = category if category in ArticleCategory.values else ""
    trial = request.GET.get("try", "").strip()[:200]
    hits = knowledge.search(trial, limit=3, min_score=0.0) if trial else []
    page = Paginator(sel.articles_for_editor(user, query=query, category=category or None), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assistant/kb_list.html",
        {
            "page": page,
            "query": query,
            "category": category,
            "categories": ArticleCategory.choices,
            "trial": trial,
            "hits": hits,
            "min_score": knowledge.MIN_SCORE,
        },
    )


@login_required
def kb_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    user = _editor(request)
    item = sel.article_get(user, article_id) if article_id is not None else None
    initial = (
        {
            "title": item.title,
            "category": item.category,
            "tags": item.tags,
            "body": item.body,
            "published": item.published,
        }
        if item is not None
        else {"published": True}
    )
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if item is None:
                item = services.article_create(actor=user, **form.cleaned_data)
                messages.success(request, _("文章已创建。"))
            else:
                item = services.article_update(actor=user, article_id=item.pk, changes=form.cleaned_data)
                messages.success(request, _("文章已保存，AI助手下一次回答就会用新内容。"))
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            return redirect("assistant:article", article_id=item.pk)
    return render(request, "assistant/kb_form.html", {"form": form, "article": item})
