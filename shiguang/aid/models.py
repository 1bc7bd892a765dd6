"""The mutual-aid square: help requests and volunteer offers, dispatch invitations, visits, ratings, disputes,
district policy, and the due-time rows that drive reminders and expiries."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shiguang.aid.choices import (
    Category,
    CheckinMethod,
    DisputeOutcome,
    DisputeStatus,
    InvitationStatus,
    LocationSource,
    OfferStatus,
    PlaceKind,
    PreferredGender,
    RatingDirection,
    RequestStatus,
    Side,
    TimerKind,
    Urgency,
)
from shiguang.core import clock
from shiguang.core.fields import EncryptedTextField
from shiguang.core.models import DueWork, TimeStampedModel

MAX_DURATION_MINUTES = 8 * 60
USER = settings.AUTH_USER_MODEL


def _is_volunteer(actor: Any) -> bool:
    return getattr(actor, "role", None) == "volunteer"


def _request_extra(actor: Any) -> Q | None:
    """Volunteers see the square (takeable requests) and the requests they were invited to or assigned."""
    if _is_volunteer(actor):
        return (
            Q(status__in=[RequestStatus.OPEN, RequestStatus.OFFERED])
            | Q(assignee__user_id=actor.pk)
            | Q(invitations__volunteer__user_id=actor.pk)
        )
    return Q(posted_by_id=actor.pk)


class HelpRequest(TimeStampedModel):
    """One elder's request for help, from posting to confirmed hours (state machine: docs/aid.md)."""

    elder = models.ForeignKey(
        "people.ElderProfile", on_delete=models.PROTECT, related_name="help_requests", verbose_name=_("长者")
    )
    # Copied from the elder when posted: scoping and the square filter on it without a join.
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="help_requests", verbose_name=_("社区")
    )
    posted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人"))
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices, db_index=True)
    description = models.TextField(_("说明"), blank=True, max_length=500)
    urgency = models.CharField(_("紧急程度"), max_length=12, choices=Urgency.choices)
    start_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    end_at = models.DateTimeField(_("最晚结束时间"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("预计时长（分钟）"), default=60)
    place_kind = models.CharField(_("地点"), max_length=8, choices=PlaceKind.choices, default=PlaceKind.HOME)
    place = models.CharField(_("地点说明"), max_length=200, blank=True)
    # The coarse point used for dispatch and the square: the elder's home (~100 m) with location consent,
    # otherwise the community centre.
    lat = models.FloatField(_("大致纬度"), null=True, blank=True)
    lng = models.FloatField(_("大致经度"), null=True, blank=True)
    location_source = models.CharField(
        _("位置来源"), max_length=10, choices=LocationSource.choices, default=LocationSource.NONE
    )
    # The elder's preference at posting time (e.g. a woman volunteer), copied so the square needs no join.
    required_gender = models.CharField(
        _("志愿者性别要求"), max_length=8, choices=PreferredGender.choices, blank=True, default=""
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN, db_index=True
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=clock.now)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    dispatch_round = models.PositiveSmallIntegerField(_("派单轮次"), default=0)
    assignee = models.ForeignKey(
        "people.VolunteerProfile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aid_tasks",
        verbose_name=_("志愿者"),
    )
    assigned_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("派单人")
    )
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkin_method = models.CharField(
        _("签到方式"), max_length=8, choices=CheckinMethod.choices, blank=True, default=""
    )
    checkin_distance_m = models.PositiveIntegerField(_("签到时距长者家（米）"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    proposed_minutes = models.PositiveSmallIntegerField(_("记录时长（分钟）"), null=True, blank=True)
    credited_minutes = models.PositiveSmallIntegerField(_("确认时长（分钟）"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("确认人")
    )
    ledger_transaction = models.CharField(_("时间银行流水号"), max_length=64, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("关闭人")
    )
    closed_reason = models.CharField(_("取消/未到场原因"), max_length=300, blank=True)
    no_show_party = models.CharField(_("未到场一方"), max_length=10, choices=Side.choices, blank=True)

    class Meta:
        verbose_name = _("求助")
        verbose_name_plural = _("求助")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "community"], name="aid_req_status_comm"),
            models.Index(fields=["elder", "status"], name="aid_req_elder_status"),
            models.Index(fields=["assignee", "status"], name="aid_req_assignee_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=MAX_DURATION_MINUTES),
                name="aid_request_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(end_at__isnull=True) | Q(start_at__isnull=False, end_at__gt=models.F("start_at")),
                name="aid_request_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(credited_minutes__isnull=True)
                | Q(credited_minutes__gte=1, credited_minutes__lte=MAX_DURATION_MINUTES),
                name="aid_request_credit_range",
            ),
        ]

    class Scoping:
        community = "community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"
        extra = staticmethod(_request_extra)

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} · {self.elder}"

    @property
    def is_takeable(self) -> bool:
        return self.status in (RequestStatus.OPEN, RequestStatus.OFFERED)


class Invitation(TimeStampedModel):
    """A request offered to one ranked volunteer for a limited time; the first to accept gets the request."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="invitations")
    volunteer = models.ForeignKey(
        "people.VolunteerProfile", on_delete=models.CASCADE, related_name="aid_invitations"
    )
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    rank = models.PositiveSmallIntegerField(_("排名"), default=0)
    score = models.FloatField(_("得分"), default=0)
    factors = models.JSONField(_("评分明细"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    due_at = models.DateTimeField(_("响应截止"))
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    invited_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("邀请人")
    )

    class Meta:
        verbose_name = _("派单邀请")
        verbose_name_plural = _("派单邀请")
        ordering = ["request_id", "round", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["request", "volunteer"], name="aid_invitation_once"),
        ]
        indexes = [models.Index(fields=["volunteer", "status"], name="aid_inv_volunteer_status")]

    class Scoping:
        community = "request__community"
        self_path = "volunteer__user"

    def __str__(self) -> str:
        return f"{self.request_id} → {self.volunteer}"


def _offer_extra(actor: Any) -> Q | None:
    """Everyone signed in except other volunteers may browse active offers (to ask that volunteer)."""
    if _is_volunteer(actor):
        return None
    return Q(status=OfferStatus.ACTIVE)


class HelpOffer(TimeStampedModel):
    """A volunteer's offer: what they can help with, when, and how far they will go."""

    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="aid_offers",
        verbose_name=_("志愿者"),
    )
    categories = models.JSONField(_("可提供的帮助"), default=list)
    available_from = models.DateTimeField(_("开始"))
    available_to = models.DateTimeField(_("结束"), db_index=True)
    place = models.CharField(_("服务区域说明"), max_length=200, blank=True)
    radius_km = models.FloatField(_("服务半径（公里）"), default=2.0)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.ACTIVE, db_index=True
    )

    class Meta:
        verbose_name = _("服务意向")
        verbose_name_plural = _("服务意向")
        ordering = ["available_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_to__gt=models.F("available_from")), name="aid_offer_window_ordered"
            ),
            models.CheckConstraint(condition=Q(radius_km__gt=0, radius_km__lte=20), name="aid_offer_radius"),
        ]

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"
        extra = staticmethod(_offer_extra)

    def __str__(self) -> str:
        return f"{self.volunteer} {self.available_from:%m-%d %H:%M}"


class ServiceRecord(TimeStampedModel):
    """What was done on a visit (written at check-out), with an optional photo (EXIF removed)."""

    request = models.OneToOneField(HelpRequest, on_delete=models.CASCADE, related_name="record")
    summary = models.TextField(_("服务内容"), max_length=1000)
    photo = models.FileField(_("照片"), upload_to="aid/photos/%Y/%m/", blank=True)
    minutes_served = models.PositiveIntegerField(_("实际时长（分钟）"))
    written_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("填写人"))

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")

    class Scoping:
        community = "request__community"
        self_path = "request__elder__user"
        family_path = "request__elder__family_links__family_user"
        extra = staticmethod(lambda actor: Q(request__assignee__user_id=actor.pk))

    def __str__(self) -> str:
        return f"#{self.request_id}"


class Rating(TimeStampedModel):
    """Both sides rate each other once per request (1–5 and a comment)."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="ratings")
    direction = models.CharField(_("方向"), max_length=20, choices=RatingDirection.choices)
    rater = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("评价人"))
    ratee = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="aid_ratings_received", verbose_name=_("被评价人")
    )
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评语"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(fields=["request", "direction"], name="aid_rating_once_per_side"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="aid_rating_score_range"),
        ]
        indexes = [models.Index(fields=["ratee", "direction"], name="aid_rating_ratee")]

    class Scoping:
        community = "request__community"
        self_path = "rater"
        extra = staticmethod(lambda actor: Q(ratee_id=actor.pk))

    def __str__(self) -> str:
        return f"#{self.request_id} {self.score}"


class Dispute(TimeStampedModel):
    """A disagreement about a visit, resolved by the community worker."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="disputes")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出人"))
    raised_side = models.CharField(_("提出方"), max_length=10, choices=Side.choices)
    reason = models.TextField(_("原因"), max_length=1000)
    from_status = models.CharField(_("争议前状态"), max_length=12, choices=RequestStatus.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True
    )
    outcome = models.CharField(_("处理结果"), max_length=10, choices=DisputeOutcome.choices, blank=True)
    minutes = models.PositiveSmallIntegerField(_("记入时长（分钟）"), null=True, blank=True)
    resolution_note = models.TextField(_("处理说明"), blank=True, max_length=1000)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("处理人")
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("争议")
        verbose_name_plural = _("争议")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="open"), name="aid_one_open_dispute_per_request"
            )
        ]

    class Scoping:
        community = "request__community"
        self_path = "raised_by"
        family_path = "request__elder__family_links__family_user"
        extra = staticmethod(
            lambda actor: Q(request__elder__user_id=actor.pk) | Q(request__assignee__user_id=actor.pk)
        )

    def __str__(self) -> str:
        return f"#{self.request_id} {self.get_status_display()}"


class Block(TimeStampedModel):
    """`blocker` never wants to be matched with `blocked` (an elder blocking a volunteer, or vice versa)."""

    blocker = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="aid_blocks")
    blocked = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="aid_blocked_by")
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("屏蔽")
        verbose_name_plural = _("屏蔽")
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="aid_block_once")]

    class Scoping:
        community = "blocker__community"
        self_path = "blocker"
        family_path = "blocker__elder_profile__family_links__family_user"

    def __str__(self) -> str:
        return f"{self.blocker} ⊘ {self.blocked}"


class ElderPreference(TimeStampedModel):
    """How an elder wants to be matched (e.g. only women volunteers)."""

    elder = models.OneToOneField(
        "people.ElderProfile", on_delete=models.CASCADE, related_name="aid_preference"
    )
    volunteer_gender = models.CharField(
        _("志愿者性别"), max_length=8, choices=PreferredGender.choices, blank=True, default=""
    )
    note = models.CharField(_("给志愿者的话"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )

    class Meta:
        verbose_name = _("长者匹配偏好")
        verbose_name_plural = _("长者匹配偏好")

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"
        family_path = "elder__family_links__family_user"

    def __str__(self) -> str:
        return str(self.elder)


class ElderCheckinKey(TimeStampedModel):
    """The secret behind an elder's rotating check-in QR code and 6-digit code (encrypted at rest)."""

    elder = models.OneToOneField(
        "people.ElderProfile", on_delete=models.CASCADE, related_name="aid_checkin_key"
    )
    secret = EncryptedTextField()
    rotated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("签到密钥")
        verbose_name_plural = _("签到密钥")

    class Scoping:
        community = "elder__community"
        self_path = "elder__user"

    def __str__(self) -> str:
        return str(self.elder)


class CheckinFailure(models.Model):
    """A wrong code, token or position at check-in (rate limiting and support)."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="checkin_failures")
    actor = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=8, choices=CheckinMethod.choices)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("签到失败")
        verbose_name_plural = _("签到失败")

    class Scoping:
        community = "request__community"
        self_path = "actor"

    def __str__(self) -> str:
        return f"#{self.request_id} {self.method}"


def _district_extra(actor: Any) -> Q | None:
    district_id = getattr(actor, "district_id", None)
    return Q(district_id=district_id) if district_id else None


class AidPolicy(TimeStampedModel):
    """District switches and numbers for dispatch and visits; edited by district staff (admin and a page)."""

    district = models.OneToOneField("places.District", on_delete=models.CASCADE, related_name="aid_policy")
    require_insurance = models.BooleanField(
        _("上门服务须有有效意外险"),
        default=False,
        help_text=_("开启后，只有持有效志愿者意外险的志愿者会被派到长者家中。"),
    )
    checkin_radius_m = models.PositiveIntegerField(_("定位签到半径（米）"), default=200)
    max_distance_km = models.FloatField(_("派单最远距离（公里）"), default=5.0)
    invite_batch = models.PositiveSmallIntegerField(_("每轮通知人数"), default=5)
    invite_minutes = models.PositiveSmallIntegerField(_("每轮响应时限（分钟）"), default=30)
    max_rounds = models.PositiveSmallIntegerField(_("自动派单轮数"), default=3)
    max_active_tasks = models.PositiveSmallIntegerField(_("志愿者同时进行的任务上限"), default=3)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )

    class Meta:
        verbose_name = _("互助派单规则")
        verbose_name_plural = _("互助派单规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(checkin_radius_m__gte=50, checkin_radius_m__lte=2000), name="aid_policy_radius"
            ),
            models.CheckConstraint(
                condition=Q(max_distance_km__gt=0, max_distance_km__lte=30), name="aid_policy_distance"
            ),
            models.CheckConstraint(
                condition=Q(invite_batch__gte=1, invite_batch__lte=50), name="aid_policy_batch"
            ),
            models.CheckConstraint(
                condition=Q(invite_minutes__gte=5, invite_minutes__lte=1440), name="aid_policy_minutes"
            ),
            models.CheckConstraint(
                condition=Q(max_rounds__gte=1, max_rounds__lte=10), name="aid_policy_rounds"
            ),
            models.CheckConstraint(
                condition=Q(max_active_tasks__gte=1, max_active_tasks__lte=20), name="aid_policy_load"
            ),
        ]

    class Scoping:
        extra = staticmethod(_district_extra)

    def __str__(self) -> str:
        return str(self.district)


class CategoryRequirement(TimeStampedModel):
    """Certifications a volunteer must hold (valid today) to be matched to a category of help."""

    district = models.ForeignKey("places.District", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    certifications = models.JSONField(_("所需资质"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )

    class Meta:
        verbose_name = _("类别资质要求")
        verbose_name_plural = _("类别资质要求")
        ordering = ["district_id", "category"]
        constraints = [
            models.UniqueConstraint(fields=["district", "category"], name="aid_requirement_once"),
        ]

    class Scoping:
        extra = staticmethod(_district_extra)

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {', '.join(self.certifications) or '—'}"


class AidTimer(DueWork):
    """A due-time row: reminders, expiries and dispatch rounds, claimed by the `aid.timers` worker handler."""

    kind = models.CharField(max_length=16, choices=TimerKind.choices)
    request = models.ForeignKey(
        HelpRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    offer = models.ForeignKey(HelpOffer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        indexes = [models.Index(fields=["done_at", "due_at"], name="aid_timer_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_at:%Y-%m-%d %H:%M}"
