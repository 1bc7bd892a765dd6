"""The assistant's data: knowledge articles, conversations kept with consent, actions awaiting the elder's
confirmation, and emergency countdowns that start the SOS flow."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.assistant.choices import (
    ActionKind,
    ActionStatus,
    ArticleCategory,
    CountdownStatus,
    MessageRole,
)
from shiguang.core import clock
from shiguang.core.models import DueWork, TimeStampedModel


class KnowledgeArticle(TimeStampedModel):
    """What the assistant answers policy questions from. Reference text, not personal data."""

    key = models.SlugField(
        _("系统编号"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("预置文章的固定编号（例如 stations），系统按它找到文章；自建文章留空。"),
    )
    title = models.CharField(_("标题"), max_length=120)
    category = models.CharField(_("分类"), max_length=20, choices=ArticleCategory.choices)
    tags = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("用逗号或空格分开，例如：时间币, 积分, 兑换")
    )
    body = models.TextField(_("正文"))
    published = models.BooleanField(_("已发布"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("最后编辑人"),
    )

    class Meta:
        verbose_name = _("知识库文章")
        verbose_name_plural = _("知识库文章")
        ordering = ["category", "title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if t]


class Conversation(models.Model):
    """One sitting with the assistant. Exists only when the user consented to keeping conversations."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assistant_conversations",
        verbose_name=_("用户"),
    )
    started_at = models.DateTimeField(_("开始时间"), default=clock.now)
    last_message_at = models.DateTimeField(_("最近消息"), default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("AI助手对话")
        verbose_name_plural = _("AI助手对话")
        ordering = ["-last_message_at", "-id"]

    class Scoping:
        self_path = "user"

    def __str__(self) -> str:
        return f"{self.user} · {self.started_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("对话")
    )
    role = models.CharField(_("角色"), max_length=10, choices=MessageRole.choices)
    text = models.TextField(_("内容"))
    intent = models.CharField(_("意图"), max_length=20, blank=True)
    slots = models.JSONField(_("槽位"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=clock.now)

    class Meta:
        verbose_name = _("对话消息")
        verbose_name_plural = _("对话消息")
        ordering = ["created_at", "id"]

    class Scoping:
        self_path = "conversation__user"

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:20]}"


class PendingAction(models.Model):
    """Something the assistant proposed to do; it is done only when the same user confirms before expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assistant_actions",
        verbose_name=_("用户"),
    )
    kind = models.CharField(_("操作"), max_length=20, choices=ActionKind.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    summary = models.CharField(_("说明"), max_length=300)
    status = models.CharField(
        _("状态"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PENDING, db_index=True
    )
    # Actions proposed in the same reply (e.g. "which request do you want to cancel?") share a group.
    group = models.CharField(max_length=32, db_index=True)
    # True while the proposal is the last thing the assistant said: only then does a typed "好"/"不用了"
    # answer it (any later message clears it; the buttons keep working until expiry).
    awaiting_reply = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("提出时间"), default=clock.now)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("待确认操作")
        verbose_name_plural = _("待确认操作")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status", "-created_at"], name="assistant_action_user_idx")]

    class Scoping:
        self_path = "user"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.PENDING and self.expires_at > clock.now()


class EmergencyCountdown(DueWork):
    """An emergency the assistant heard: the SOS alarm is raised when the countdown ends unless cancelled.

    A row with a due time (DESIGN §4.5): the worker, the chat page's timer, the status page or the elder's
    "call now" button fire it, whichever comes first; the status change is a conditional update, so the
    alarm is raised once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户")
    )
    elder = models.ForeignKey(
        "people.ElderProfile", on_delete=models.CASCADE, related_name="+", verbose_name=_("长者")
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=CountdownStatus.choices,
        default=CountdownStatus.COUNTING,
        db_index=True,
    )
    # What the elder said (capped), handed to the responders with the alarm; cleared once decided.
    note = models.CharField(_("备注"), max_length=200, blank=True)
    alarm_id = models.CharField(_("警报编号"), max_length=40, blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("开始时间"), default=clock.now)
    fired_at = models.DateTimeField(_("呼叫时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("紧急呼叫倒计时")
        verbose_name_plural = _("紧急呼叫倒计时")
        ordering = ["-created_at", "-id"]

    class Scoping:
        community = "elder__community"
        self_path = "user"

    def __str__(self) -> str:
        return f"{self.elder} · {self.get_status_display()}"

    @property
    def follow_url(self) -> str | None:
        """Where the elder follows the alarm once it went out (the SOS app's page), if that app has one."""
        from shiguang.assistant import integrations

        return integrations.sos_alarm_url(self.alarm_id) if self.alarm_id else integrations.sos_page_url()

    def seconds_left(self, now: Any = None) -> int:
        if self.status != CountdownStatus.COUNTING:
            return 0
        delta = self.due_at - (now or clock.now())
        return max(0, int(delta.total_seconds() + 0.999))
