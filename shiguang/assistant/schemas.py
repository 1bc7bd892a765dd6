from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from shiguang.assistant import integrations, services
from shiguang.assistant.models import EmergencyCountdown, KnowledgeArticle, PendingAction


class MessageIn(Schema):
    # Any length is accepted: the assistant reads the first 500 characters and says so.
    text: str = ""
    conversation_id: int | None = None
    new_conversation: bool = False


class AssistantConfirmIn(Schema):
    action_id: int


class LinkOut(Schema):
    label: str
    url: str


class ActionOut(Schema):
    id: int
    kind: str
    kind_label: str
    summary: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime


class EmergencyOut(Schema):
    id: int
    status: str
    status_label: str
    fires_at: dt.datetime
    seconds_left: int
    alarm_id: str
    error: str
    hotlines: list[str]
    sos_url: str | None


class ArticleRef(Schema):
    id: int
    title: str
    url: str | None


class StationOut(Schema):
    id: int
    name: str
    level: str
    level_label: str
    address: str
    opening_hours: str
    distance_m: int


class OutcomeOut(Schema):
    action: ActionOut
    reply: str
    links: list[LinkOut]
    result: dict[str, Any]


class TurnOut(Schema):
    conversation_id: int | None
    stored: bool
    text: str
    reply: str
    notice: str
    intent: str
    slots: dict[str, Any]
    provider: str
    action: ActionOut | None
    options: list[ActionOut]
    emergency: EmergencyOut | None
    hotline: bool
    hotlines: list[str]
    article: ArticleRef | None
    station: StationOut | None
    links: list[LinkOut]
    outcome: OutcomeOut | None


class MessageOut(Schema):
    id: int
    role: str
    text: str
    intent: str
    created_at: dt.datetime


class ConversationOut(Schema):
    id: int
    started_at: dt.datetime
    last_message_at: dt.datetime
    messages: list[MessageOut]


class ConversationList(Schema):
    consent: bool
    count: int
    items: list[ConversationOut]


class ArticleOut(Schema):
    id: int
    key: str | None
    title: str
    category: str
    category_label: str
    tags: list[str]
    body: str
    published: bool
    updated_at: dt.datetime
    updated_by: str | None


class ArticleIn(Schema):
    title: str = Field(..., max_length=120)
    category: str
    tags: str = Field("", max_length=200)
    body: str = Field(..., max_length=20000)
    published: bool = True


class ArticlePatch(Schema):
    title: str | None = Field(None, max_length=120)
    category: str | None = None
    tags: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=20000)
    published: bool | None = None


class SearchHitOut(Schema):
    id: int
    title: str
    score: float
    snippet: str


# --- row builders -------------------------------------------------------------------------------------------


def action_row(action: PendingAction) -> dict[str, Any]:
    return {
        "id": action.pk,
        "kind": action.kind,
        "kind_label": str(action.get_kind_display()),
        "summary": action.summary,
        "status": action.status,
        "created_at": action.created_at,
        "expires_at": action.expires_at,
    }


def emergency_row(countdown: EmergencyCountdown) -> dict[str, Any]:
    return {
        "id": countdown.pk,
        "status": countdown.status,
        "status_label": str(countdown.get_status_display()),
        "fires_at": countdown.due_at,
        "seconds_left": countdown.seconds_left(),
        "alarm_id": countdown.alarm_id,
        "error": countdown.error,
        "hotlines": list(services.HOTLINES),
        "sos_url": countdown.follow_url,
    }


def outcome_row(outcome: services.ActionOutcome) -> dict[str, Any]:
    return {
        "action": action_row(outcome.action),
        "reply": outcome.reply,
        "links": [{"label": link.label, "url": link.url} for link in outcome.links],
        "result": outcome.action.result,
    }


def turn_row(turn: services.Turn) -> dict[str, Any]:
    article = None
    if turn.article is not None:
        article = {
            "id": turn.article.pk,
            "title": turn.article.title,
            "url": integrations.first_url("assistant:article", args=(turn.article.pk,)),
        }
    station = None
    if turn.station is not None:
        s = turn.station
        station = {
            "id": s.id,
            "name": s.name,
            "level": s.level,
            "level_label": s.level_label,
            "address": s.address,
            "opening_hours": s.opening_hours,
            "distance_m": s.distance_m,
        }
    return {
        "conversation_id": turn.conversation.pk if turn.conversation is not None else None,
        "stored": turn.stored,
        "text": turn.text,
        "reply": turn.reply,
        "notice": turn.notice,
        "intent": turn.intent,
        "slots": turn.slots,
        "provider": turn.provider,
        "action": action_row(turn.action) if turn.action is not None else None,
        "options": [action_row(a) for a in turn.options],
        "emergency": emergency_row(turn.emergency) if turn.emergency is not None else None,
        "hotline": turn.hotline,
        "hotlines": list(services.HOTLINES) if turn.hotline else [],
        "article": article,
        "station": station,
        "links": [{"label": link.label, "url": link.url} for link in turn.links],
        "outcome": outcome_row(turn.outcome) if turn.outcome is not None else None,
    }


def article_row(article: KnowledgeArticle) -> dict[str, Any]:
    return {
        "id": article.pk,
        "key": article.key,
        "title": article.title,
        "category": article.category,
        "category_label": str(article.get_category_display()),
        "tags": article.tag_list,
        "body": article.body,
        "published": article.published,
        "updated_at": article.updated_at,
        "updated_by": str(article.updated_by) if article.updated_by_id else None,
    }
