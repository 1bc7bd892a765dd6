from django.db import models
from django.utils.translation import gettext_lazy as _


class FacilityLevel(models.TextChoices):
    DISTRICT_CENTRE = "district_centre", _("区级养老服务中心")
    STREET_CENTRE = "street_centre", _("街道长者服务中心")
    COMMUNITY_STATION = "community_station", _("社区长者服务站")
    SERVICE_POST = "service_post", _("居家社区养老服务驿站")


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", _("规划中")
    BUILDING = "building", _("建设中")
    OPEN = "open", _("运营中")
    CLOSED = "closed", _("已关闭")


class Rating(models.TextChoices):
    NONE = "", _("未评级")
    A1 = "1A", "1A"
    A2 = "2A", "2A"
    A3 = "3A", "3A"
    A4 = "4A", "4A"
    A5 = "5A", "5A"
