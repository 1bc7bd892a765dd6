"""Choices of the mutual-aid square: English ids, zh-Hans labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    MEDICAL_ESCORT = "medical_escort", _("陪诊")
    SHOPPING = "shopping", _("代购")
    HOUSEWORK = "housework", _("家务")
    COMPANIONSHIP = "companionship", _("陪伴")
    REPAIR = "repair", _("维修")
    DIGITAL_HELP = "digital_help", _("数码帮助")
    OUTING = "outing", _("出行陪同")
    LEGAL = "legal", _("法律咨询")
    MEAL = "meal", _("助餐")
    OTHER = "other", _("其他")


# The order of this tuple fixes the bit of each category in the dispatch arrays (skills bitmask).
CATEGORY_BITS: dict[str, int] = {value: 1 << i for i, value in enumerate(Category.values)}

# Expected duration offered by default in the elder's flow (minutes).
DEFAULT_DURATION: dict[str, int] = {
    Category.MEDICAL_ESCORT: 180,
    Category.SHOPPING: 60,
    Category.HOUSEWORK: 120,
    Category.COMPANIONSHIP: 60,
    Category.REPAIR: 60,
    Category.DIGITAL_HELP: 60,
    Category.OUTING: 120,
    Category.LEGAL: 60,
    Category.MEAL: 60,
    Category.OTHER: 60,
}


class Urgency(models.TextChoices):
    TODAY = "today", _("今天")
    SOON = "soon", _("一两天内")
    THIS_WEEK = "this_week", _("本周内")
    ANYTIME = "anytime", _("时间不限")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待接单")
    OFFERED = "offered", _("已派单，等待志愿者响应")
    ACCEPTED = "accepted", _("已接单")
    IN_SERVICE = "in_service", _("服务中")
    DONE = "done", _("服务完成，待确认")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")
    NO_SHOW = "no_show", _("未到场")
    DISPUTED = "disputed", _("有争议")


# Requests a volunteer may still take.
TAKEABLE = (RequestStatus.OPEN, RequestStatus.OFFERED)
# Not yet finished: what `open_requests_for` returns.
UNFINISHED = (RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ACCEPTED, RequestStatus.IN_SERVICE)
# Counted as a volunteer's current load.
LOAD_STATES = (RequestStatus.ACCEPTED, RequestStatus.IN_SERVICE)
FINAL_STATES = (
    RequestStatus.CONFIRMED,
    RequestStatus.CANCELLED,
    RequestStatus.EXPIRED,
    RequestStatus.NO_SHOW,
)


class PlaceKind(models.TextChoices):
    HOME = "home", _("长者家中")
    OTHER = "other", _("其他地点")


class LocationSource(models.TextChoices):
    HOME = "home", _("长者住址（大致位置）")
    COMMUNITY = "community", _("社区中心（未同意使用位置信息）")
    NONE = "none", _("无位置")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("扫长者二维码")
    CODE = "code", _("输入6位签到码")
    GEO = "geo", _("定位在长者家附近")
    WORKER = "worker", _("社工代为签到")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("待响应")
    ACCEPTED = "accepted", _("已接单")
    DECLINED = "declined", _("已婉拒")
    TAKEN = "taken", _("已被他人接单")
    EXPIRED = "expired", _("已超时")
    WITHDRAWN = "withdrawn", _("已撤回")


class OfferStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")


class Side(models.TextChoices):
    ELDER = "elder", _("长者一方")
    VOLUNTEER = "volunteer", _("志愿者一方")


class RatingDirection(models.TextChoices):
    ELDER_TO_VOLUNTEER = "elder_to_volunteer", _("长者评价志愿者")
    VOLUNTEER_TO_ELDER = "volunteer_to_elder", _("志愿者评价长者")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理")


class DisputeOutcome(models.TextChoices):
    CREDIT = "credit", _("确认服务，记入时长")
    NO_CREDIT = "no_credit", _("不记时长，关闭求助")


class TimerKind(models.TextChoices):
    DISPATCH = "dispatch", _("派单")
    ROUND_EXPIRE = "round_expire", _("本轮派单超时")
    REQUEST_REMIND = "request_remind", _("求助即将过期提醒")
    REQUEST_EXPIRE = "request_expire", _("求助过期")
    SERVICE_REMIND = "service_remind", _("服务开始前提醒")
    CONFIRM_REMIND = "confirm_remind", _("待确认提醒")
    OFFER_REMIND = "offer_remind", _("服务意向即将到期提醒")
    OFFER_EXPIRE = "offer_expire", _("服务意向过期")


class FeedSort(models.TextChoices):
    NEAREST = "nearest", _("离我最近")
    URGENT = "urgent", _("最紧急")
    SOONEST = "soonest", _("开始时间最早")
    NEWEST = "newest", _("最新发布")


class PreferredGender(models.TextChoices):
    ANY = "", _("不限")
    FEMALE = "female", _("女志愿者")
    MALE = "male", _("男志愿者")
