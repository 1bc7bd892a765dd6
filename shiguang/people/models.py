from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.accounts.validators import normalize_id_number
from shiguang.core import clock
from shiguang.core.fields import BlindIndexField, EncryptedTextField
from shiguang.core.models import TimeStampedModel
from shiguang.people.choices import (
    SKILLS,
    AbilityLevel,
    FamilyRelation,
    Gender,
    Hukou,
    LivingArrangement,
    VerificationStatus,
    VolunteerKind,
)


class ElderProfile(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="elder_profile",
        verbose_name=_("账户"),
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="elders", verbose_name=_("社区")
    )
    name = models.CharField(_("姓名"), max_length=60)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    living_arrangement = models.CharField(_("居住状况"), max_length=16, choices=LivingArrangement.choices)
    hukou = models.CharField(_("户籍类型"), max_length=12, choices=Hukou.choices)
    languages = models.JSONField(_("语言/方言"), default=list, blank=True)
    id_number = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_number_index = BlindIndexField(source="id_number", normalize=normalize_id_number)
    address = EncryptedTextField(_("家庭住址"), blank=True, default="")
    # Coarse location only (about 100 m): enough for dispatch distance, not a door.
    home_lat = models.FloatField(_("大致纬度"), null=True, blank=True)
    home_lng = models.FloatField(_("大致经度"), null=True, blank=True)
    health_notes = EncryptedTextField(_("健康备注"), blank=True, default="")
    needs = models.JSONField(_("需求"), default=list, blank=True)
    has_phone = models.BooleanField(_("有手机可自行登录"), default=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("长者")
        verbose_name_plural = _("长者")
        ordering = ["community_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="elder_unique_id_number",
            )
        ]

    class Scoping:
        community = "community"
        self_path = "user"
        family_path = "family_links__family_user"

    def __str__(self) -> str:
        return self.name

    def age(self, on: dt.date | None = None) -> int:
        on = on or clock.today()
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


class EmergencyContact(TimeStampedModel):
    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = models.CharField(_("姓名"), max_length=60)
    relation = models.CharField(_("关系"), max_length=12, choices=FamilyRelation.choices)
    phone = EncryptedTextField(_("电话"))
    priority = models.PositiveSmallIntegerField(_("顺序"), default=1)

    class Meta:
        verbose_name = _("紧急联系人")
        verbose_name_plural = _("紧急联系人")
        ordering = ["elder_id", "priority", "id"]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return self.name


class FamilyLink(TimeStampedModel):
    """A family member the elder (or a worker for the elder) has linked; they see that elder's updates."""

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="family_links")
    family_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_of"
    )
    relation = models.CharField(_("关系"), max_length=12, choices=FamilyRelation.choices)
    receives_alerts = models.BooleanField(_("接收提醒"), default=True)

    class Meta:
        verbose_name = _("家属关联")
        verbose_name_plural = _("家属关联")
        constraints = [models.UniqueConstraint(fields=["elder", "family_user"], name="family_link_unique")]

    class Scoping:
        community = "elder__community"
        self_path = "family_user"
        family_path = "family_user"

    def __str__(self) -> str:
        return f"{self.family_user} → {self.elder}"


class VolunteerProfile(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="volunteer_profile",
        verbose_name=_("账户"),
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="volunteers", verbose_name=_("常驻社区")
    )
    name = models.CharField(_("姓名"), max_length=60)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    kind = models.CharField(_("类别"), max_length=24, choices=VolunteerKind.choices)
    skills = models.JSONField(_("技能"), default=list, blank=True)
    languages = models.JSONField(_("语言"), default=list, blank=True)
    # {"mon": ["09:00-12:00", ...], ...}
    availability = models.JSONField(_("每周可服务时间"), default=dict, blank=True)
    base_lat = models.FloatField(_("常驻纬度"), null=True, blank=True)
    base_lng = models.FloatField(_("常驻经度"), null=True, blank=True)
    verification_status = models.CharField(
        _("核验状态"), max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("核验人"),
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    references = models.JSONField(_("推荐人"), default=list, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["community_id", "id"]

    class Scoping:
        community = "community"
        self_path = "user"

    def __str__(self) -> str:
        return self.name

    @property
    def skill_labels(self) -> list[str]:
        labels = dict(SKILLS)
        return [str(labels.get(s, s)) for s in self.skills]


class CapabilityAssessment(TimeStampedModel):
    """A dated GB/T 42195-2022 assessment; the next one falls due six months later."""

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("评估日期"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("评估人")
    )
    answers = models.JSONField(_("各项得分"))
    domain_scores = models.JSONField(_("一级指标得分"))
    total = models.PositiveSmallIntegerField(_("总分"))
    level = models.PositiveSmallIntegerField(_("能力等级"), choices=AbilityLevel.choices)
    reassess_due = models.DateField(_("下次评估日期"), db_index=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("能力评估")
        verbose_name_plural = _("能力评估")
        ordering = ["-assessed_on", "-id"]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.elder} {self.assessed_on}"
