"""Reads of the assistant's data. A user's conversations, actions and countdowns are theirs alone."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from shiguang.accounts.choices import ConsentCategory, Role
from shiguang.assistant.choices import ActionStatus, ArticleCategory
from shiguang.assistant.models import (
    Conversation,
    EmergencyCountdown,
    KnowledgeArticle,
    Message,
    PendingAction,
)
from shiguang.core import clock
from shiguang.core.errors import NotFound
from shiguang.core.scoping import get_scoped, scoped

EDITOR_ROLES = frozenset(
    {Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.LEGAL_ADVISOR, Role.ADMIN}
)


def keeps_conversations(user: Any) -> bool:
    from shiguang.accounts.services import has_consent

    return bool(user.is_authenticated) and has_consent(user, ConsentCategory.CONVERSATION)


def can_edit_articles(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or getattr(user, "role", None) in EDITOR_ROLES)
    )


# --- conversations ------------------------------------------------------------------------------------------


def conversations_for(actor: Any) -> QuerySet[Conversation]:
    """The actor's own conversations, newest first (staff do not read elders' conversations)."""
    return (
        scoped(Conversation.objects.filter(user=actor), actor)
        .annotate(message_count=Count("messages"))
        .order_by("-last_message_at", "-id")
    )


def conversation_get(actor: Any, conversation_id: Any) -> Conversation:
    return get_scoped(Conversation.objects.filter(user=actor), actor, pk=conversation_id)


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.order_by("created_at", "id")


def recent_conversation(actor: Any, *, within_minutes: int) -> Conversation | None:
    since = clock.now() - dt.timedelta(minutes=within_minutes)
    return conversations_for(actor).filter(last_message_at__gte=since).first()


# --- actions ------------------------------------------------------------------------------------------------


def open_actions(actor: Any) -> QuerySet[PendingAction]:
    return scoped(
        PendingAction.objects.filter(user=actor, status=ActionStatus.PENDING, expires_at__gt=clock.now()),
        actor,
    ).order_by("-created_at", "-id")


def latest_open_group(actor: Any) -> list[PendingAction]:
    """The open actions the assistant proposed in its last reply to this user (what a typed yes answers)."""
    latest = open_actions(actor).filter(awaiting_reply=True).first()
    if latest is None:
        return []
    return list(open_actions(actor).filter(group=latest.group).order_by("id"))


def action_get(actor: Any, action_id: Any) -> PendingAction:
    return get_scoped(PendingAction.objects.filter(user=actor), actor, pk=action_id)


# --- emergencies --------------------------------------------------------------------------------------------


def countdown_get(actor: Any, countdown_id: Any) -> EmergencyCountdown:
    return get_scoped(
        EmergencyCountdown.objects.filter(user=actor).select_related("elder"), actor, pk=countdown_id
    )


# --- knowledge base -----------------------------------------------------------------------------------------


def articles_published(*, category: str | None = None) -> QuerySet[KnowledgeArticle]:
    qs = KnowledgeArticle.objects.filter(published=True)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("category", "title", "id")


def articles_for_editor(
    actor: Any, *, query: str = "", category: str | None = None
) -> QuerySet[KnowledgeArticle]:
    if not can_edit_articles(actor):
        return KnowledgeArticle.objects.none()
    qs = KnowledgeArticle.objects.select_related("updated_by")
    if category:
        qs = qs.filter(category=category)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(tags__icontains=query) | Q(body__icontains=query))
    return qs.order_by("category", "title", "id")


def article_get(actor: Any, article_id: Any) -> KnowledgeArticle:
    """A published article for anyone signed in; unpublished ones for editors only."""
    try:
        article = KnowledgeArticle.objects.select_related("updated_by").get(pk=article_id)
    except (KnowledgeArticle.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not article.published and not can_edit_articles(actor):
        raise NotFound()
    return article


def article_by_key(key: str) -> KnowledgeArticle | None:
    return KnowledgeArticle.objects.filter(key=key, published=True).first()


def categories() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ArticleCategory.choices]


# --- places -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    id: int
    name: str
    level: str
    level_label: str
    address: str
    opening_hours: str
    distance_m: int


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def home_location(user: Any) -> tuple[float, float] | None:
    """The elder's coarse home location (about 100 m), else the centre of their community."""
    from shiguang.people.selectors import elder_for_user

    elder = elder_for_user(user)
    community: Any
    if elder is not None:
        if elder.home_lat is not None and elder.home_lng is not None:
            return elder.home_lat, elder.home_lng
        community = elder.community
    else:
        community = getattr(user, "community", None)
    if community is not None and community.latitude is not None and community.longitude is not None:
        return community.latitude, community.longitude
    return None


def nearest_station(lat: float, lng: float) -> Station | None:
    """The nearest open community elderly-service station; other open centres only when there is none."""
    from shiguang.places.choices import FacilityLevel, FacilityStatus
    from shiguang.places.models import Facility

    open_facilities = Facility.objects.filter(status=FacilityStatus.OPEN)
    for levels in (
        (FacilityLevel.COMMUNITY_STATION,),
        (FacilityLevel.STREET_CENTRE, FacilityLevel.SERVICE_POST, FacilityLevel.DISTRICT_CENTRE),
    ):
        # A box of about ±0.1° (11 km) first; the whole district is smaller than that.
        rows = list(
            open_facilities.filter(
                level__in=levels,
                latitude__range=(lat - 0.1, lat + 0.1),
                longitude__range=(lng - 0.1, lng + 0.1),
            ).values("id", "name", "level", "address", "opening_hours", "latitude", "longitude")
        )
        if not rows:
            continue
        best = min(rows, key=lambda r: _distance_m(lat, lng, r["latitude"], r["longitude"]))
        return Station(
            id=best["id"],
            name=best["name"],
            level=best["level"],
            level_label=str(FacilityLevel(best["level"]).label),
            address=best["address"],
            opening_hours=best["opening_hours"],
            distance_m=round(_distance_m(lat, lng, best["latitude"], best["longitude"])),
        )
    return None
