from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """The pilot's funnel, for elders' offers and youths' applications alike."""

    OUTREACH = "outreach", _("入户宣传")
    INTERESTED = "interested", _("有意愿")
    SCREENED = "screened", _("已筛选")
    VETTED = "vetted", _("已审核")
    MATCHED = "matched", _("已配对")
    TRIAL = "trial", _("试住期")
    ACTIVE = "active", _("同住中")
    ENDED = "ended", _("已结束")


STAGE_ORDER = {s: k for k, s in enumerate(Stage.values)}
MANUAL_STAGES = (Stage.OUTREACH, Stage.INTERESTED, Stage.SCREENED)


class DropoutReason(models.TextChoices):
    NOT_INTERESTED = "not_interested", _("不再有意愿")
    HEALTH = "health", _("健康状况变化")
    FAMILY = "family", _("家人反对")
    FAILED_VETTING = "failed_vetting", _("未通过审核")
    NO_MATCH = "no_match", _("没有合适的配对")
    FOUND_ELSEWHERE = "found_elsewhere", _("已另有安排（住处/照护）")
    MOVED = "moved", _("搬离深圳")
    OTHER = "other", _("其他")


class HelpKind(models.TextChoices):
    COMPANIONSHIP = "companionship", _("陪伴聊天")
    SHOPPING = "shopping", _("买菜代购")
    LIGHT_HOUSEWORK = "light_housework", _("轻度家务")
    DIGITAL_HELP = "digital_help", _("手机与数码帮助")
    COOKING_TOGETHER = "cooking_together", _("一起做饭")
    OUTING = "outing", _("散步与出行陪同")
    MEDICAL_ESCORT = "medical_escort", _("陪同就医")
    ERRANDS = "errands", _("跑腿办事")


# Homeshare youths are companions, not carers: these are refused everywhere with a clear message.
FORBIDDEN_HELP_LABELS = {
    "personal_care": _("个人护理（洗浴、如厕、穿衣等）"),
    "nursing_care": _("医疗护理（打针、换药、管理用药等）"),
}


class Included(models.TextChoices):
    UTILITIES = "utilities", _("水电燃气")
    INTERNET = "internet", _("宽带网络")
    FURNITURE = "furniture", _("家具")
    AIRCON = "aircon", _("空调")
    LAUNDRY = "laundry", _("洗衣机")
    MEALS = "meals", _("部分餐食")


class VisitorRule(models.TextChoices):
    ANYTIME = "anytime", _("可随时接待访客")
    DAYTIME = "daytime", _("白天可接待，22点前离开")
    NOTICE = "notice", _("需提前告知对方")
    NONE = "none", _("不接待访客")


class CookingRule(models.TextChoices):
    SHARED = "shared", _("可共用厨房")
    LIGHT = "light", _("可简单烹饪")
    NONE = "none", _("不在家做饭")


class GenderPref(models.TextChoices):
    ANY = "any", _("不限")
    FEMALE = "female", _("女")
    MALE = "male", _("男")


class Interest(models.TextChoices):
    READING = "reading", _("阅读")
    CHESS = "chess", _("下棋打牌")
    MUSIC = "music", _("音乐唱歌")
    COOKING = "cooking", _("烹饪")
    GARDENING = "gardening", _("种花养草")
    WALKING = "walking", _("散步太极")
    CALLIGRAPHY = "calligraphy", _("书法绘画")
    TECHNOLOGY = "technology", _("数码科技")
    FILMS = "films", _("影视戏曲")
    TRAVEL = "travel", _("旅行见闻")


class OfferConsent(models.TextChoices):
    SHARE_PROFILE = "share_profile", _("同意向候选青年介绍房间和本人情况")
    MATCHING_DATA = "matching_data", _("同意用本人资料进行配对")
    HOME_VISITS = "home_visits", _("同意同住期间的定期回访")


class BackgroundOutcome(models.TextChoices):
    PENDING = "pending", _("待核查")
    CLEAR = "clear", _("无不良记录")
    CONCERNS = "concerns", _("有疑点，需复核")
    FAILED = "failed", _("未通过")


class ReferenceStatus(models.TextChoices):
    NOT_CONTACTED = "not_contacted", _("未联系")
    POSITIVE = "positive", _("评价良好")
    CONCERNS = "concerns", _("有顾虑")


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("已推荐，待见面")
    ACCEPTED = "accepted", _("双方同意，签订协议中")
    TRIAL = "trial", _("试住期")
    ACTIVE = "active", _("同住中")
    DECLINED = "declined", _("未达成")
    CANCELLED = "cancelled", _("已取消")
    ENDED = "ended", _("已结束")


OPEN_MATCH = (MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.TRIAL, MatchStatus.ACTIVE)
LIVE_MATCH = (MatchStatus.TRIAL, MatchStatus.ACTIVE)


class Decision(models.TextChoices):
    NONE = "", _("未表态")
    ACCEPT = "accept", _("同意")
    DECLINE = "decline", _("不同意")


class EndReason(models.TextChoices):
    TERM_COMPLETED = "term_completed", _("协议期满")
    MUTUAL = "mutual", _("双方协商结束")
    ELDER_REQUEST = "elder_request", _("长者提出结束")
    YOUTH_REQUEST = "youth_request", _("青年提出结束")
    GROSS_MISCONDUCT = "gross_misconduct", _("严重违约，立即终止")
    MEDIATION = "mediation", _("调解后终止")
    HEALTH = "health", _("长者健康状况变化")
    MOVED = "moved", _("搬迁")
    OTHER = "other", _("其他")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FINAL = "final", _("定稿，待签署")
    RETURNED = "returned", _("法律顾问退回修改")
    SIGNED = "signed", _("已签署生效")
    SUPERSEDED = "superseded", _("已被新版本替代")


class SignerRole(models.TextChoices):
    ELDER = "elder", _("甲方（长者）")
    YOUTH = "youth", _("乙方（青年）")
    LEGAL = "legal_advisor", _("见证方（法律顾问）")


class SignatureMethod(models.TextChoices):
    ONLINE = "online", _("本人在线签署")
    WITNESSED = "witnessed", _("纸质签字，工作人员见证录入")


class VisitKind(models.TextChoices):
    DAY3 = "day3", _("第3天回访")
    WEEK1 = "week1", _("第1周回访")
    WEEK2 = "week2", _("第2周回访")
    WEEK4 = "week4", _("第4周回访")
    MONTHLY = "monthly", _("月度回访")


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待回访")
    DONE = "done", _("已回访")
    CANCELLED = "cancelled", _("已取消")


class Wellbeing(models.IntegerChoices):
    VERY_POOR = 1, _("很差")
    POOR = 2, _("较差")
    FAIR = 3, _("一般")
    GOOD = 4, _("良好")
    VERY_GOOD = 5, _("很好")


class TaskKind(models.TextChoices):
    VISIT_OVERDUE = "visit_overdue", _("回访逾期检查")
    HELP_WEEK = "help_week", _("每周帮助时长检查")
    TRIAL_END = "trial_end", _("试住期届满提醒")


class HelpLogStatus(models.TextChoices):
    LOGGED = "logged", _("待长者确认")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有异议")
