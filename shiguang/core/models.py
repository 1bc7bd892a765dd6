from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.core import clock


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=clock.now, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.updated_at = clock.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every state change and every read of a sensitive field.

    `hash` = sha256(prev_hash + canonical JSON of this row). Database triggers refuse UPDATE and DELETE;
    `manage.py verify_audit` recomputes the chain and names the first broken link.
    """

    created_at = models.DateTimeField(_("时间"), default=clock.now, db_index=True)
    code = models.CharField(_("事件"), max_length=80)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代办对象"),
    )
    target_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # Which of core.audit.CHAINS hash chains this event extends; prev_hash is that chain's previous event.
    chain = models.PositiveSmallIntegerField(default=1)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects: ClassVar[models.Manager[AuditEvent]] = models.Manager()

    class Meta:
        ordering = ["id"]
        # Here rather than db_index/unique on the fields, which on PostgreSQL also build a varchar_pattern_ops
        # copy of each index (for LIKE 'x%'): nothing searches these columns that way, and every audited
        # write would keep the copies up.
        indexes = [
            models.Index(fields=["code"], name="core_audit_code_idx"),
            models.Index(fields=["target_id"], name="core_audit_target_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="core_audit_hash_unique")]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit events are append-only")


class AuditHead(models.Model):
    """The head of one audit hash chain (id = chain number): its latest hash, locked while appending so the
    chain stays linear. core.audit spreads writers over several chains."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head #{self.count}"


class DueWork(models.Model):
    """Base for rows a worker claims when due (escalations, reminders, retries). See core.worker."""

    due_at = models.DateTimeField(db_index=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True
