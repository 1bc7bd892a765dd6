from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "female", _("女")
    MALE = "male", _("男")


class LivingArrangement(models.TextChoices):
    ALONE = "alone", _("独居")
    EMPTY_NEST = "empty_nest", _("空巢")
    WITH_FAMILY = "with_family", _("与家人同住")


class Hukou(models.TextChoices):
    REGISTERED = "registered", _("户籍")
    RESIDENT = "resident", _("常住（非户籍）")


class VolunteerKind(models.TextChoices):
    GRADUATE = "graduate", _("应届毕业生")
    TRAINEE_LAWYER = "trainee_lawyer", _("实习律师")
    YOUNG_PROFESSIONAL = "young_professional", _("职场青年")
    STUDENT = "student", _("在校学生")
    RESIDENT_VOLUNTEER = "resident_volunteer", _("社区居民志愿者")


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("待核验")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("未通过")


class FamilyRelation(models.TextChoices):
    SON = "son", _("儿子")
    DAUGHTER = "daughter", _("女儿")
    SPOUSE = "spouse", _("配偶")
    GRANDCHILD = "grandchild", _("孙辈")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class AbilityLevel(models.IntegerChoices):
    """GB/T 42195-2022 overall levels (0 = intact … 4 = complete loss)."""

    INTACT = 0, _("能力完好")
    MILD = 1, _("能力轻度受损（轻度失能）")
    MODERATE = 2, _("能力中度受损（中度失能）")
    SEVERE = 3, _("能力重度受损（重度失能）")
    COMPLETE = 4, _("能力完全丧失（完全失能）")


SKILLS = [
    ("medical_escort", _("陪诊")),
    ("shopping", _("代购")),
    ("housework", _("家务")),
    ("companionship", _("陪伴")),
    ("repair", _("维修")),
    ("digital_help", _("数码帮助")),
    ("outing", _("出行陪同")),
    ("legal", _("法律咨询")),
    ("meal", _("助餐")),
]
LANGUAGES = [
    ("mandarin", _("普通话")),
    ("cantonese", _("粤语")),
    ("hakka", _("客家话")),
    ("teochew", _("潮汕话")),
    ("minnan", _("闽南话")),
    ("english", _("英语")),
]
