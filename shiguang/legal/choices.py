from django.db import models
from django.utils.translation import gettext_lazy as _

LEGAL_CENTRE = _("仁和长者法律服务中心")


class ConsultationTopic(models.TextChoices):
    HOMESHARE = "homeshare", _("同住互助协议")
    HOUSING = "housing", _("房屋与租住")
    FAMILY = "family", _("家庭与赡养")
    INHERITANCE = "inheritance", _("遗嘱与继承")
    FRAUD = "fraud", _("防诈骗与消费")
    CONTRACT = "contract", _("合同与劳动")
    OTHER = "other", _("其他")


class ConsultationStatus(models.TextChoices):
    OPEN = "open", _("待解答")
    ANSWERED = "answered", _("已解答")
    CLOSED = "closed", _("已结案")


class ConsultationOutcome(models.TextChoices):
    ADVICE = "advice", _("已提供法律意见")
    DOCUMENT = "document", _("已协助起草文书")
    REFERRED = "referred", _("已转介（法律援助/公证/诉讼）")
    MEDIATION = "mediation", _("转入调解")
    NO_ACTION = "no_action", _("无需进一步处理")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("审核通过")
    CHANGES = "changes_requested", _("退回修改")
    WITHDRAWN = "withdrawn", _("已撤回")


class MediationCategory(models.TextChoices):
    HELP_HOURS = "help_hours", _("帮助时长与内容")
    HOUSE_RULES = "house_rules", _("居家规则")
    MONEY = "money", _("租金与费用")
    PRIVACY = "privacy", _("隐私与访客")
    CONDUCT = "conduct", _("言行与相处")
    ENDING = "ending", _("提前终止")
    OTHER = "other", _("其他")


class MediationStatus(models.TextChoices):
    OPEN = "open", _("调解中")
    CLOSED = "closed", _("已结案")


class MediationOutcome(models.TextChoices):
    RESOLVED = "resolved", _("达成和解")
    AGREEMENT_CHANGED = "agreement_changed", _("修改协议")
    ENDED = "ended", _("终止同住")
