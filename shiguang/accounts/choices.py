from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ELDER = "elder", _("长者")
    VOLUNTEER = "volunteer", _("青年/志愿者")
    FAMILY = "family", _("家属")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    STREET_STAFF = "street_staff", _("街道工作人员")
    DISTRICT_STAFF = "district_staff", _("区民政局工作人员")
    LEGAL_ADVISOR = "legal_advisor", _("法律顾问")
    ADMIN = "admin", _("系统管理员")


# Staff who act for elders and volunteers of their place (legal advisors are staff, but not these).
WORKER_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN})

STAFF_ROLES = frozenset(
    {Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.LEGAL_ADVISOR, Role.ADMIN}
)


class ConsentCategory(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号")
    HEALTH = "health", _("健康信息")
    LOCATION = "location", _("位置信息")
    SHARE_CONTACT = "share_contact", _("向志愿者提供联系方式")
    CONVERSATION = "conversation", _("保存AI助手对话")
    PUBLICITY = "publicity", _("案例宣传中使用姓名和事迹")


class ConsentMethod(models.TextChoices):
    ONLINE = "online", _("本人在线勾选")
    PAPER = "paper", _("纸质签字（工作人员录入）")
    VERBAL = "verbal", _("口头同意（工作人员见证）")
    PHONE = "phone", _("电话确认")
