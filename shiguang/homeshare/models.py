"""Homeshare pilot "幸福同行+各得其所": offers, applications, the funnel, matches, agreements, monitoring."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shiguang.accounts.validators import normalize_id_number
from shiguang.core import clock
from shiguang.core.fields import BlindIndexField, EncryptedTextField
from shiguang.core.models import DueWork, TimeStampedModel
from shiguang.homeshare.choices import (
    OPEN_MATCH,
    AgreementStatus,
    BackgroundOutcome,
    CookingRule,
    Decision,
    DropoutReason,
    EndReason,
    GenderPref,
    HelpLogStatus,
    MatchStatus,
    ReferenceStatus,
    SignatureMethod,
    SignerRole,
    Stage,
    TaskKind,
    VisitKind,
    VisitorRule,
    VisitStatus,
    Wellbeing,
)
from shiguang.legal.models import advisor_scope

USER = settings.AUTH_USER_MODEL


def _none() -> Q:
    return Q(pk__in=[])


class Participant(TimeStampedModel):
    """What offers and applications share: the funnel stage, drop-out, registration date."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.OUTREACH)
    stage_changed_at = models.DateTimeField(_("阶段更新时间"), default=clock.now)
    registered_on = models.DateField(_("登记日期"), default=clock.today)
    dropped_at = models.DateTimeField(_("退出时间"), null=True, blank=True)
    dropout_reason = models.CharField(_("退出原因"), max_length=20, choices=DropoutReason.choices, blank=True)
    dropout_note = models.CharField(_("退出说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.dropped_at is None and self.stage != Stage.ENDED


class Offer(Participant):
    """An elder's offer of a room, the help wanted in return, house rules, preferences and consents."""

    elder = models.ForeignKey(
        "people.ElderProfile",
        on_delete=models.PROTECT,
        related_name="homeshare_offers",
        verbose_name=_("长者"),
    )
    # the room
    room_size_m2 = models.DecimalField(_("房间面积（平方米）"), max_digits=5, decimal_places=1)
    floor = models.SmallIntegerField(_("楼层"))
    has_lift = models.BooleanField(_("有电梯"), default=False)
    rent_yuan = models.PositiveIntegerField(_("月租金（元，0为免租）"), default=0)
    included = models.JSONField(_("包含"), default=list, blank=True)
    room_note = models.CharField(_("房间说明"), max_length=300, blank=True)
    # house rules
    smoking_allowed = models.BooleanField(_("允许吸烟"), default=False)
    elder_smokes = models.BooleanField(_("长者本人吸烟"), default=False)
    pets_allowed = models.BooleanField(_("允许青年带宠物"), default=False)
    elder_has_pets = models.BooleanField(_("家中养有宠物"), default=False)
    visitors = models.CharField(
        _("访客"), max_length=10, choices=VisitorRule.choices, default=VisitorRule.DAYTIME
    )
    quiet_from = models.TimeField(_("安静时段开始"), default="22:00")
    quiet_to = models.TimeField(_("安静时段结束"), default="07:00")
    cooking = models.CharField(
        _("做饭"), max_length=10, choices=CookingRule.choices, default=CookingRule.SHARED
    )
    rules_note = models.CharField(_("其他居家规则"), max_length=300, blank=True)
    # help wanted
    help_kinds = models.JSONField(_("希望得到的帮助"), default=list)
    help_hours_per_week = models.PositiveSmallIntegerField(_("每周帮助时长（小时）"))
    evenings_wanted = models.PositiveSmallIntegerField(_("希望每周几个晚上有人在家"), default=3)
    languages = models.JSONField(_("语言/方言"), default=list)
    interests = models.JSONField(_("兴趣爱好"), default=list, blank=True)
    # preferences
    pref_gender = models.CharField(
        _("青年性别偏好"), max_length=8, choices=GenderPref.choices, default=GenderPref.ANY
    )
    age_min = models.PositiveSmallIntegerField(_("青年年龄下限"), default=20)
    age_max = models.PositiveSmallIntegerField(_("青年年龄上限"), default=35)
    # consents: {key: {"at": iso, "method": str, "by": user id}}
    consents = models.JSONField(_("同意事项"), default=dict, blank=True)

    class Meta:
        verbose_name = _("长者房源")
        verbose_name_plural = _("长者房源")
        ordering = ["community_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder"],
                condition=Q(dropped_at__isnull=True) & ~Q(stage="ended"),
                name="homeshare_one_open_offer_per_elder",
            ),
            models.CheckConstraint(
                condition=Q(age_min__lte=models.F("age_max")), name="homeshare_offer_age_range"
            ),
        ]

    class Scoping:
        community = "community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return advisor_scope(actor)

    def __str__(self) -> str:
        return f"{self.elder.name} · {self.room_size_m2}㎡"


class Application(Participant):
    """A youth's application: commute, budget, schedule, habits, languages, motivation, vetting."""

    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.PROTECT,
        related_name="homeshare_applications",
        verbose_name=_("青年"),
    )
    workplace = models.CharField(_("工作/学习单位"), max_length=100)
    work_lat = models.FloatField(_("单位纬度"))
    work_lng = models.FloatField(_("单位经度"))
    budget_yuan = models.PositiveIntegerField(_("可承担月租（元）"), default=0)
    schedule = models.CharField(_("作息与工作时间"), max_length=200)
    evenings_home = models.PositiveSmallIntegerField(_("每周在家的晚上数"), default=4)
    help_kinds = models.JSONField(_("可提供的帮助"), default=list)
    help_hours_per_week = models.PositiveSmallIntegerField(_("每周可提供时长（小时）"))
    skills_note = models.CharField(_("技能特长"), max_length=300, blank=True)
    smoker = models.BooleanField(_("吸烟"), default=False)
    has_pets = models.BooleanField(_("有宠物"), default=False)
    accepts_pets = models.BooleanField(_("可接受家中有宠物"), default=True)
    accepts_smoke = models.BooleanField(_("可接受同住者吸烟"), default=False)
    languages = models.JSONField(_("语言"), default=list)
    interests = models.JSONField(_("兴趣爱好"), default=list, blank=True)
    motivation = models.TextField(_("申请动机"))
    # identity and vetting: the check is done outside; we keep its outcome, date and who recorded it
    id_number = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_number_index = BlindIndexField(source="id_number", normalize=normalize_id_number)
    id_verified_at = models.DateTimeField(_("身份证核验时间"), null=True, blank=True)
    id_verified_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("身份证核验人"),
    )
    background_outcome = models.CharField(
        _("背景核查结果"), max_length=10, choices=BackgroundOutcome.choices, default=BackgroundOutcome.PENDING
    )
    background_checked_on = models.DateField(_("背景核查日期"), null=True, blank=True)
    background_recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("核查记录人")
    )
    background_note = models.CharField(_("核查说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("青年申请")
        verbose_name_plural = _("青年申请")
        ordering = ["community_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer"],
                condition=Q(dropped_at__isnull=True) & ~Q(stage="ended"),
                name="homeshare_one_open_application_per_youth",
            )
        ]

    class Scoping:
        community = "community"
        self_path = "volunteer__user"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return advisor_scope(actor)

    def __str__(self) -> str:
        return f"{self.volunteer.name} · {self.workplace}"


class Reference(TimeStampedModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="references")
    name = models.CharField(_("推荐人"), max_length=60)
    relation = models.CharField(_("关系"), max_length=60)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    phone = EncryptedTextField(_("电话"))
    status = models.CharField(
        _("核实结果"), max_length=16, choices=ReferenceStatus.choices, default=ReferenceStatus.NOT_CONTACTED
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("核实人")
    )
    checked_at = models.DateTimeField(_("核实时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推荐人")
        verbose_name_plural = _("推荐人")
        ordering = ["application_id", "id"]

    class Scoping:
        community = "application__community"
        self_path = "application__volunteer__user"

    def __str__(self) -> str:
        return self.name


class StageEvent(models.Model):
    """History of the funnel: every stage a participant reached, and drop-outs with their reason."""

    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices)
    dropout_reason = models.CharField(_("退出原因"), max_length=20, choices=DropoutReason.choices, blank=True)
    at = models.DateTimeField(_("时间"), default=clock.now, db_index=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("阶段记录")
        verbose_name_plural = _("阶段记录")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(offer__isnull=False, application__isnull=True)
                | Q(offer__isnull=True, application__isnull=False),
                name="homeshare_stage_event_one_subject",
            )
        ]

    class Scoping:
        community = "community"

    def __str__(self) -> str:
        return f"{self.stage} {self.at:%Y-%m-%d}"


class Match(TimeStampedModel):
    """A proposed or living pair. At most one open match per room and per youth (DB-enforced)."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="matches", verbose_name=_("房源"))
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="matches", verbose_name=_("青年申请")
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=MatchStatus.choices, default=MatchStatus.PROPOSED
    )
    score = models.FloatField(_("匹配得分"))
    explanation = models.JSONField(_("得分说明"), default=dict)
    proposed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("推荐人")
    )
    proposal_note = models.CharField(_("推荐说明"), max_length=300, blank=True)
    elder_decision = models.CharField(_("长者意见"), max_length=8, choices=Decision.choices, blank=True)
    elder_decided_at = models.DateTimeField(null=True, blank=True)
    youth_decision = models.CharField(_("青年意见"), max_length=8, choices=Decision.choices, blank=True)
    youth_decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("意见说明"), max_length=300, blank=True)
    started_on = models.DateField(_("入住日期"), null=True, blank=True)
    trial_ends_on = models.DateField(_("试住期至"), null=True, blank=True)
    term_ends_on = models.DateField(_("协议期至"), null=True, blank=True)
    active_since = models.DateField(_("转为正式同住"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("结束说明"), max_length=300, blank=True)
    ended_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("办理人")
    )

    class Meta:
        verbose_name = _("配对")
        verbose_name_plural = _("配对")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer"], condition=Q(status__in=OPEN_MATCH), name="homeshare_one_open_match_per_room"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=OPEN_MATCH),
                name="homeshare_one_open_match_per_youth",
            ),
        ]

    class Scoping:
        community = "community"
        self_path = "offer__elder__user"
        family_path = "offer__elder__family_links__family_user"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return Q(application__volunteer__user=actor) | (advisor_scope(actor) or _none())

    def __str__(self) -> str:
        return f"{self.offer.elder.name} × {self.application.volunteer.name}"

    @property
    def elder_user_id(self) -> int:
        return int(self.offer.elder.user_id)

    @property
    def youth_user_id(self) -> int:
        return int(self.application.volunteer.user_id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MATCH


def _match_scope(prefix: str) -> Any:
    def extra(actor: Any) -> Q | None:
        return (
            Q(**{f"{prefix}offer__elder__user": actor})
            | Q(**{f"{prefix}application__volunteer__user": actor})
            | (advisor_scope(actor, f"{prefix}community") or _none())
        )

    return extra


class Meeting(TimeStampedModel):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="meetings")
    held_at = models.DateTimeField(_("见面时间"))
    place = models.CharField(_("地点"), max_length=100)
    elder_feedback = models.CharField(_("长者感受"), max_length=300, blank=True)
    youth_feedback = models.CharField(_("青年感受"), max_length=300, blank=True)
    notes = models.TextField(_("记录"), blank=True)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("见面记录")
        verbose_name_plural = _("见面记录")
        ordering = ["held_at", "id"]

    class Scoping:
        community = "match__community"
        extra = staticmethod(_match_scope("match__"))

    def __str__(self) -> str:
        return f"{self.match} {self.held_at:%Y-%m-%d}"


class AgreementVersion(TimeStampedModel):
    """One immutable version of a match's agreement. A change makes a new version; the old one is kept."""

    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="agreements")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    # The core elements as structured fields (JSON), encrypted: they hold the address and contacts.
    terms_json = EncryptedTextField(_("协议要件"))
    clause_versions = models.JSONField(_("所用条款版本"), default=list)
    rendered_text = EncryptedTextField(_("协议文本"), blank=True, default="")
    sha256 = models.CharField(_("文本SHA-256"), max_length=64, blank=True)
    change_note = models.CharField(_("修改说明"), max_length=300, blank=True)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("替代的版本"),
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("起草人"))
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("定稿人")
    )
    signed_at = models.DateTimeField(_("生效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("同住协议")
        verbose_name_plural = _("同住协议")
        ordering = ["match_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["match", "number"], name="homeshare_agreement_version_unique"),
            models.UniqueConstraint(
                fields=["match"],
                condition=~Q(status="superseded"),
                name="homeshare_agreement_one_current",
            ),
        ]

    class Scoping:
        community = "match__community"
        extra = staticmethod(_match_scope("match__"))

    def __str__(self) -> str:
        return f"{self.match} v{self.number}"

    @property
    def terms(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.terms_json or "{}")
        return result

    def set_terms(self, terms: dict[str, Any]) -> None:
        self.terms_json = json.dumps(terms, ensure_ascii=False, sort_keys=True, default=str)


class Signature(models.Model):
    """Who signed which version, when, from which account, and the SHA-256 of the text they signed."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(_("签署身份"), max_length=16, choices=SignerRole.choices)
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("签署人"))
    account = models.CharField(_("签署账户"), max_length=150)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作账户")
    )
    method = models.CharField(_("方式"), max_length=10, choices=SignatureMethod.choices)
    signed_at = models.DateTimeField(_("签署时间"), default=clock.now)
    document_sha256 = models.CharField(_("文本SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("签署记录")
        verbose_name_plural = _("签署记录")
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "role"], name="homeshare_one_signature_per_role")
        ]

    class Scoping:
        community = "version__match__community"
        extra = staticmethod(_match_scope("version__match__"))

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.signer}"


class Visit(TimeStampedModel):
    """A monitoring visit, scheduled when a match starts (denser in month 1)."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(_("类型"), max_length=10, choices=VisitKind.choices)
    scheduled_for = models.DateField(_("计划日期"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    visitor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("回访人")
    )
    elder_wellbeing = models.PositiveSmallIntegerField(_("长者状态"), choices=Wellbeing.choices, null=True)
    youth_wellbeing = models.PositiveSmallIntegerField(_("青年状态"), choices=Wellbeing.choices, null=True)
    notes = models.TextField(_("回访记录"), blank=True)
    concerns = models.CharField(_("需要跟进的问题"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["match_id", "scheduled_for", "id"]

    class Scoping:
        community = "match__community"
        extra = staticmethod(_match_scope("match__"))

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scheduled_for}"


class HelpLog(TimeStampedModel):
    """Help given by the youth, logged by the youth and confirmed by the elder; confirmed hours go to the
    time bank once (idempotency key homeshare:<id>)."""

    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="help_logs")
    date = models.DateField(_("日期"))
    minutes = models.PositiveIntegerField(_("时长（分钟）"))
    kinds = models.JSONField(_("帮助内容"), default=list)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=HelpLogStatus.choices, default=HelpLogStatus.LOGGED
    )
    logged_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人"))
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("确认人")
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    dispute_note = models.CharField(_("异议说明"), max_length=300, blank=True)
    ledger_ref = models.CharField(_("时间银行记账号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("帮助记录")
        verbose_name_plural = _("帮助记录")
        ordering = ["-date", "-id"]

    class Scoping:
        community = "match__community"
        extra = staticmethod(_match_scope("match__"))

    def __str__(self) -> str:
        return f"{self.date} {self.minutes}min"


class MonitoringTask(DueWork):
    """Time-based monitoring work claimed by the worker loop: overdue visits, weekly help, trial end."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("类型"), max_length=16, choices=TaskKind.choices)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    result = models.CharField(_("结果"), max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("监测任务")
        verbose_name_plural = _("监测任务")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["done_at", "due_at"], name="homeshare_task_due_idx")]

    class Scoping:
        community = "match__community"

    def __str__(self) -> str:
        return f"{self.kind} {self.due_at:%Y-%m-%d}"
