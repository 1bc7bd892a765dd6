from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.core.models import TimeStampedModel
from shiguang.places.choices import FacilityLevel, FacilityStatus, Rating


class District(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=40, unique=True)
    code = models.CharField(_("行政区划代码"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")

    def __str__(self) -> str:
        return self.name


class Street(TimeStampedModel):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("区")
    )
    name = models.CharField(_("名称"), max_length=40)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="street_unique_name")]

    def __str__(self) -> str:
        return f"{self.name}街道"


class Community(TimeStampedModel):
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=60)
    elder_population = models.PositiveIntegerField(_("60岁以上常住老人数"), default=0)
    is_ageing = models.BooleanField(_("老龄化社区"), default=False)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["street_id", "id"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="community_unique_name")]

    class Scoping:
        community = ""  # the row is itself a community

    def __str__(self) -> str:
        return f"{self.name}社区"


class Facility(TimeStampedModel):
    community = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("社区"),
    )
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=24, choices=FacilityLevel.choices)
    rating = models.CharField(_("评级"), max_length=2, choices=Rating.choices, blank=True, default="")
    latitude = models.FloatField(_("纬度"))
    longitude = models.FloatField(_("经度"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("服务容量（人）"), default=0)
    status = models.CharField(
        _("状态"), max_length=12, choices=FacilityStatus.choices, default=FacilityStatus.OPEN
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("服务设施")
        verbose_name_plural = _("服务设施")
        ordering = ["street_id", "level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180
                ),
                name="facility_coordinates_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name
