from django.db import models
from django.utils.translation import gettext_lazy as _


class AlarmSource(models.TextChoices):
    BUTTON = "button", _("长者按键")
    DEVICE = "device", _("智能设备")
    ASSISTANT = "assistant", _("AI助手")
    WORKER = "worker", _("工作人员代报")
    CHECKIN = "checkin", _("多次未报平安")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("待响应")
    ACKNOWLEDGED = "acknowledged", _("已受理")
    EN_ROUTE = "en_route", _("正在赶往")
    ON_SCENE = "on_scene", _("已到场")
    RESOLVED = "resolved", _("已处理")


LIVE_STATUSES = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED, AlarmStatus.EN_ROUTE, AlarmStatus.ON_SCENE)


class Outcome(models.TextChoices):
    FALL = "fall", _("跌倒")
    MEDICAL = "medical", _("突发疾病")
    FIRE = "fire", _("火情")
    INTRUDER = "intruder", _("陌生人闯入")
    FALSE_ALARM = "false_alarm", _("误报")
    OTHER = "other", _("其他")


class Audience(models.TextChoices):
    """Who a tier of an escalation policy notifies."""

    VOLUNTEERS = "volunteers", _("附近值班的应急志愿者")
    WORKER = "worker", _("值班社区工作者")
    FAMILY = "family", _("家属与紧急联系人")
    STREET_OFFICER = "street_officer", _("街道值班人员（含急救电话指引）")


class DutyRole(models.TextChoices):
    WORKER = "worker", _("社区工作者值班")
    VOLUNTEER = "volunteer", _("志愿者待命")
    STREET_OFFICER = "street_officer", _("街道值班")


class StepKind(models.TextChoices):
    NOTIFY = "notify", _("通知一级响应人")
    REPEAT = "repeat", _("重复提醒")
    REVIEW = "review", _("超时复盘检查")


class EventKind(models.TextChoices):
    RAISED = "raised", _("发起呼救")
    RETRIGGERED = "retriggered", _("再次呼救")
    TIER_NOTIFIED = "tier_notified", _("已通知")
    NO_RECIPIENTS = "no_recipients", _("该级无人可通知")
    HOTLINE = "hotline", _("急救电话指引")
    REPEATED = "repeated", _("再次提醒")
    ACKNOWLEDGED = "acknowledged", _("已受理")
    EN_ROUTE = "en_route", _("正在赶往")
    ON_SCENE = "on_scene", _("已到场")
    RESOLVED = "resolved", _("已处理")
    NOTE = "note", _("备注")
    ELDER_OK = "elder_ok", _("长者表示没事")
    CHECKED_IN = "checked_in", _("长者已报平安")
    REVIEW_OPENED = "review_opened", _("已开启事件复盘")
    ADDRESS_REVEALED = "address_revealed", _("查看了完整地址")


class DeviceKind(models.TextChoices):
    PENDANT = "pendant", _("呼叫挂件")
    WRISTBAND = "wristband", _("智能手环")
    FALL_SENSOR = "fall_sensor", _("跌倒探测器")
    SMOKE_SENSOR = "smoke_sensor", _("烟感探测器")
    DOOR_SENSOR = "door_sensor", _("门磁/活动感应")
    OTHER = "other", _("其他设备")


class CheckinSource(models.TextChoices):
    BUTTON = "button", _("按键报平安")
    ASSISTANT = "assistant", _("AI助手")
    ACTIVITY = "activity", _("日常活动")
    DEVICE = "device", _("智能设备")
    WORKER = "worker", _("工作人员确认")
    FAMILY = "family", _("家属确认")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("待复盘")
    CLOSED = "closed", _("已结案")
