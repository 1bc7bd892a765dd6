from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleCategory(models.TextChoices):
    PROGRAMME = "programme", _("项目与平台")
    TIMEBANK = "timebank", _("时间银行规则")
    HOMESHARE = "homeshare", _("幸福同行合住")
    LEGAL = "legal", _("法律服务")
    STATIONS = "stations", _("服务站点与开放时间")
    ANTI_SCAM = "anti_scam", _("防诈骗提醒")


class MessageRole(models.TextChoices):
    USER = "user", _("我")
    ASSISTANT = "assistant", _("AI助手")


class ActionKind(models.TextChoices):
    REQUEST_HELP = "request_help", _("发求助")
    JOIN_ACTIVITY = "join_activity", _("报名活动")
    CANCEL_REQUEST = "cancel_request", _("取消求助")
    DAILY_CHECKIN = "daily_checkin", _("报平安")


class ActionStatus(models.TextChoices):
    PENDING = "pending", _("等待确认")
    CONFIRMED = "confirmed", _("已确认并办理")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")
    FAILED = "failed", _("未能办理")


class CountdownStatus(models.TextChoices):
    COUNTING = "counting", _("倒计时中")
    FIRED = "fired", _("已发出紧急呼叫")
    CANCELLED = "cancelled", _("已取消")
    FAILED = "failed", _("呼叫失败")
