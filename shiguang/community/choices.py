from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificationKind(models.TextChoices):
    """What a passed course certifies. Help categories and SOS responder duty can require these."""

    ELDER_CARE_BASICS = "elder_care_basics", _("为老服务基础")
    HOME_VISIT_SAFETY = "home_visit_safety", _("安全入户")
    FALL_RESPONSE = "fall_response", _("跌倒应急（应急响应人）")
    ANTI_FRAUD = "anti_fraud", _("防诈骗")
    DIGITAL_HELP = "digital_help", _("数码帮助")


# What other apps may require before assigning work. They decide (aid gates dispatch, sos gates responder
# duty); these are the programme's suggested defaults, read with selectors.has_certifications().
SUGGESTED_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "home_visit": (CertificationKind.ELDER_CARE_BASICS, CertificationKind.HOME_VISIT_SAFETY),
    "medical_escort": (CertificationKind.ELDER_CARE_BASICS,),
    "digital_help": (CertificationKind.DIGITAL_HELP,),
    "sos_responder": (CertificationKind.FALL_RESPONSE,),
}


# --- activities ---------------------------------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    EXERCISE = "exercise", _("运动健身")
    CULTURE = "culture", _("文化艺术")
    LEARNING = "learning", _("学习课堂")
    HEALTH_TALK = "health_talk", _("健康讲座")
    FILM = "film", _("电影放映")
    FESTIVAL = "festival", _("节日活动")
    OTHER = "other", _("其他")


# Words an elder (or the assistant) may use for each kind; matched against activity search text.
KIND_KEYWORDS: dict[str, tuple[str, ...]] = {
    ActivityKind.EXERCISE: (
        "运动",
        "健身",
        "锻炼",
        "太极",
        "八段锦",
        "广场舞",
        "舞蹈",
        "跳舞",
        "乒乓球",
        "散步",
    ),
    ActivityKind.CULTURE: (
        "文化",
        "文艺",
        "书法",
        "唱歌",
        "合唱",
        "粤剧",
        "粤曲",
        "绘画",
        "象棋",
        "插花",
        "摄影",
    ),
    ActivityKind.LEARNING: ("学习", "课堂", "手机课", "智能手机", "上课", "读书会", "编织"),
    ActivityKind.HEALTH_TALK: ("健康讲座", "讲座", "养生", "义诊", "健康"),
    ActivityKind.FILM: ("电影", "观影", "放映"),
    ActivityKind.FESTIVAL: ("节日", "春节", "元宵", "端午", "中秋", "重阳", "游园"),
    ActivityKind.OTHER: (),
}


class Weekday(models.IntegerChoices):
    MON = 0, _("周一")
    TUE = 1, _("周二")
    WED = 2, _("周三")
    THU = 3, _("周四")
    FRI = 4, _("周五")
    SAT = 5, _("周六")
    SUN = 6, _("周日")


class ActivityStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITLISTED = "waitlisted", _("候补中")
    CANCELLED = "cancelled", _("已取消")


class SignupChannel(models.TextChoices):
    SELF = "self", _("本人报名")
    PROXY = "proxy", _("工作人员代报")
    FAMILY = "family", _("家属代报")
    ASSISTANT = "assistant", _("智能助手")
    WALK_IN = "walk_in", _("现场签到")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("扫码签到")
    STAFF = "staff", _("工作人员登记")


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "day_before", _("提前一天")
    HOUR_BEFORE = "hour_before", _("提前一小时")


class ReminderOutcome(models.TextChoices):
    PENDING = "", _("待发送")
    SENT = "sent", _("已发送")
    SKIPPED = "skipped", _("已跳过")


class GroupRole(models.TextChoices):
    MEMBER = "member", _("成员")
    LEADER = "leader", _("组长")


# --- volunteers ---------------------------------------------------------------------------------------------


class RecruitmentChannel(models.TextChoices):
    UNIVERSITY = "university", _("高校")
    LEGAL = "legal", _("法律服务中心/律师事务所")
    EMPLOYER = "employer", _("用人单位")
    COMMUNITY = "community", _("社区")
    OTHER = "other", _("其他")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("已报名")
    CANCELLED = "cancelled", _("已取消")


class TrainingResult(models.TextChoices):
    PENDING = "pending", _("待评定")
    PASSED = "passed", _("通过")
    FAILED = "failed", _("未通过")


class RuleKey(models.TextChoices):
    INSURANCE_REQUIRED = "insurance_required_for_home_visits", _("上门服务须持有效志愿者意外险")
    ACTIVITY_RADIUS_KM = "activity_radius_km", _("长者“附近活动”范围（公里）")


# --- outreach -----------------------------------------------------------------------------------------------


class OutreachOutcome(models.TextChoices):
    NOT_HOME = "not_home", _("无人在家")
    DECLINED = "declined", _("婉拒交流")
    INFORMED = "informed", _("已宣传")
    INTERESTED = "interested", _("有意向")
    REGISTERED = "registered", _("已登记/已办理")


class ScreeningPriority(models.TextChoices):
    HIGH = "high", _("重点关注")
    MEDIUM = "medium", _("一般关注")
    LOW = "low", _("暂无需求")


class YouthInterest(models.TextChoices):
    HOMESHARE = "homeshare", _("“幸福同行”入住长者家")
    VOLUNTEER = "volunteer", _("志愿服务")
    TRAINING = "training", _("志愿者培训")
    LEGAL_AID = "legal_aid", _("法律志愿服务")


# --- case write-ups -----------------------------------------------------------------------------------------


class CaseKind(models.TextChoices):
    HOMESHARE = "homeshare", _("幸福同行")
    MUTUAL_AID = "mutual_aid", _("互助服务")
    SOS = "sos", _("紧急救助")
    ACTIVITY = "activity", _("社区活动")
    TRAINING = "training", _("志愿者培训")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤下")
