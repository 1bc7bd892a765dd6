"""Emergency call (紧急呼叫): alarms, escalation policies and steps, duty rosters, devices, daily check-in.

Reliability rests on two rules. (1) An alarm and its first escalation step are written in one transaction, and
every later step is a row with a due time (`EscalationStep`) that a worker claims with SELECT ... FOR UPDATE
SKIP LOCKED and completes in the same transaction; a killed worker's transaction rolls back and the step is
taken by the next worker. (2) Notifications are outbox rows with a dedupe key per (alarm, tier, recipient).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shiguang.core import clock
from shiguang.core.fields import EncryptedTextField
from shiguang.core.models import TimeStampedModel
from shiguang.sos.choices import (
    AlarmSource,
    AlarmStatus,
    Audience,
    CheckinSource,
    DeviceKind,
    DutyRole,
    EventKind,
    Outcome,
    ReviewStatus,
    StepKind,
)


def _responder_scope(actor: Any) -> Q:
    """Volunteers (and anyone else) see the alarms they were asked to respond to."""
    return Q(responders__user_id=actor.pk)


class EscalationPolicy(models.Model):
    """One immutable version of a community's escalation policy (community null = the platform default).

    Editing publishes a new version; each alarm keeps the version it was raised under.
    """

    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sos_policies",
        verbose_name=_("社区"),
    )
    version = models.PositiveIntegerField(_("版本"))
    # [{"audience": "volunteers", "deadline_seconds": 30, "channel": "sms", "fallback_channel": "voice"}, …]
    tiers = models.JSONField(_("分级"))
    review_after_seconds = models.PositiveIntegerField(_("超时复盘阈值（秒）"), default=90)
    volunteer_radius_m = models.PositiveIntegerField(_("志愿者距离上限（米）"), default=3000)
    max_volunteers = models.PositiveSmallIntegerField(_("每次通知志愿者上限"), default=5)
    reveal_address_to = models.JSONField(_("可查看完整地址的响应人"), default=list)
    checkin_alarm_after = models.PositiveSmallIntegerField(_("连续未报平安几次后按呼救升级"), default=2)
    checkin_deadline_factor = models.PositiveSmallIntegerField(_("报平安升级时限倍数"), default=10)
    repeat_seconds = models.PositiveIntegerField(_("最后一级后重复提醒间隔（秒）"), default=120)
    max_repeats = models.PositiveSmallIntegerField(_("重复提醒次数"), default=3)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发布人"),
    )
    created_at = models.DateTimeField(_("发布时间"), default=clock.now)

    class Meta:
        verbose_name = _("升级策略")
        verbose_name_plural = _("升级策略")
        ordering = ["community_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["community", "version"], name="sos_policy_unique_version"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(community__isnull=True), name="sos_policy_default_version"
            ),
        ]

    class Scoping:
        community = "community"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return Q(community__isnull=True) if actor.is_staff_role else None

    def __str__(self) -> str:
        return f"{self.community or _('默认')} v{self.version}"


class Device(TimeStampedModel):
    """A pendant, wristband or home sensor bound to one elder; it signs its calls with its own secret."""

    elder = models.ForeignKey(
        "people.ElderProfile", on_delete=models.PROTECT, related_name="sos_devices", verbose_name=_("长者")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DeviceKind.choices)
    label = models.CharField(_("名称"), max_length=60, blank=True)
    device_id = models.CharField(_("设备编号"), max_length=40, unique=True)
    secret = EncryptedTextField(_("签名密钥"))
    active = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最近通信"), null=True, blank=True)
    last_battery = models.PositiveSmallIntegerField(_("电量%"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("呼叫设备")
        verbose_name_plural = _("呼叫设备")
        ordering = ["elder_id", "id"]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.device_id}"


class Alarm(TimeStampedModel):
    elder = models.ForeignKey(
        "people.ElderProfile", on_delete=models.PROTECT, related_name="sos_alarms", verbose_name=_("长者")
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="sos_alarms", verbose_name=_("社区")
    )
    source = models.CharField(_("来源"), max_length=12, choices=AlarmSource.choices)
    drill = models.BooleanField(_("演练"), default=False)
    status = models.CharField(
        _("状态"), max_length=14, choices=AlarmStatus.choices, default=AlarmStatus.OPEN, db_index=True
    )
    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("策略版本")
    )
    deadline_scale = models.FloatField(_("时限倍数"), default=1.0)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("设备")
    )
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, unique=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    location_lat = models.FloatField(_("大致纬度"), null=True, blank=True)
    location_lng = models.FloatField(_("大致经度"), null=True, blank=True)
    raised_at = models.DateTimeField(_("呼救时间"), default=clock.now, db_index=True)
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("受理人"),
    )
    en_route_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    on_scene_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("到场人"),
    )
    resolved_at = models.DateTimeField(_("处理完毕时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处理人"),
    )
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=500, blank=True)
    current_tier = models.PositiveSmallIntegerField(_("已通知到第几级"), default=0)
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    elder_ok_at = models.DateTimeField(_("长者报告没事"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # bumped on every change; live pages order pushes by it

    class Meta:
        verbose_name = _("呼救")
        verbose_name_plural = _("呼救")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["community", "raised_at"], name="sos_alarm_comm_idx"),
            models.Index(fields=["updated_at"], name="sos_alarm_updated_idx"),
        ]
        constraints = [
            # At most one live alarm per elder (and one live drill): a second press joins the first.
            models.UniqueConstraint(
                fields=["elder", "drill"],
                condition=~Q(status=AlarmStatus.RESOLVED),
                name="sos_one_live_alarm_per_elder",
            ),
            models.CheckConstraint(
                condition=Q(status=AlarmStatus.OPEN) | Q(acknowledged_at__isnull=False),
                name="sos_ack_time_when_not_open",
            ),
            models.CheckConstraint(
                condition=~Q(status=AlarmStatus.RESOLVED) | ~Q(outcome=""), name="sos_resolved_has_outcome"
            ),
        ]

    class Scoping:
        community = "community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"
        extra = staticmethod(_responder_scope)

    def __str__(self) -> str:
        return f"#{self.pk} {self.elder} {self.get_status_display()}"

    @property
    def is_live(self) -> bool:
        return self.status != AlarmStatus.RESOLVED

    @property
    def ack_seconds(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.raised_at).total_seconds()


class AlarmResponder(models.Model):
    """Someone an alarm was sent to (by tier); being one puts the alarm in that person's scope."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="responders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tier = models.PositiveSmallIntegerField(_("级别"))
    audience = models.CharField(_("对象"), max_length=16, choices=Audience.choices)
    distance_m = models.PositiveIntegerField(_("距离（米）"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), default=clock.now)

    class Meta:
        verbose_name = _("响应人")
        verbose_name_plural = _("响应人")
        ordering = ["alarm_id", "tier", "distance_m", "id"]
        constraints = [models.UniqueConstraint(fields=["alarm", "user"], name="sos_responder_unique")]

    class Scoping:
        community = "alarm__community"
        self_path = "user"

    def __str__(self) -> str:
        return f"{self.alarm_id} t{self.tier} → {self.user_id}"


class AlarmEvent(models.Model):
    """The alarm's timeline as responders read it (the audit trail holds the same facts, hash-chained)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=clock.now)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("呼救时间线")
        verbose_name_plural = _("呼救时间线")
        ordering = ["at", "id"]

    class Scoping:
        community = "alarm__community"
        self_path = "alarm__elder__user"
        family_path = "alarm__elder__family_links__family_user"

        @staticmethod
        def extra(actor: Any) -> Q:
            return Q(alarm__responders__user_id=actor.pk)

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.kind}"


class EscalationStep(models.Model):
    """One due piece of escalation work: notify tier N, repeat the last tier, or check for an incident review.

    Claimed with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL) or inside an IMMEDIATE transaction (SQLite);
    the claim, the notifications and `done_at` commit together, so a step is done exactly once.
    """

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=8, choices=StepKind.choices, default=StepKind.NOTIFY)
    tier = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["alarm", "kind", "tier"], name="sos_step_unique")]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="sos_step_pending_idx")
        ]

    class Scoping:
        community = "alarm__community"

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.kind} t{self.tier} @ {self.due_at:%H:%M:%S}"


class IncidentReview(TimeStampedModel):
    """Opened automatically for an alarm not acknowledged within the policy's threshold (default 90 s)."""

    alarm = models.OneToOneField(Alarm, on_delete=models.CASCADE, related_name="review")
    opened_at = models.DateTimeField(_("开启时间"), default=clock.now)
    ack_seconds = models.FloatField(_("受理用时（秒）"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    findings = models.TextField(_("复盘结论"), blank=True)
    actions = models.TextField(_("改进措施"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("结案人"),
    )
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件复盘")
        verbose_name_plural = _("事件复盘")
        ordering = ["-opened_at"]

    class Scoping:
        community = "alarm__community"

    def __str__(self) -> str:
        return f"review #{self.alarm_id}"


class DutyShift(TimeStampedModel):
    """Who is on duty for a community (workers, volunteers on call) or a street (street officer), and when."""

    street = models.ForeignKey(
        "places.Street", on_delete=models.PROTECT, related_name="sos_shifts", verbose_name=_("街道")
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sos_shifts",
        verbose_name=_("社区"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sos_shifts",
        verbose_name=_("值班人"),
    )
    role = models.CharField(_("值班类型"), max_length=16, choices=DutyRole.choices)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("备注"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("排班人")
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["role", "starts_at", "ends_at"], name="sos_shift_when_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="sos_shift_ordered"),
            models.CheckConstraint(
                condition=Q(role=DutyRole.STREET_OFFICER) | Q(community__isnull=False),
                name="sos_shift_community_unless_street",
            ),
        ]

    class Scoping:
        community = "community"
        self_path = "person"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            from shiguang.accounts.choices import Role

            if actor.role == Role.STREET_STAFF and actor.street_id:
                return Q(street_id=actor.street_id)
            if actor.role == Role.DISTRICT_STAFF and actor.district_id:
                return Q(street__district_id=actor.district_id)
            if actor.role == Role.COMMUNITY_WORKER and actor.community_id:
                # Workers see who the street officer on duty is for their street.
                return Q(community__isnull=True, street__communities__id=actor.community_id)
            return None

    def __str__(self) -> str:
        return f"{self.person} {self.get_role_display()} {self.starts_at:%m-%d %H:%M}"


class CheckinPlan(TimeStampedModel):
    """An elder's daily check-in (报平安) opt-in; `due_at` is the next deadline the worker checks."""

    elder = models.OneToOneField(
        "people.ElderProfile", on_delete=models.CASCADE, related_name="checkin_plan", verbose_name=_("长者")
    )
    deadline = models.TimeField(_("每日报平安截止时间"))
    active = models.BooleanField(_("启用"), default=True)
    due_at = models.DateTimeField(_("下次检查时间"), db_index=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    miss_streak = models.PositiveSmallIntegerField(_("连续未报次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )

    class Meta:
        verbose_name = _("报平安计划")
        verbose_name_plural = _("报平安计划")
        ordering = ["elder_id"]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.elder} {self.deadline:%H:%M}"


class DailyCheckin(models.Model):
    elder = models.ForeignKey(
        "people.ElderProfile", on_delete=models.CASCADE, related_name="checkins", verbose_name=_("长者")
    )
    date = models.DateField(_("日期"))
    at = models.DateTimeField(_("时间"), default=clock.now)
    source = models.CharField(_("方式"), max_length=12, choices=CheckinSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )

    class Meta:
        verbose_name = _("报平安记录")
        verbose_name_plural = _("报平安记录")
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["elder", "date"], name="sos_checkin_once_a_day")]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.elder} {self.date}"


class CheckinMiss(models.Model):
    elder = models.ForeignKey(
        "people.ElderProfile", on_delete=models.CASCADE, related_name="checkin_misses", verbose_name=_("长者")
    )
    date = models.DateField(_("日期"))
    detected_at = models.DateTimeField(_("发现时间"), default=clock.now)
    streak = models.PositiveSmallIntegerField(_("连续次数"), default=1)
    alarm = models.ForeignKey(Alarm, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    alerted = models.BooleanField(_("已提醒"), default=True)
    resolved_at = models.DateTimeField(_("补报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("未报平安")
        verbose_name_plural = _("未报平安")
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["elder", "date"], name="sos_miss_once_a_day")]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.elder} {self.date} ×{self.streak}"


class WorkerBeat(models.Model):
    """Last time each worker process ran the SOS handlers; the console warns when none is alive."""

    worker_id = models.CharField(max_length=64, unique=True)
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("升级程序心跳")
        verbose_name_plural = _("升级程序心跳")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.last_seen_at:%H:%M:%S}"


__all__ = [
    "Alarm",
    "AlarmEvent",
    "AlarmResponder",
    "AlarmSource",
    "CheckinMiss",
    "CheckinPlan",
    "DailyCheckin",
    "Device",
    "DutyShift",
    "EscalationPolicy",
    "EscalationStep",
    "IncidentReview",
    "Outcome",
    "WorkerBeat",
]
