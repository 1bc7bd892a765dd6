from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.accounts.choices import STAFF_ROLES, ConsentCategory, ConsentMethod, Role
from shiguang.accounts.validators import normalize_phone
from shiguang.core import clock
from shiguang.core.fields import BlindIndexField, EncryptedTextField
from shiguang.core.models import TimeStampedModel


class User(AbstractUser):
    """Everyone who signs in. Elders and volunteers sign in by phone; staff by username (+ TOTP).

    Staff belong to one place (district, street or community) that bounds what they can see.
    """

    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.ELDER, db_index=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = BlindIndexField(source="phone", normalize=normalize_phone)
    district = models.ForeignKey(
        "places.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属区"),
    )
    street = models.ForeignKey(
        "places.Street",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属街道"),
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属社区"),
    )
    can_unmask = models.BooleanField(_("可查看完整敏感信息"), default=False)
    is_demo = models.BooleanField(_("演示账户"), default=False)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_index"], condition=~models.Q(phone_index=""), name="user_unique_phone"
            )
        ]

    class Scoping:
        community = "community"
        self_path = "pk"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def place(self) -> Any:
        return self.community or self.street or self.district

    @staticmethod
    def new_username(prefix: str = "u") -> str:
        return f"{prefix}{secrets.token_hex(6)}"


class ApiToken(TimeStampedModel):
    """Bearer token for app and device clients. Only a hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    class Scoping:
        self_path = "user"

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @property
    def is_valid(self) -> bool:
        now = clock.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Consent(TimeStampedModel):
    """One row per grant of one sensitive category; withdrawal closes the row (PIPL art. 14-15)."""

    subject = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="consents", verbose_name=_("本人")
    )
    category = models.CharField(_("类别"), max_length=20, choices=ConsentCategory.choices)
    method = models.CharField(_("方式"), max_length=10, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    granted_at = models.DateTimeField(_("同意时间"), default=clock.now)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("撤回记录人")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("同意记录")
        verbose_name_plural = _("同意记录")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "category"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_category",
            )
        ]

    class Scoping:
        community = "subject__community"
        self_path = "subject"
        family_path = "subject__elder_profile__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.subject} · {self.get_category_display()}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
