from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSON = "person", _("个人账户")
    COMMUNITY_POOL = "community_pool", _("社区互助池")
    PRIORITY_POOL = "priority_pool", _("优先长者池")
    ISSUANCE = "issuance", _("服务发行（系统）")
    REDEMPTION = "redemption", _("服务兑换（系统）")


# Accounts a person (or a worker for a pool) owns; the others are bookkeeping accounts of the ledger itself.
HOLDER_KINDS = frozenset({AccountKind.PERSON, AccountKind.COMMUNITY_POOL, AccountKind.PRIORITY_POOL})
SYSTEM_KINDS = frozenset({AccountKind.ISSUANCE, AccountKind.REDEMPTION})


class TransactionKind(models.TextChoices):
    SERVICE = "service", _("服务入账")
    REDEMPTION = "redemption", _("兑换服务")
    TRANSFER = "transfer", _("转赠")
    DONATION = "donation", _("捐入互助池")
    GRANT = "grant", _("互助池发放")
    REVERSAL = "reversal", _("冲正")


class PostingKind(models.TextChoices):
    MINT = "mint", _("发行")
    EARN = "earn", _("服务所得")
    OVERFLOW_OUT = "overflow_out", _("超出上限自动捐出")
    OVERFLOW_IN = "overflow_in", _("上限溢出捐入")
    SPEND = "spend", _("兑换服务")
    RETIRE = "retire", _("兑换回收")
    TRANSFER_OUT = "transfer_out", _("转出")
    TRANSFER_IN = "transfer_in", _("转入")


class RedeemMode(models.TextChoices):
    OFF = "off", _("不兑换（受助服务全部由平台发行时间币）")
    ON_REQUEST = "on_request", _("本人申请兑换（由本人或工作人员发起）")
    ON_SERVICE = "on_service", _("受助时自动兑换（有余额时先扣受助人的时间）")


class PoolChoice(models.TextChoices):
    COMMUNITY = "community", _("社区互助池")
    PRIORITY = "priority", _("优先长者池")


# The help categories of the mutual-aid square (ids are the cross-app contract; see docs/timebank.md).
class HelpCategory(models.TextChoices):
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
