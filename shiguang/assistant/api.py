"""The assistant's JSON API (mounted at /api/v1/assistant/). Thin: every decision is in services/selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from shiguang.assistant import knowledge, services
from shiguang.assistant import selectors as sel
from shiguang.assistant.choices import CountdownStatus
from shiguang.assistant.schemas import (
    ActionOut,
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    AssistantConfirmIn,
    ConversationList,
    ConversationOut,
    EmergencyOut,
    MessageIn,
    OutcomeOut,
    SearchHitOut,
    TurnOut,
    action_row,
    article_row,
    emergency_row,
    outcome_row,
    turn_row,
)
from shiguang.core import clock
from shiguang.core.api import responses, user_of
from shiguang.core.errors import Forbidden, ValidationFailed

router = Router()


def _conversation_row(conversation: Any) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "started_at": conversation.started_at,
        "last_message_at": conversation.last_message_at,
        "messages": [
            {"id": m.pk, "role": m.role, "text": m.text, "intent": m.intent, "created_at": m.created_at}
            for m in sel.messages_of(conversation)
        ],
    }


@router.post(
    "/messages",
    response=responses(TurnOut),
    summary="Send a message; get the reply, a proposed action (to confirm) and the conversation id",
    description=(
        "Emergencies start the SOS countdown at once (see `emergency`); every other action is only proposed "
        "(`action` / `options`) and done after `POST /confirm`. The conversation is stored only with the "
        "user's conversation consent (`stored`); `conversation_id` is null otherwise."
    ),
)
def message(request: HttpRequest, payload: MessageIn) -> dict[str, Any]:
    turn = services.message_handle(
        actor=user_of(request),
        text=payload.text,
        conversation_id=payload.conversation_id,
        new_conversation=payload.new_conversation,
    )
    return turn_row(turn)


@router.post(
    "/confirm", response=responses(OutcomeOut), summary="Confirm a proposed action (yours, not expired)"
)
def confirm(request: HttpRequest, payload: AssistantConfirmIn) -> dict[str, Any]:
    return outcome_row(services.action_confirm(actor=user_of(request), action_id=payload.action_id))


@router.get("/actions", response=responses(list[ActionOut]), summary="My proposals still waiting for a yes")
def actions(request: HttpRequest) -> list[dict[str, Any]]:
    return [action_row(a) for a in sel.open_actions(user_of(request))[:20]]


@router.post("/actions/{action_id}/cancel", response=responses(ActionOut), summary="Say no to a proposal")
def action_cancel(request: HttpRequest, action_id: int) -> dict[str, Any]:
    return action_row(services.action_cancel(actor=user_of(request), action_id=action_id))


@router.get("/conversations", response=responses(ConversationList), summary="My stored conversations")
def conversations(request: HttpRequest, offset: int = 0, limit: int = 20) -> dict[str, Any]:
    if offset < 0 or not 1 <= limit <= 100:
        raise ValidationFailed(fields={"limit": ["1–100"], "offset": [">= 0"]})
    user = user_of(request)
    qs = sel.conversations_for(user)
    return {
        "consent": sel.keeps_conversations(user),
        "count": qs.count(),
        "items": [_conversation_row(c) for c in qs[offset : offset + limit]],
    }


@router.get(
    "/conversations/{conversation_id}", response=responses(ConversationOut), summary="One conversation"
)
def conversation(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    return _conversation_row(sel.conversation_get(user_of(request), conversation_id))


@router.delete(
    "/conversations/{conversation_id}",
    response=responses(None, 204),
    summary="Delete a conversation and its messages (cannot be undone)",
)
def conversation_delete(request: HttpRequest, conversation_id: int) -> Status[None]:
    services.conversation_delete(actor=user_of(request), conversation_id=conversation_id)
    return Status(204, None)


@router.delete("/conversations", response=responses(None, 204), summary="Delete all my conversations")
def conversations_delete(request: HttpRequest) -> Status[None]:
    services.conversations_delete_all(actor=user_of(request))
    return Status(204, None)


@router.get("/emergencies/{countdown_id}", response=responses(EmergencyOut), summary="An emergency countdown")
def emergency(request: HttpRequest, countdown_id: int) -> dict[str, Any]:
    user = user_of(request)
    countdown = sel.countdown_get(user, countdown_id)
    if countdown.status == CountdownStatus.COUNTING and countdown.due_at <= clock.now():
        countdown = services.emergency_fire(countdown_id=countdown.pk, actor=user, via="api")
    return emergency_row(countdown)


@router.post(
    "/emergencies/{countdown_id}/now", response=responses(EmergencyOut), summary="Raise the SOS alarm now"
)
def emergency_now(request: HttpRequest, countdown_id: int) -> dict[str, Any]:
    return emergency_row(
        services.emergency_fire(countdown_id=countdown_id, actor=user_of(request), via="button")
    )


@router.post(
    "/emergencies/{countdown_id}/cancel",
    response=responses(EmergencyOut),
    summary="Cancel before the alarm goes out (it was a mistake)",
)
def emergency_cancel(request: HttpRequest, countdown_id: int) -> dict[str, Any]:
    return emergency_row(services.emergency_cancel(actor=user_of(request), countdown_id=countdown_id))


@router.get("/articles", response=responses(list[ArticleOut]), summary="Knowledge-base articles")
def articles(
    request: HttpRequest, category: str = "", q: str = "", include_unpublished: bool = False
) -> list[dict[str, Any]]:
    user = user_of(request)
    if include_unpublished:
        if not sel.can_edit_articles(user):
            raise Forbidden()
        qs = sel.articles_for_editor(user, query=q[:60], category=category or None)
    else:
        qs = sel.articles_published(category=category or None)
        if q:
            qs = qs.filter(title__icontains=q[:60]) | qs.filter(tags__icontains=q[:60])
    return [article_row(a) for a in qs.select_related("updated_by")[:200]]


@router.get("/search", response=responses(list[SearchHitOut]), summary="What the assistant would answer from")
def search(request: HttpRequest, q: str) -> list[dict[str, Any]]:
    if not q.strip():
        raise ValidationFailed(fields={"q": ["required"]})
    return [
        {"id": h.id, "title": h.title, "score": h.score, "snippet": h.snippet}
        for h in knowledge.search(q[:200], limit=5)
    ]


@router.get("/articles/{article_id}", response=responses(ArticleOut), summary="One article")
def article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    return article_row(sel.article_get(user_of(request), article_id))


@router.post("/articles", response=responses(ArticleOut, 201), summary="Write an article (staff)")
def article_create(request: HttpRequest, payload: ArticleIn) -> Status[dict[str, Any]]:
    article = services.article_create(actor=user_of(request), **payload.dict())
    return Status(201, article_row(article))


@router.patch("/articles/{article_id}", response=responses(ArticleOut), summary="Edit an article (staff)")
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatch) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return article_row(
        services.article_update(actor=user_of(request), article_id=article_id, changes=changes)
    )
