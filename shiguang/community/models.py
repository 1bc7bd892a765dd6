from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shiguang.community.choices import CertificationKind
from shiguang.core.models import TimeStampedModel


class Certification(TimeStampedModel):
    """A volunteer's certification with an expiry: from a passed course session, or recorded by a worker."""

    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="certifications",
        verbose_name=_("志愿者"),
    )
    kind = models.CharField(_("类别"), max_length=24, choices=CertificationKind.choices)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    source = models.CharField(_("来源"), max_length=120, blank=True)  # e.g. a course session, an outside body
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Expiry reminder: a due row (remind_on) claimed by the worker, 30 days before expires_on.
    remind_on = models.DateField(_("到期提醒日"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")
        ordering = ["volunteer_id", "kind", "-expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("issued_on")), name="cert_expiry_after_issue"
            )
        ]

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_kind_display()}"


class VolunteerInsurance(TimeStampedModel):
    """Volunteer accident insurance; home visits can require a valid policy (district setting)."""

    volunteer = models.ForeignKey(
        "people.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="insurances",
        verbose_name=_("志愿者"),
    )
    insurer = models.CharField(_("保险公司"), max_length=80)
    policy_number = models.CharField(_("保单号"), max_length=60)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("到期日期"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )

    class Meta:
        verbose_name = _("志愿者意外险")
        verbose_name_plural = _("志愿者意外险")
        ordering = ["volunteer_id", "-valid_to"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="insurance_dates_ordered"
            )
        ]

    class Scoping:
        community = "volunteer__community"
        self_path = "volunteer__user"

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.insurer} {self.policy_number}"
