from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shiguang.community.choices import (
    ActivityKind,
    ActivityStatus,
    CaseKind,
    CaseStatus,
    CertificationKind,
    CheckinMethod,
    EnrollmentStatus,
    GroupRole,
    OutreachOutcome,
    RecruitmentChannel,
    ReminderKind,
    ReminderOutcome,
    RuleKey,
    ScreeningPriority,
    SessionStatus,
    SignupChannel,
    SignupStatus,
    TrainingResult,
    Weekday,
    YouthInterest,
)
from shiguang.core import clock
from shiguang.core.fields import BlindIndexField, EncryptedTextField
from shiguang.core.models import DueWork, TimeStampedModel


def _facility_street_scope(actor: Any) -> Q | None:
    """Activities and training are public notices: staff see everything at facilities in their street (a
    community worker signs their elders up for the street centre's health talk). Changing one still needs
    the facility in the actor's own place (services check `facility_in_scope`)."""
    from shiguang.accounts.choices import Role

    if actor.role in (Role.STREET_STAFF, Role.COMMUNITY_WORKER) and actor.street_id:
        return Q(facility__street_id=actor.street_id)
    if actor.role == Role.DISTRICT_STAFF and actor.district_id:
        return Q(facility__street__district_id=actor.district_id)
    return None


def _activity_staff_scope(actor: Any) -> Q | None:
    """Staff running the facility see its sign-ups (also of elders from neighbouring communities)."""
    from shiguang.accounts.choices import Role

    if actor.role == Role.COMMUNITY_WORKER and actor.community_id:
        return Q(activity__facility__community_id=actor.community_id)
    if actor.role == Role.STREET_STAFF and actor.street_id:
        return Q(activity__facility__street_id=actor.street_id)
    if actor.role == Role.DISTRICT_STAFF and actor.district_id:
        return Q(activity__facility__street__district_id=actor.district_id)
    return None


def _session_staff_scope(actor: Any) -> Q:
    """The trainer and the staff running the facility see a session's enrolments."""
    from shiguang.accounts.choices import Role

    q = Q(session__trainer_id=actor.pk)
    if actor.role == Role.COMMUNITY_WORKER and actor.community_id:
        q |= Q(session__facility__community_id=actor.community_id)
    elif actor.role == Role.STREET_STAFF and actor.street_id:
        q |= Q(session__facility__street_id=actor.street_id)
    elif actor.role == Role.DISTRICT_STAFF and actor.district_id:
        q |= Q(session__facility__street__district_id=actor.district_id)
    return q


def _normalize_address(value: str) -> str:
    return "".join(value.split()).lower()


class Certification(TimeStampedModel):
    """A volunteer's certification with an expiry: from a passed course session, or recorded by a worker."""

    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="certifications",
        verbose_name=_("志愿者"),
    )
    kind = models.CharField(_("类别"), max_length=24, choices=CertificationKind.choices)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    source = models.CharField(_("来源"), max_length=120, blank=True)  # e.g. a course session, an outside body
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Expiry reminder: a due row (remind_on) claimed by the worker, 30 days before expires_on.
    remind_on = models.DateField(_("到期提醒日"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")
        ordering = ["volunteer_id", "kind", "-expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("issued_on")), name="cert_expiry_after_issue"
            )
        ]

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_kind_display()}"


class VolunteerInsurance(TimeStampedModel):
    """Volunteer accident insurance; home visits can require a valid policy (district setting)."""

    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="insurances",
        verbose_name=_("志愿者"),
    )
    insurer = models.CharField(_("保险公司"), max_length=80)
    policy_number = models.CharField(_("保单号"), max_length=60)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("到期日期"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("志愿者意外险")
        verbose_name_plural = _("志愿者意外险")
        ordering = ["volunteer_id", "-valid_to"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="insurance_dates_ordered"
            )
        ]

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.insurer} {self.policy_number}"


class DistrictRule(TimeStampedModel):
    """A district-level switch or number set by district staff (e.g. insurance required for home visits)."""

    district = models.ForeignKey(
        "places.District", on_delete=models.CASCADE, related_name="+", verbose_name=_("区")
    )
    key = models.CharField(_("规则"), max_length=48, choices=RuleKey.choices)
    value = models.JSONField(_("取值"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("区级规则")
        verbose_name_plural = _("区级规则")
        constraints = [models.UniqueConstraint(fields=["district", "key"], name="district_rule_unique_key")]

    def __str__(self) -> str:
        return f"{self.district} · {self.get_key_display()} = {self.value}"


# --- activities ---------------------------------------------------------------------------------------------


class ActivitySeries(TimeStampedModel):
    """A weekly activity (e.g. 太极 every Tuesday 9:00); the worker keeps its occurrences generated ahead."""

    title = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类别"), max_length=16, choices=ActivityKind.choices)
    tags = models.JSONField(_("关键词"), default=list, blank=True)
    description = models.TextField(_("介绍"), blank=True)
    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("地点")
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("社区"),
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)  # 0 = Monday
    start_time = models.TimeField(_("开始时间"))
    duration_minutes = models.PositiveSmallIntegerField(_("时长（分钟）"))
    capacity = models.PositiveIntegerField(_("名额"))
    starts_on = models.DateField(_("首次日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    generated_until = models.DateField(_("已生成至"))
    active = models.BooleanField(_("进行中"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("每周活动")
        verbose_name_plural = _("每周活动")
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="series_weekday_valid"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="series_capacity_positive"),
        ]

    class Scoping:
        community = "community"
        extra = staticmethod(_facility_street_scope)

    def __str__(self) -> str:
        return self.title


class Activity(TimeStampedModel):
    """One dated activity at a station or centre: what elders sign up for and check in to."""

    series = models.ForeignKey(
        ActivitySeries,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="occurrences",
        verbose_name=_("所属每周活动"),
    )
    title = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类别"), max_length=16, choices=ActivityKind.choices)
    tags = models.JSONField(_("关键词"), default=list, blank=True)
    description = models.TextField(_("介绍"), blank=True)
    search_text = models.TextField(editable=False, blank=True)  # title, tags, kind words (for keywords)
    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("地点")
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("社区"),
    )
    start_at = models.DateTimeField(_("开始时间"), db_index=True)
    end_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.SCHEDULED
    )
    checkin_code = models.CharField(_("签到码"), max_length=24, unique=True)
    signup_seq = models.PositiveIntegerField(default=0, editable=False)  # queue position counter
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("社区活动")
        verbose_name_plural = _("社区活动")
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="activity_end_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_capacity_positive"),
            models.UniqueConstraint(
                fields=["series", "start_at"], condition=Q(series__isnull=False), name="activity_series_once"
            ),
        ]

    class Scoping:
        community = "community"
        extra = staticmethod(_facility_street_scope)

    def __str__(self) -> str:
        return f"{self.title} {clock.local(self.start_at):%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == ActivityStatus.CANCELLED


class Signup(TimeStampedModel):
    """An elder's place at an activity: confirmed, or waitlisted in `seq` order (promoted automatically)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    elder = models.ForeignKey(
        "people.ElderProfile",
        on_delete=models.CASCADE,
        related_name="activity_signups",
        verbose_name=_("长者"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=SignupStatus.choices)
    seq = models.PositiveIntegerField(_("报名顺序"))
    channel = models.CharField(_("报名方式"), max_length=12, choices=SignupChannel.choices)
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("报名操作人")
    )
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("取消操作人"),
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkin_method = models.CharField(_("签到方式"), max_length=8, choices=CheckinMethod.choices, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签到登记人"),
    )

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        ordering = ["activity_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "elder"],
                condition=~Q(status=SignupStatus.CANCELLED),
                name="signup_one_active_per_elder",
            ),
            models.UniqueConstraint(fields=["activity", "seq"], name="signup_unique_seq"),
        ]
        indexes = [models.Index(fields=["activity", "status", "seq"], name="signup_queue_idx")]

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"
        extra = staticmethod(_activity_staff_scope)

    def __str__(self) -> str:
        return f"{self.elder} → {self.activity}"

    @property
    def attended(self) -> bool:
        return self.checked_in_at is not None


class ActivityReminder(DueWork):
    """A reminder due before an activity; the worker claims due rows and sends them once."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("提醒"), max_length=12, choices=ReminderKind.choices)
    outcome = models.CharField(
        _("结果"), max_length=8, choices=ReminderOutcome.choices, default=ReminderOutcome.PENDING, blank=True
    )

    class Meta:
        verbose_name = _("活动提醒")
        verbose_name_plural = _("活动提醒")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["signup", "kind"], name="reminder_once_per_kind")]
        indexes = [models.Index(fields=["done_at", "due_at"], name="reminder_due_idx")]

    class Scoping:
        community = "signup__elder__community"
        self_path = "signup__elder__user"

    def __str__(self) -> str:
        return f"{self.signup} · {self.get_kind_display()}"


class InterestGroup(TimeStampedModel):
    """An interest group (e.g. 粤剧社, 书法班) with members and announcements."""

    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类别"), max_length=16, choices=ActivityKind.choices)
    description = models.TextField(_("介绍"), blank=True)
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    facility = models.ForeignKey(
        "places.Facility",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("活动地点"),
    )
    active = models.BooleanField(_("活跃"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("兴趣小组")
        verbose_name_plural = _("兴趣小组")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="group_unique_name")]

    class Scoping:
        community = "community"

    def __str__(self) -> str:
        return self.name


class GroupMembership(TimeStampedModel):
    group = models.ForeignKey(InterestGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_memberships",
        verbose_name=_("成员"),
    )
    role = models.CharField(_("身份"), max_length=8, choices=GroupRole.choices, default=GroupRole.MEMBER)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    left_at = models.DateTimeField(_("退出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("小组成员")
        verbose_name_plural = _("小组成员")
        ordering = ["group_id", "-role", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=Q(left_at__isnull=True), name="membership_one_active"
            )
        ]

    class Scoping:
        community = "group__community"
        self_path = "user"
        family_path = "user__elder_profile__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.user} @ {self.group}"


class GroupAnnouncement(TimeStampedModel):
    group = models.ForeignKey(InterestGroup, on_delete=models.CASCADE, related_name="announcements")
    title = models.CharField(_("标题"), max_length=80)
    body = models.TextField(_("内容"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )

    class Meta:
        verbose_name = _("小组公告")
        verbose_name_plural = _("小组公告")
        ordering = ["-created_at", "-id"]

    class Scoping:
        community = "group__community"

    def __str__(self) -> str:
        return self.title


# --- volunteer recruitment and training ---------------------------------------------------------------------


class VolunteerRecruitment(TimeStampedModel):
    """Where a volunteer came from (kept here because the people app owns VolunteerProfile)."""

    volunteer = models.OneToOneField(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="recruitment",
        verbose_name=_("志愿者"),
    )
    channel = models.CharField(_("招募渠道"), max_length=12, choices=RecruitmentChannel.choices)
    organisation = models.CharField(_("单位/学校"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("招募渠道")
        verbose_name_plural = _("招募渠道")

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_channel_display()}"


class Course(TimeStampedModel):
    """A training course; passing one of its sessions grants `certification_kind` for `validity_months`."""

    code = models.SlugField(_("编号"), max_length=40, unique=True)
    title = models.CharField(_("课程名称"), max_length=80)
    certification_kind = models.CharField(_("授予资质"), max_length=24, choices=CertificationKind.choices)
    validity_months = models.PositiveSmallIntegerField(_("有效期（月）"))
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)
    description = models.TextField(_("课程内容"), blank=True)
    active = models.BooleanField(_("开设中"), default=True)

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(validity_months__gte=1), name="course_validity_positive")
        ]

    def __str__(self) -> str:
        return self.title


class CourseSession(TimeStampedModel):
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("课程")
    )
    trainer_name = models.CharField(_("培训讲师"), max_length=60)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("讲师账户"),
    )
    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("地点")
    )
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("社区"),
    )
    start_at = models.DateTimeField(_("开始时间"), db_index=True)
    end_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    status = models.CharField(
        _("状态"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("培训场次")
        verbose_name_plural = _("培训场次")
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="session_end_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
        ]

    class Scoping:
        community = "community"
        extra = staticmethod(_facility_street_scope)

    def __str__(self) -> str:
        return f"{self.course} {clock.local(self.start_at):%Y-%m-%d %H:%M}"


class SessionEnrollment(TimeStampedModel):
    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="enrollments")
    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="training_enrollments",
        verbose_name=_("志愿者"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("报名操作人")
    )
    attended_at = models.DateTimeField(_("出勤登记时间"), null=True, blank=True)
    result = models.CharField(
        _("考核结果"), max_length=8, choices=TrainingResult.choices, default=TrainingResult.PENDING
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("评定人"),
    )
    certification = models.ForeignKey(
        Certification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("所获证书"),
    )

    class Meta:
        verbose_name = _("培训报名")
        verbose_name_plural = _("培训报名")
        ordering = ["session_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "volunteer"],
                condition=Q(status=EnrollmentStatus.ENROLLED),
                name="enrollment_one_active",
            )
        ]

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"
        extra = staticmethod(_session_staff_scope)

    def __str__(self) -> str:
        return f"{self.volunteer} → {self.session}"

    @property
    def attended(self) -> bool:
        return self.attended_at is not None


# --- outreach and screening ---------------------------------------------------------------------------------


class OutreachVisit(TimeStampedModel):
    """A door-to-door visit (入户宣传): a registered elder's home, or a new household known by its address."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    elder = models.ForeignKey(
        "people.ElderProfile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outreach_visits",
        verbose_name=_("长者"),
    )
    household_address = EncryptedTextField(_("住户地址"), blank=True, default="")
    household_index = BlindIndexField(source="household_address", normalize=_normalize_address)
    contact_name = models.CharField(_("称呼"), max_length=40, blank=True)
    visited_on = models.DateField(_("走访日期"), db_index=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("走访人")
    )
    companions = models.CharField(_("同行人员"), max_length=120, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=OutreachOutcome.choices)
    interest_homeshare = models.BooleanField(_("有意参加“幸福同行”"), default=False)
    interest_mutual_aid = models.BooleanField(_("有意参加互助服务"), default=False)
    interest_sos_device = models.BooleanField(_("有意安装紧急呼叫设备"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    follow_up_on = models.DateField(_("计划回访日期"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(elder__isnull=False) | ~Q(household_index=""), name="outreach_has_household"
            )
        ]

    class Scoping:
        community = "community"
        self_path = "elder__user"

    def __str__(self) -> str:
        return f"{self.community} {self.visited_on}"

    @property
    def household_key(self) -> str:
        return f"e{self.elder_id}" if self.elder_id else f"h{self.household_index}"

    @property
    def any_interest(self) -> bool:
        return self.interest_homeshare or self.interest_mutual_aid or self.interest_sos_device


class ScreeningResponse(TimeStampedModel):
    """The screening questionnaire for one visit: willingness and needs, with a derived priority."""

    visit = models.OneToOneField(OutreachVisit, on_delete=models.CASCADE, related_name="screening")
    answers = models.JSONField(_("答案"))
    needs = models.JSONField(_("需求"), default=list, blank=True)
    priority = models.CharField(_("关注等级"), max_length=8, choices=ScreeningPriority.choices)
    score = models.PositiveSmallIntegerField(_("风险分"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("筛查问卷")
        verbose_name_plural = _("筛查问卷")

    class Scoping:
        community = "visit__community"
        self_path = "visit__elder__user"

    def __str__(self) -> str:
        return f"{self.visit} · {self.get_priority_display()}"


class YouthSurvey(TimeStampedModel):
    """A survey of a young person (graduate, trainee lawyer, young professional) and what they'd join."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("登记社区")
    )
    respondent_kind = models.CharField(_("身份"), max_length=24)  # people.choices.VolunteerKind ids
    channel = models.CharField(_("接触渠道"), max_length=12, choices=RecruitmentChannel.choices)
    organisation = models.CharField(_("单位/学校"), max_length=100, blank=True)
    age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)
    interests = models.JSONField(_("意向"), default=list, blank=True)
    hours_per_week = models.PositiveSmallIntegerField(_("每周可投入小时"), default=0)
    contact_name = models.CharField(_("称呼"), max_length=40, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    consent_to_contact = models.BooleanField(_("同意后续联系"), default=False)
    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("对应志愿者"),
    )
    surveyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    surveyed_on = models.DateField(_("调查日期"), default=clock.today)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("青年意向调查")
        verbose_name_plural = _("青年意向调查")
        ordering = ["-surveyed_on", "-id"]

    class Scoping:
        community = "community"
        self_path = "surveyed_by"

    def __str__(self) -> str:
        return f"{self.respondent_kind} {self.surveyed_on}"

    @property
    def respondent_kind_label(self) -> str:
        from shiguang.people.choices import VolunteerKind

        return str(dict(VolunteerKind.choices).get(self.respondent_kind, self.respondent_kind))

    @property
    def interest_labels(self) -> list[str]:
        labels = dict(YouthInterest.choices)
        return [str(labels.get(i, i)) for i in self.interests or []]


# --- case write-ups -----------------------------------------------------------------------------------------


class CaseStory(TimeStampedModel):
    """A case write-up (案例) drafted by a worker from real records, published by street/district staff."""

    title = models.CharField(_("标题"), max_length=80)
    kind = models.CharField(_("类别"), max_length=12, choices=CaseKind.choices)
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    source_ref = models.CharField(_("来源记录"), max_length=120, blank=True)  # e.g. "aid:HelpRequest#12"
    summary = models.TextField(_("摘要"))
    body = models.TextField(_("正文"), blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=7, decimal_places=1, null=True, blank=True)
    outcome = models.TextField(_("成效"), blank=True)
    quotes = models.JSONField(_("引述"), default=list, blank=True)  # [{"text": ..., "speaker_id": int|None}]
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("涉及人员")
    )
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("撰写人")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核人"),
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("案例")
        verbose_name_plural = _("案例")
        ordering = ["-published_at", "-created_at", "-id"]

    class Scoping:
        community = "community"
        extra = staticmethod(lambda actor: Q(status=CaseStatus.PUBLISHED))

    def __str__(self) -> str:
        return self.title
