"""Every write of the assistant: a message turn, proposals and their confirmation, emergency countdowns,
conversation deletion, knowledge articles.

The rules that matter most:
* emergency detection runs first on every message, whatever the provider;
* nothing is done for the user until that same user confirms the proposal before it expires (an emergency
  skips confirmation and starts the SOS countdown instead);
* conversations are stored only with the user's conversation consent; without it the message is processed and
  answered, and nothing of it is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shiguang.assistant import integrations, knowledge, llm, phrasing, safety
from shiguang.assistant import selectors as sel
from shiguang.assistant.choices import (
    ActionKind,
    ActionStatus,
    ArticleCategory,
    CountdownStatus,
    MessageRole,
)
from shiguang.assistant.integrations import ServiceUnavailable
from shiguang.assistant.models import (
    Conversation,
    EmergencyCountdown,
    KnowledgeArticle,
    Message,
    PendingAction,
)
from shiguang.assistant.nlu import CATEGORIES, interpret
from shiguang.assistant.nlu import classifier as nlu_classifier
from shiguang.assistant.nlu.normalize import normalize
from shiguang.assistant.nlu.timeparse import resolve_date
from shiguang.core import audit, clock
from shiguang.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed

logger = logging.getLogger(__name__)

HOTLINES = ("120", "110", "119")
CONVERSATION_GAP_MINUTES = 30


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def action_ttl() -> dt.timedelta:
    return dt.timedelta(minutes=int(_setting("ASSISTANT_ACTION_TTL_MINUTES", 10)))


def countdown_seconds() -> int:
    return max(0, int(_setting("ASSISTANT_SOS_COUNTDOWN_SECONDS", 10)))


def retention() -> dt.timedelta:
    return dt.timedelta(days=int(_setting("ASSISTANT_CONVERSATION_RETENTION_DAYS", 180)))


# ------------------------------------------------------------------------------------------------------------
# Result types
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Link:
    label: str
    url: str


@dataclass
class ActionOutcome:
    action: PendingAction
    reply: str
    links: list[Link] = field(default_factory=list)
    recorded: bool = False  # the reply was added to the stored conversation


@dataclass
class Turn:
    """Everything one message produced; the page and the API render it."""

    text: str
    reply: str
    intent: str
    slots: dict[str, Any]
    provider: str = "offline"
    action: PendingAction | None = None
    options: list[PendingAction] = field(default_factory=list)
    emergency: EmergencyCountdown | None = None
    hotline: bool = False
    article: KnowledgeArticle | None = None
    station: sel.Station | None = None
    links: list[Link] = field(default_factory=list)
    notice: str = ""
    outcome: ActionOutcome | None = None
    conversation: Conversation | None = None
    stored: bool = False

    @property
    def proposals(self) -> list[PendingAction]:
        return [self.action] if self.action is not None else list(self.options)


# ------------------------------------------------------------------------------------------------------------
# Offline replies
# ------------------------------------------------------------------------------------------------------------


def _examples() -> str:
    return _("“明天上午帮我买菜”、“我想报名太极”、“我的时间币还有多少”、“报平安”")


def reply_unavailable() -> str:
    return _("这个服务还没有开通，暂时不能帮您办。您可以先问社区工作者。")


def reply_not_elder() -> str:
    return _("这件事要用长者本人的账户办；家属或社工可以在相应页面替长者办理。")


def _chitchat_reply(norm: str) -> str:
    if safety.is_greeting(norm):
        return _("您好！我是AI助手。您可以直接说要办的事，比如%(examples)s。") % {"examples": _examples()}
    if safety.asks_who(norm):
        return _(
            "我是时光家园的AI助手，能帮您发求助、报名活动、查时间币、报平安，也能回答平台的问题。"
            "我不看病，也绝不会向您要钱。"
        )
    if safety.is_thanks(norm):
        return _("不客气！还有要帮忙的，随时跟我说。")
    if safety.mostly_english(norm):
        return _("Sorry, I can only help in Chinese for now. 请用中文说说您要办什么，比如“明天帮我买菜”。")
    return _("我没太听明白。您可以这样说：%(examples)s。") % {"examples": _examples()}


REPLY_INJECTION = gettext_lazy(
    "这个我不能做。我只能帮您办平台上的事，比如发求助、报名活动、查时间币、报平安，也能回答平台的问题。"
)
REPLY_DIAGNOSIS = gettext_lazy(
    "我不能看病，也不能给用药建议。身体不舒服请问医生或去社康；情况紧急请马上打120。"
    "需要有人陪您去看病，跟我说“找人陪我去社康”就行。"
)


# ------------------------------------------------------------------------------------------------------------
# A message turn
# ------------------------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    actor: Any
    text: str
    norm: str
    now: dt.datetime
    today: dt.date


def message_handle(
    *, actor: Any, text: Any, conversation_id: int | None = None, new_conversation: bool = False
) -> Turn:
    """Understand one message from `actor`, answer it, propose (never perform) actions, store it with consent.

    Not one transaction on purpose: an optional LLM call must not hold a database transaction open. Each write
    (a proposal, a countdown, the stored messages) is its own atomic step with its audit event.
    """
    if conversation_id is not None:
        sel.conversation_get(actor, conversation_id)  # 404 before doing anything for someone else's id
    cleaned, cut = safety.clean(text)
    now = clock.now()
    ctx = _Ctx(actor=actor, text=cleaned, norm=normalize(cleaned), now=now, today=clock.local(now).date())
    turn = _respond(ctx)
    proposed = {a.pk for a in turn.proposals}
    # Only the proposal in the assistant's last reply can be answered by typing "好" / "不用了".
    PendingAction.objects.filter(user=actor, status=ActionStatus.PENDING, awaiting_reply=True).exclude(
        pk__in=proposed
    ).update(awaiting_reply=False)
    if cut:
        turn.notice = _("您的话太长了，我只看了前%(n)d个字。") % {"n": safety.MAX_CHARS}
    if cleaned:
        _store(actor, turn, conversation_id=conversation_id, new_conversation=new_conversation)
    return turn


def _respond(ctx: _Ctx) -> Turn:
    if not ctx.text:
        return Turn(ctx.text, _("您好像还没说话。请说说要办什么，也可以按话筒说。"), "chitchat", {})
    if not safety.meaningful(ctx.text):
        return Turn(ctx.text, _("我没看懂这个。请用文字说说，或者按话筒说。"), "chitchat", {})

    result = interpret(ctx.text, ctx.now)
    # 1. Emergencies first, always, and without waiting for a confirmation.
    if result.intent == "emergency":
        return _start_emergency(ctx)
    # 2. A yes / no to the proposal just made.
    answered = _answer_proposal(ctx)
    if answered is not None:
        return answered
    # 3. Guards: instructions aimed at the assistant itself, and medical diagnoses.
    if nlu_classifier.is_injection(ctx.norm):
        return Turn(ctx.text, str(REPLY_INJECTION), "chitchat", {})
    if safety.asks_for_diagnosis(ctx.norm) and result.intent != "request_help":
        return Turn(ctx.text, str(REPLY_DIAGNOSIS), result.intent, dict(result.slots))
    if result.intent == "chitchat" and llm.enabled():
        return _llm_small_talk(ctx)
    turn = _route(ctx, result.intent, dict(result.slots))
    if result.intent == "request_help" and safety.asks_for_diagnosis(ctx.norm):
        turn.reply = _("看病的事要问医生，我不能诊断。") + turn.reply
    return turn


def _route(ctx: _Ctx, intent: str, slots: dict[str, Any], *, provider: str = "offline") -> Turn:
    handlers: dict[str, Callable[[_Ctx, dict[str, Any]], Turn]] = {
        "request_help": _propose_help,
        "join_activity": _propose_join,
        "cancel_request": _propose_cancel,
        "daily_checkin": _propose_checkin,
        "check_balance": _balance,
        "ask_policy": _policy,
    }
    handler = handlers.get(intent)
    if handler is None:
        turn = Turn(ctx.text, _chitchat_reply(ctx.norm), "chitchat", {})
    else:
        turn = handler(ctx, slots)
    if provider != "offline":
        turn.provider = provider
    return turn


def _elder(actor: Any) -> Any:
    from shiguang.people.selectors import elder_for_user

    return elder_for_user(actor)


# --- storage ------------------------------------------------------------------------------------------------


@transaction.atomic
def _store(actor: Any, turn: Turn, *, conversation_id: int | None, new_conversation: bool) -> None:
    if not sel.keeps_conversations(actor):
        return
    now = clock.now()
    conversation: Conversation | None = None
    if conversation_id is not None:
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id, user=actor).first()
        if conversation is None:
            raise NotFound()
    elif not new_conversation:
        recent = sel.recent_conversation(actor, within_minutes=CONVERSATION_GAP_MINUTES)
        if recent is not None:
            conversation = Conversation.objects.select_for_update().get(pk=recent.pk)
    if conversation is None:
        conversation = Conversation.objects.create(user=actor, started_at=now, last_message_at=now)
        audit.record("assistant.conversation.started", actor=actor, target=conversation)
    Message.objects.create(
        conversation=conversation,
        role=MessageRole.USER,
        text=turn.text,
        intent=turn.intent,
        slots=turn.slots,
        created_at=now,
    )
    reply = turn.reply if not turn.notice else f"{turn.notice}{turn.reply}"
    Message.objects.create(conversation=conversation, role=MessageRole.ASSISTANT, text=reply, created_at=now)
    conversation.last_message_at = now
    conversation.save(update_fields=["last_message_at"])
    proposal_ids = [a.pk for a in turn.proposals]
    if proposal_ids:
        PendingAction.objects.filter(pk__in=proposal_ids).update(conversation=conversation)
    turn.conversation = conversation
    turn.stored = True


# --- proposals ----------------------------------------------------------------------------------------------


@transaction.atomic
def _propose(actor: Any, proposals: Sequence[tuple[str, dict[str, Any], str]]) -> list[PendingAction]:
    """Record what the assistant offers to do. A new proposal of a kind replaces an open one of that kind."""
    now = clock.now()
    kinds = {kind for kind, _params, _summary in proposals}
    stale = PendingAction.objects.select_for_update().filter(
        user=actor, status=ActionStatus.PENDING, kind__in=kinds
    )
    for old in stale:
        _close(old, ActionStatus.CANCELLED, now)
        audit.record("assistant.action.superseded", actor=actor, target=old, data={"kind": old.kind})
    group = uuid.uuid4().hex
    created = []
    for kind, params, summary in proposals:
        action = PendingAction.objects.create(
            user=actor,
            kind=kind,
            params=params,
            summary=summary[:300],
            group=group,
            created_at=now,
            expires_at=now + action_ttl(),
        )
        audit.record("assistant.action.proposed", actor=actor, target=action, data={"kind": kind})
        created.append(action)
    return created


def _close(
    action: PendingAction, status: str, now: dt.datetime, result: dict[str, Any] | None = None
) -> None:
    """Decide an action and drop the words it carried (only ids stay)."""
    action.status = status
    action.decided_at = now
    action.params = {k: v for k, v in action.params.items() if k != "description"}
    if result is not None:
        action.result = result
    action.save(update_fields=["status", "decided_at", "params", "result"])


def _parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _parse_time(value: Any) -> dt.time | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        return None


def _urgency(day: dt.date | None, today: dt.date) -> str:
    if day is None:
        return "anytime"
    days = (day - today).days
    if days <= 0:
        return "today"
    if days <= 2:
        return "soon"
    if days <= 7:
        return "this_week"
    return "anytime"


def _propose_help(ctx: _Ctx, slots: dict[str, Any]) -> Turn:
    category = str(slots.get("category")) if slots.get("category") in CATEGORIES else "other"
    slots = {"category": category, "date": slots.get("date"), "time": slots.get("time")}
    turn = Turn(ctx.text, "", "request_help", slots)
    elder = _elder(ctx.actor)
    if elder is None:
        turn.reply = reply_not_elder()
        return turn
    if not integrations.available(integrations.HELP_REQUEST_CREATE):
        turn.reply = reply_unavailable()
        return turn
    day, clock_time = _parse_date(slots["date"]), _parse_time(slots["time"])
    local_now = clock.local(ctx.now)
    if day is None and clock_time is not None:  # "下午三点陪我去…": today, or tomorrow when it has passed
        day = ctx.today if clock_time > local_now.time() else ctx.today + dt.timedelta(days=1)
    if day is not None and day < ctx.today:
        turn.reply = _("这个日子已经过了。您想改到哪天？比如说“明天上午9点”。")
        return turn
    if day == ctx.today and clock_time is not None and clock_time <= local_now.time():
        turn.reply = _("这个时间已经过了。您想改到什么时候？比如说“明天上午9点”。")
        return turn
    what = phrasing.category_label(category)
    when = phrasing.when_words(day, clock_time, ctx.today)
    if day is None:
        summary = _("我帮您发一个求助：%(what)s，%(when)s。确认吗？") % {"what": what, "when": when}
    else:
        summary = _("我帮您发一个求助：%(when)s，%(what)s。确认吗？") % {"what": what, "when": when}
    params = {
        "category": category,
        "date": day.isoformat() if day else None,
        "time": clock_time.strftime("%H:%M") if clock_time else None,
        "urgency": _urgency(day, ctx.today),
        "duration_minutes": phrasing.CATEGORY_MINUTES.get(category, 60),
        "description": ctx.text[:200],
    }
    (turn.action,) = _propose(ctx.actor, [(ActionKind.REQUEST_HELP, params, summary)])
    turn.reply = summary
    return turn


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return default


def _activity_words(activity: Any, today: dt.date) -> str:
    title = str(_attr(activity, "title", "name", default=_("活动")))
    start = _attr(activity, "start_at", "starts_at", "start", "begins_at")
    place = _attr(activity, "place", "location", "venue", "facility", "address", default="")
    when = phrasing.local_when(start, today) if isinstance(start, dt.datetime) else ""
    parts = [title]
    if when:
        parts.append(when)
    if place:
        parts.append(_("在%(place)s") % {"place": str(place)[:40]})
    return "，".join(parts)


def _propose_join(ctx: _Ctx, slots: dict[str, Any]) -> Turn:
    keyword = (slots.get("activity") or "").strip()[:20]
    turn = Turn(ctx.text, "", "join_activity", {"activity": keyword or None})
    elder = _elder(ctx.actor)
    if elder is None:
        turn.reply = reply_not_elder()
        return turn
    try:
        find = integrations.get(integrations.ACTIVITIES_FOR_ELDER)
        integrations.get(integrations.ACTIVITY_SIGNUP)
    except ServiceUnavailable:
        turn.reply = reply_unavailable()
        return turn
    found = list(find(elder, keyword=keyword, days=14)[:4])
    url = integrations.activities_url()
    if url:
        turn.links.append(Link(_("看看所有活动"), url))
    if not found:
        if keyword:
            turn.reply = _("最近两周您附近没有找到“%(k)s”活动。有新活动我再告诉您。") % {"k": keyword}
        else:
            turn.reply = _("最近两周您附近没有找到可以报名的活动。")
        return turn
    proposals = []
    for activity in found[: 1 if keyword else 3]:
        words = _activity_words(activity, ctx.today)
        summary = _("我帮您报名：%(words)s。确认吗？") % {"words": words}
        proposals.append(
            (ActionKind.JOIN_ACTIVITY, {"activity_id": activity.pk, "title": words[:80]}, summary)
        )
    actions = _propose(ctx.actor, proposals)
    if len(actions) == 1:
        turn.action = actions[0]
        turn.reply = actions[0].summary
        if len(found) > 1:
            turn.reply = _("找到%(n)d场，这是最近的一场。") % {"n": len(found)} + turn.reply
    else:
        turn.options = actions
        turn.reply = _("最近有这些活动，您想报名哪一个？按那一项的“确认”就行。")
    return turn


def _request_words(request: Any, today: dt.date) -> str:
    category = str(_attr(request, "category", default="other"))
    start = _attr(request, "start_at")
    when = phrasing.local_when(start, today) if isinstance(start, dt.datetime) else _("时间待定")
    return _("%(what)s，%(when)s") % {"what": phrasing.category_label(category), "when": when}


def _propose_cancel(ctx: _Ctx, slots: dict[str, Any]) -> Turn:
    turn = Turn(ctx.text, "", "cancel_request", {})
    elder = _elder(ctx.actor)
    if elder is None:
        turn.reply = reply_not_elder()
        return turn
    try:
        open_for = integrations.get(integrations.OPEN_REQUESTS_FOR)
        integrations.get(integrations.HELP_REQUEST_CANCEL)
    except ServiceUnavailable:
        turn.reply = reply_unavailable()
        return turn
    requests = list(open_for(elder)[:10])
    if not requests:
        turn.reply = _("您现在没有还在等待的求助，不用取消。")
        return turn
    # Narrow by what was said ("取消明天的陪诊"): the date and the category, when they match something.
    said_day = resolve_date(ctx.norm, ctx.today)
    said_category, score = nlu_classifier.classify_category(ctx.norm)
    narrowed = requests
    if said_day is not None:
        by_day = [
            r
            for r in narrowed
            if isinstance(_attr(r, "start_at"), dt.datetime) and clock.local(r.start_at).date() == said_day
        ]
        narrowed = by_day or narrowed
    if score > 0:
        narrowed = [r for r in narrowed if _attr(r, "category") == said_category] or narrowed
    proposals = [
        (
            ActionKind.CANCEL_REQUEST,
            {"request_id": r.pk, "title": _request_words(r, ctx.today)[:80]},
            _("我帮您取消这个求助：%(words)s。确认吗？") % {"words": _request_words(r, ctx.today)},
        )
        for r in narrowed[:3]
    ]
    actions = _propose(ctx.actor, proposals)
    if len(actions) == 1:
        turn.action = actions[0]
        turn.reply = actions[0].summary
    else:
        turn.options = actions
        turn.reply = _("您有%(n)d个求助在等待，要取消哪一个？按那一项的“确认”就行。") % {"n": len(narrowed)}
    return turn


def _propose_checkin(ctx: _Ctx, slots: dict[str, Any]) -> Turn:
    turn = Turn(ctx.text, "", "daily_checkin", {})
    if _elder(ctx.actor) is None:
        turn.reply = reply_not_elder()
        return turn
    if not integrations.available(integrations.CHECKIN_RECORD):
        turn.reply = reply_unavailable()
        return turn
    summary = _("我帮您报平安，告诉家人和社工您今天挺好。确认吗？")
    (turn.action,) = _propose(ctx.actor, [(ActionKind.DAILY_CHECKIN, {}, summary)])
    turn.reply = summary
    return turn


def _hours_words(hours: Decimal) -> str:
    value = Decimal(hours).quantize(Decimal("0.1"))
    return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)


def _balance(ctx: _Ctx, slots: dict[str, Any]) -> Turn:
    turn = Turn(ctx.text, "", "check_balance", {})
    try:
        balance_for = integrations.get(integrations.BALANCE_FOR)
    except ServiceUnavailable:
        turn.reply = reply_unavailable()
        return turn
    hours = balance_for(ctx.actor)
    turn.reply = _("您的时间银行余额是%(hours)s小时（时间币）。") % {"hours": _hours_words(Decimal(hours))}
    try:
        stars = int(integrations.get(integrations.STAR_LEVEL)(ctx.actor))
    except ServiceUnavailable:
        stars = 0
    if stars > 0:
        turn.reply += _("目前是%(n)d星。") % {"n": stars}
    url = integrations.timebank_url()
    if url:
        turn.links.append(Link(_("看看明细"), url))
    return turn


_STATION_RE = re.compile(r"服务站|服务中心|长者站|驿站|station|cent(?:er|re)")
_STATION_ASK_RE = re.compile(
    r"最近|附近|离我|在哪|哪里|哪儿|哪边|怎么去|怎么走|几点|开门|关门|开放|上班|值班|周[一二三四五六日末]|星期|礼拜"
    r"|nearest|where|open|hours"
)


def _distance_words(meters: int) -> str:
    if meters < 1000:
        return _("大约%(m)d米") % {"m": max(50, round(meters / 50) * 50)}
    return _("大约%(km).1f公里") % {"km": meters / 1000}


def _link_article(turn: Turn, article: KnowledgeArticle) -> None:
    turn.article = article
    url = integrations.first_url("assistant:article", args=(article.pk,))
    if url:
        turn.links.append(Link(_("看全文：《%(title)s》") % {"title": article.title}, url))


def _policy(ctx: _Ctx, slots: dict[str, Any], *, question: str | None = None) -> Turn:
    turn = Turn(ctx.text, "", "ask_policy", {})
    query = question or ctx.text
    if _STATION_RE.search(ctx.norm) and _STATION_ASK_RE.search(ctx.norm):
        return _nearest_station(ctx, turn)
    hits = knowledge.search(query, limit=1)
    if not hits:
        turn.reply = _("这个问题我还答不上来。您可以换个说法，或者问社区工作者。")
        return turn
    hit = hits[0]
    article = KnowledgeArticle.objects.filter(pk=hit.id).first()
    if article is None:  # unpublished between the search and now
        turn.reply = _("这个问题我还答不上来。您可以换个说法，或者问社区工作者。")
        return turn
    _link_article(turn, article)
    answer = hit.snippet
    if llm.enabled():
        try:
            answer = llm.phrase_answer(query, title=hit.title, passage=hit.snippet, today=ctx.today)
            turn.provider = "llm"
        except llm.LLMError as exc:
            logger.warning("assistant LLM answer failed, using the passage: %s", exc)
    turn.reply = _("《%(title)s》里说：%(answer)s") % {"title": hit.title, "answer": answer}
    return turn


def _nearest_station(ctx: _Ctx, turn: Turn) -> Turn:
    article = sel.article_by_key("stations")
    if article is not None:
        _link_article(turn, article)
    source = _("（来源：《%(title)s》）") % {"title": article.title} if article is not None else ""
    location = sel.home_location(ctx.actor)
    station = sel.nearest_station(*location) if location is not None else None
    if station is None:
        turn.reply = (
            _("我还不知道您家的大致位置，找不到最近的服务站。请社区工作者帮您登记一下，或者直接问社区。")
            + source
        )
        return turn
    turn.station = station
    parts = [
        _("离您家最近的%(level)s是“%(name)s”，%(distance)s。")
        % {
            "level": station.level_label,
            "name": station.name,
            "distance": _distance_words(station.distance_m),
        }
    ]
    if station.address:
        parts.append(_("地址：%(address)s。") % {"address": station.address})
    if station.opening_hours:
        parts.append(_("开放时间：%(hours)s。") % {"hours": station.opening_hours})
    else:
        parts.append(_("开放时间请向站点问一下。"))
    turn.reply = "".join(parts) + source
    return turn


# --- the optional LLM ---------------------------------------------------------------------------------------


def _tool_slots(call: llm.ToolCall, today: dt.date) -> tuple[str, dict[str, Any]]:
    intent = llm.TOOL_INTENTS[call.name]
    args = call.arguments
    if intent == "request_help":
        category = args.get("category") if args.get("category") in CATEGORIES else "other"
        day = _parse_date(args.get("date"))
        if day is not None and not today <= day <= today + dt.timedelta(days=366):
            day = None
        clock_time = _parse_time(args.get("time"))
        return intent, {
            "category": category,
            "date": day.isoformat() if day else None,
            "time": clock_time.strftime("%H:%M") if clock_time else None,
        }
    if intent == "join_activity":
        activity = args.get("activity")
        return intent, {
            "activity": activity.strip()[:20] if isinstance(activity, str) and activity.strip() else None
        }
    if intent == "ask_policy":
        question = args.get("question")
        return intent, {
            "question": question[:200] if isinstance(question, str) and question.strip() else None
        }
    return intent, {}


def _llm_small_talk(ctx: _Ctx) -> Turn:
    try:
        answer = llm.small_talk(ctx.text, today=ctx.today)
    except llm.LLMError as exc:
        logger.warning("assistant LLM small talk failed, answering offline: %s", exc)
        return Turn(ctx.text, _chitchat_reply(ctx.norm), "chitchat", {})
    if answer.tool_calls:
        intent, slots = _tool_slots(answer.tool_calls[0], ctx.today)
        if intent == "emergency":
            turn = _start_emergency(ctx)
            turn.provider = "llm"
            return turn
        if intent == "ask_policy":
            turn = _policy(ctx, {}, question=slots.get("question"))
            turn.provider = "llm"
            return turn
        return _route(ctx, intent, slots, provider="llm")
    return Turn(ctx.text, answer.text, "chitchat", {}, provider="llm")


# ------------------------------------------------------------------------------------------------------------
# Confirming and cancelling proposals
# ------------------------------------------------------------------------------------------------------------

_STATUS_CONFLICT = {
    ActionStatus.CONFIRMED: gettext_lazy("这件事已经办好了，不用再确认。"),
    ActionStatus.CANCELLED: gettext_lazy("这件事已经取消了。需要的话请重新跟我说一遍。"),
    ActionStatus.EXPIRED: gettext_lazy("这个操作已经过期了，请重新跟我说一遍。"),
    ActionStatus.FAILED: gettext_lazy("这件事没能办成，请重新跟我说一遍。"),
}


def _owned_for_update(actor: Any, action_id: int) -> PendingAction:
    action = PendingAction.objects.select_for_update().filter(pk=action_id, user=actor).first()
    if action is None:  # someone else's action looks exactly like a missing one
        raise NotFound(_("找不到这个操作，或者它不是您的。"))
    return action


def action_confirm(*, actor: Any, action_id: int, record_reply: bool = True) -> ActionOutcome:
    """Do what the assistant proposed, for the user it proposed it to, before it expires. Once."""
    with transaction.atomic():
        action = _owned_for_update(actor, action_id)
        if action.status != ActionStatus.PENDING:
            raise Conflict(_STATUS_CONFLICT[ActionStatus(action.status)], code=f"action_{action.status}")
        expired = action.expires_at <= clock.now()
        if expired:
            _close(action, ActionStatus.EXPIRED, clock.now())
            audit.record("assistant.action.expired", actor=actor, target=action, data={"kind": action.kind})
    if expired:
        raise Conflict(_STATUS_CONFLICT[ActionStatus.EXPIRED], code="action_expired")

    with transaction.atomic():
        action = _owned_for_update(actor, action_id)
        if action.status != ActionStatus.PENDING:  # confirmed twice at the same moment
            raise Conflict(_STATUS_CONFLICT[ActionStatus(action.status)], code=f"action_{action.status}")
        now = clock.now()
        try:
            result, reply, links = _EXECUTORS[action.kind](actor, action)
        except ServiceUnavailable:
            _close(action, ActionStatus.FAILED, now, {"error": "service_unavailable"})
            audit.record(
                "assistant.action.failed",
                actor=actor,
                target=action,
                data={"kind": action.kind, "error": "service_unavailable"},
            )
            return ActionOutcome(action, reply_unavailable())
        # A DomainError from the domain service propagates: everything here rolls back, the action stays open.
        _close(action, ActionStatus.CONFIRMED, now, result)
        audit.record(
            "assistant.action.confirmed",
            actor=actor,
            target=action,
            data={"kind": action.kind, "result": result},
        )
        outcome = ActionOutcome(action, reply, links)
        if record_reply:
            outcome.recorded = _record_reply(actor, action, reply)
    return outcome


def _record_reply(actor: Any, action: PendingAction, reply: str) -> bool:
    """Add the result of a button confirmation to the conversation the proposal was made in (with consent)."""
    if action.conversation_id is None or not sel.keeps_conversations(actor):
        return False
    now = clock.now()
    Message.objects.create(
        conversation_id=action.conversation_id, role=MessageRole.ASSISTANT, text=reply, created_at=now
    )
    Conversation.objects.filter(pk=action.conversation_id).update(last_message_at=now)
    return True


@transaction.atomic
def action_cancel(*, actor: Any, action_id: int) -> PendingAction:
    action = _owned_for_update(actor, action_id)
    if action.status != ActionStatus.PENDING:
        raise Conflict(_STATUS_CONFLICT[ActionStatus(action.status)], code=f"action_{action.status}")
    _close(action, ActionStatus.CANCELLED, clock.now())
    audit.record("assistant.action.cancelled", actor=actor, target=action, data={"kind": action.kind})
    return action


def _answer_proposal(ctx: _Ctx) -> Turn | None:
    """A typed yes/no after a proposal confirms or cancels it (buttons do the same)."""
    yes, no = safety.is_yes(ctx.norm), safety.is_no(ctx.norm)
    if not (yes or no):
        return None
    group = sel.latest_open_group(ctx.actor)
    if not group:
        return None
    if no:
        for action in group:
            action_cancel(actor=ctx.actor, action_id=action.pk)
        return Turn(ctx.text, _("好的，这件事不办了。还有别的要帮忙吗？"), "chitchat", {})
    if len(group) > 1:
        turn = Turn(ctx.text, _("有几项可以选，请按您要的那一项的“确认”。"), "chitchat", {})
        turn.options = group
        return turn
    try:
        outcome = action_confirm(actor=ctx.actor, action_id=group[0].pk, record_reply=False)
    except DomainError as exc:
        return Turn(ctx.text, str(exc.message), "chitchat", {})
    turn = Turn(ctx.text, outcome.reply, "chitchat", {}, outcome=outcome)
    turn.links = outcome.links
    return turn


# --- executors (run inside action_confirm's transaction) ---------------------------------------------

Executed = tuple[dict[str, Any], str, list[Link]]


def _require_elder(actor: Any) -> Any:
    elder = _elder(actor)
    if elder is None:
        raise Forbidden(reply_not_elder())
    return elder


def _exec_request_help(actor: Any, action: PendingAction) -> Executed:
    create = integrations.get(integrations.HELP_REQUEST_CREATE)
    elder = _require_elder(actor)
    p = action.params
    day, clock_time = _parse_date(p.get("date")), _parse_time(p.get("time"))
    start_at = end_at = None
    duration = int(p.get("duration_minutes") or 60)
    if day is not None and clock_time is not None:
        start_at = dt.datetime.combine(day, clock_time, tzinfo=clock.SHANGHAI)
        end_at = start_at + dt.timedelta(minutes=duration)
    elif day is not None:  # a day without a clock time: a daytime window the volunteer agrees on
        start_at = dt.datetime.combine(day, dt.time(8, 0), tzinfo=clock.SHANGHAI)
        end_at = dt.datetime.combine(day, dt.time(18, 0), tzinfo=clock.SHANGHAI)
    request = create(
        actor=actor,
        elder=elder,
        category=p.get("category") or "other",
        description=p.get("description") or phrasing.category_label(p.get("category") or "other"),
        urgency=p.get("urgency") or "anytime",
        start_at=start_at,
        end_at=end_at,
        duration_minutes=duration,
        place="",
    )
    links = []
    url = integrations.help_request_url(request.pk)
    if url:
        links.append(Link(_("看看这个求助"), url))
    reply = _("好的，求助已经发出去了。有志愿者接单会通知您。")
    return {"request_id": request.pk}, reply, links


def _exec_join_activity(actor: Any, action: PendingAction) -> Executed:
    signup_fn = integrations.get(integrations.ACTIVITY_SIGNUP)
    elder = _require_elder(actor)
    signup = signup_fn(actor=actor, activity_id=int(action.params["activity_id"]), elder=elder)
    status = str(getattr(signup, "status", "") or "")
    if "wait" in status:
        reply = _("这场名额满了，已经帮您排上候补；有人退出会通知您。")
    else:
        reply = _("报名好了！活动前会提醒您。")
    links = []
    url = integrations.activities_url()
    if url:
        links.append(Link(_("看看我的活动"), url))
    return (
        {"signup_id": signup.pk, "activity_id": action.params["activity_id"], "status": status},
        reply,
        links,
    )


def _exec_cancel_request(actor: Any, action: PendingAction) -> Executed:
    cancel = integrations.get(integrations.HELP_REQUEST_CANCEL)
    _require_elder(actor)
    request = cancel(actor=actor, request_id=int(action.params["request_id"]), reason=_("长者通过AI助手取消"))
    return {"request_id": request.pk}, _("好的，这个求助已经取消了。"), []


def _exec_daily_checkin(actor: Any, action: PendingAction) -> Executed:
    record = integrations.get(integrations.CHECKIN_RECORD)
    elder = _require_elder(actor)
    checkin = record(actor=actor, elder=elder, source="assistant")
    return {"checkin_id": checkin.pk}, _("收到，已经帮您报了平安。家人和社工都能看到。"), []


_EXECUTORS: dict[str, Callable[[Any, PendingAction], Executed]] = {
    ActionKind.REQUEST_HELP: _exec_request_help,
    ActionKind.JOIN_ACTIVITY: _exec_join_activity,
    ActionKind.CANCEL_REQUEST: _exec_cancel_request,
    ActionKind.DAILY_CHECKIN: _exec_daily_checkin,
}


# ------------------------------------------------------------------------------------------------------------
# Emergencies
# ------------------------------------------------------------------------------------------------------------


def _hotline_reply() -> str:
    return _("这听起来很危急！请马上拨打120（急救）；着火打119，有坏人闯进来打110。")


def _start_emergency(ctx: _Ctx) -> Turn:
    turn = Turn(ctx.text, "", "emergency", {}, hotline=True)
    elder = _elder(ctx.actor)
    if elder is None:
        turn.reply = _hotline_reply()
        return turn
    if not integrations.available(integrations.ALARM_TRIGGER):
        turn.reply = _hotline_reply() + _("平台的紧急呼叫服务还没有开通，请直接打电话。")
        return turn
    countdown = _countdown_start(actor=ctx.actor, elder=elder, note=ctx.text)
    if countdown_seconds() == 0:
        countdown = emergency_fire(countdown_id=countdown.pk, via="immediate")
    turn.emergency = countdown
    if countdown.status == CountdownStatus.FIRED:
        turn.reply = _("已经帮您发出紧急呼叫，社工、志愿者和家人会收到通知。情况危急请同时拨打120。")
    else:
        turn.reply = _(
            "我马上帮您发出紧急呼叫，%(n)d秒后发出，社工、志愿者和家人会收到通知。"
            "按“立即呼叫”马上发出；如果是误会，请按“取消”。情况危急请同时拨打120。"
        ) % {"n": countdown.seconds_left()}
    return turn


@transaction.atomic
def _countdown_start(*, actor: Any, elder: Any, note: str) -> EmergencyCountdown:
    now = clock.now()
    running = (
        EmergencyCountdown.objects.select_for_update()
        .filter(elder=elder, status=CountdownStatus.COUNTING)
        .order_by("-created_at")
        .first()
    )
    if running is not None:  # "救命！救命！" twice: one countdown, one alarm
        return running
    countdown = EmergencyCountdown.objects.create(
        user=actor,
        elder=elder,
        due_at=now + dt.timedelta(seconds=countdown_seconds()),
        note=note[:200],
        created_at=now,
    )
    audit.record(
        "assistant.emergency.started",
        actor=actor,
        target=countdown,
        data={"countdown_id": countdown.pk, "seconds": countdown_seconds()},
    )
    return countdown


CLAIM_SECONDS = 15


def emergency_fire(
    *, countdown_id: int, actor: Any = None, via: str = "timer", worker: str = ""
) -> EmergencyCountdown:
    """Raise the SOS alarm for a counting countdown, exactly once.

    Called by the worker when the countdown is due, by the chat page's timer, by the status page, and by
    the elder's "call now" button (`actor` = the elder: only their own countdown). A conditional update
    claims the row, so concurrent callers do not both trigger; the alarm's idempotency key covers a crash
    after triggering.
    """
    base = EmergencyCountdown.objects.filter(pk=countdown_id)
    if actor is not None:
        base = base.filter(user=actor)
    row = base.first()
    if row is None:
        raise NotFound()
    now = clock.now()
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = (
        EmergencyCountdown.objects.filter(pk=row.pk, status=CountdownStatus.COUNTING)
        .filter(claimable)
        .update(claimed_by=(worker or via)[:64], claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
    )
    if not claimed:
        row.refresh_from_db()
        return row
    try:
        with transaction.atomic():
            row = (
                EmergencyCountdown.objects.select_for_update().select_related("elder", "user").get(pk=row.pk)
            )
            if row.status != CountdownStatus.COUNTING:
                return row
            row.status, row.error, alarm_id = _trigger_alarm(row)
            row.alarm_id = alarm_id
            row.fired_at = row.done_at = clock.now()
            row.note = ""
            row.claimed_until = None
            row.save(
                update_fields=["status", "error", "alarm_id", "fired_at", "done_at", "note", "claimed_until"]
            )
            audit.record(
                "assistant.emergency.fired"
                if row.status == CountdownStatus.FIRED
                else "assistant.emergency.failed",
                actor=row.user,
                target=row,
                data={"countdown_id": row.pk, "alarm_id": alarm_id, "via": via, "error": row.error},
            )
            return row
    except Exception:
        # Release the claim so the next caller (the worker loop) tries again at once.
        EmergencyCountdown.objects.filter(pk=row.pk, status=CountdownStatus.COUNTING).update(
            claimed_until=None
        )
        raise


def _trigger_alarm(row: EmergencyCountdown) -> tuple[str, str, str]:
    try:
        trigger = integrations.get(integrations.ALARM_TRIGGER)
    except ServiceUnavailable:
        return CountdownStatus.FAILED, "service_unavailable", ""
    note = _("AI助手听到：%(text)s") % {"text": row.note} if row.note else _("AI助手识别到紧急情况")
    try:
        with transaction.atomic():
            alarm = trigger(
                actor=row.user,
                elder=row.elder,
                source="assistant",
                idempotency_key=f"assistant-countdown-{row.pk}",
                note=note[:200],
            )
    except DomainError as exc:
        logger.error("alarm_trigger refused countdown %s: %s", row.pk, exc.message)
        return CountdownStatus.FAILED, str(exc.message)[:200], ""
    return CountdownStatus.FIRED, "", str(getattr(alarm, "pk", "") or "")


@transaction.atomic
def emergency_cancel(*, actor: Any, countdown_id: int) -> EmergencyCountdown:
    """The elder says it was a mistake, before the alarm went out."""
    row = EmergencyCountdown.objects.select_for_update().filter(pk=countdown_id, user=actor).first()
    if row is None:
        raise NotFound()
    now = clock.now()
    if row.status == CountdownStatus.FIRED:
        raise Conflict(
            _("紧急呼叫已经发出了，这里不能取消。如果是误会，请告诉打来电话的工作人员。"),
            code="already_fired",
        )
    if row.status != CountdownStatus.COUNTING:
        raise Conflict(_("这次紧急呼叫已经结束了。"), code=f"countdown_{row.status}")
    if row.claimed_until is not None and row.claimed_until >= now:
        raise Conflict(_("紧急呼叫正在发出，这里不能取消了。"), code="firing")
    row.status = CountdownStatus.CANCELLED
    row.cancelled_at = row.done_at = now
    row.note = ""
    row.save(update_fields=["status", "cancelled_at", "done_at", "note"])
    audit.record("assistant.emergency.cancelled", actor=actor, target=row, data={"countdown_id": row.pk})
    return row


def fire_due_countdowns(worker_id: str, batch: int = 50) -> int:
    """Worker handler: raise the alarm for every countdown that has run out."""
    now = clock.now()
    with transaction.atomic():
        qs = EmergencyCountdown.objects.filter(status=CountdownStatus.COUNTING, due_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.order_by("due_at", "id").values_list("id", flat=True)[:batch])
    handled = 0
    for countdown_id in ids:
        try:
            emergency_fire(countdown_id=countdown_id, via="timer", worker=worker_id)
            handled += 1
        except Exception:
            logger.exception("firing emergency countdown %s failed; will retry", countdown_id)
    return handled


# ------------------------------------------------------------------------------------------------------------
# Housekeeping (worker): expiring proposals, retention of conversations
# ------------------------------------------------------------------------------------------------------------


def expire_due(worker_id: str, batch: int = 200) -> int:
    now = clock.now()
    handled = 0
    with transaction.atomic():
        qs = PendingAction.objects.filter(status=ActionStatus.PENDING, expires_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        else:
            qs = qs.select_for_update()
        for action in list(qs.order_by("expires_at", "id")[:batch]):
            _close(action, ActionStatus.EXPIRED, now)
            audit.record("assistant.action.expired", target=action, data={"kind": action.kind})
            handled += 1
    cutoff = now - retention()
    old_ids = list(
        Conversation.objects.filter(last_message_at__lt=cutoff).values_list("id", flat=True)[:batch]
    )
    if old_ids:
        with transaction.atomic():
            messages = Message.objects.filter(conversation_id__in=old_ids).count()
            deleted = (
                Conversation.objects.filter(id__in=old_ids, last_message_at__lt=cutoff)
                .delete()[1]
                .get("assistant.Conversation", 0)
            )
            audit.record(
                "assistant.conversation.purged",
                data={"reason": "retention", "conversations": deleted, "messages": messages},
            )
        handled += len(old_ids)
    return handled


# ------------------------------------------------------------------------------------------------------------
# Conversations: the user's to see and delete
# ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def conversation_delete(*, actor: Any, conversation_id: int) -> None:
    """Hard-delete one conversation and its messages; the audit event records counts, never content."""
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id, user=actor).first()
    if conversation is None:
        raise NotFound()
    messages = conversation.messages.count()
    audit.record(
        "assistant.conversation.deleted",
        actor=actor,
        target=conversation,
        data={"messages": messages},
    )
    conversation.delete()


@transaction.atomic
def conversations_delete_all(*, actor: Any, reason: str = "user") -> int:
    qs = Conversation.objects.select_for_update().filter(user=actor)
    ids = list(qs.values_list("id", flat=True))
    if not ids:
        return 0
    messages = Message.objects.filter(conversation_id__in=ids).count()
    Conversation.objects.filter(id__in=ids).delete()
    audit.record(
        "assistant.conversation.deleted_all",
        actor=actor,
        data={"conversations": len(ids), "messages": messages, "reason": reason},
    )
    return len(ids)


def on_consent_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Withdrawing the conversation consent deletes the conversations kept under it (PIPL art. 47)."""
    from shiguang.accounts.choices import ConsentCategory

    if instance.category != ConsentCategory.CONVERSATION or instance.withdrawn_at is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "withdrawn_at" not in update_fields:
        return
    if sel.keeps_conversations(instance.subject):  # consent given again since: nothing to do
        return
    with transaction.atomic():
        if Conversation.objects.filter(user_id=instance.subject_id).exists():
            conversations_delete_all(actor=instance.subject, reason="consent_withdrawn")


# ------------------------------------------------------------------------------------------------------------
# Knowledge articles (staff)
# ------------------------------------------------------------------------------------------------------------

ARTICLE_FIELDS = ("title", "category", "tags", "body", "published")


def _validate_article(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title = str(data.get("title") or "").strip()
    body = str(data.get("body") or "").strip()
    tags = str(data.get("tags") or "").strip()
    category = data.get("category")
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > 120:
        errors["title"] = [_("标题最多120个字。")]
    if not body:
        errors["body"] = [_("请填写正文。")]
    elif len(body) > 20000:
        errors["body"] = [_("正文最多20000个字。")]
    if len(tags) > 200:
        errors["tags"] = [_("关键词最多200个字。")]
    if category not in ArticleCategory.values:
        errors["category"] = [_("请选择分类。")]
    if errors:
        raise ValidationFailed(fields=errors)
    return {
        "title": title,
        "body": body,
        "tags": tags,
        "category": category,
        "published": bool(data.get("published")),
    }


def _require_editor(actor: Any) -> None:
    if not sel.can_edit_articles(actor):
        raise Forbidden(_("只有工作人员可以编辑知识库。"))


@transaction.atomic
def article_create(
    *, actor: Any, title: str, category: str, body: str, tags: str = "", published: bool = True
) -> KnowledgeArticle:
    _require_editor(actor)
    data = _validate_article(
        {"title": title, "category": category, "body": body, "tags": tags, "published": published}
    )
    article = KnowledgeArticle.objects.create(updated_by=actor, **data)
    audit.record(
        "assistant.article.created",
        actor=actor,
        target=article,
        data={"title": article.title, "category": article.category, "published": article.published},
    )
    transaction.on_commit(knowledge.invalidate)
    return article


@transaction.atomic
def article_update(*, actor: Any, article_id: int, changes: dict[str, Any]) -> KnowledgeArticle:
    _require_editor(actor)
    article = KnowledgeArticle.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound()
    unknown = set(changes) - set(ARTICLE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("不能修改这一项。")] for name in sorted(unknown)})
    merged = {name: changes.get(name, getattr(article, name)) for name in ARTICLE_FIELDS}
    data = _validate_article(merged)
    changed = sorted(name for name in ARTICLE_FIELDS if data[name] != getattr(article, name))
    if not changed:
        return article
    for name in changed:
        setattr(article, name, data[name])
    article.updated_by = actor
    article.save()
    audit.record(
        "assistant.article.updated",
        actor=actor,
        target=article,
        data={"fields": changed, "title": article.title, "published": article.published},
    )
    transaction.on_commit(knowledge.invalidate)
    return article
