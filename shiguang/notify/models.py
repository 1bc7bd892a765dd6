from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.core import clock
from shiguang.core.models import TimeStampedModel
from shiguang.notify.choices import Status


class Notification(TimeStampedModel):
    """Outbox row: one message to one recipient on one channel. The worker delivers it after commit."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
        db_index=False,  # notify_inbox_idx leads with it
    )
    channel = models.CharField(_("渠道"), max_length=20, default="in_app")
    template = models.CharField(_("模板"), max_length=60)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=clock.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    fallback_channel = models.CharField(_("备用渠道"), max_length=20, blank=True)
    # Idempotency: the same logical message is never queued twice (e.g. "sos:12:tier2:user5").
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=5)  # 0 = most urgent

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notify_inbox_idx"),
        ]
        # a constraint, not unique=True, which on PostgreSQL adds a LIKE copy of the index to every insert
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="notify_dedupe_key_unique")]

    class Scoping:
        self_path = "recipient"

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient}"


class Delivery(models.Model):
    """One attempt to deliver a notification (receipt or error), for support and KPIs."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    attempted_at = models.DateTimeField(default=clock.now)
    ok = models.BooleanField()
    provider_id = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.notification_id} {'ok' if self.ok else 'failed'}"
