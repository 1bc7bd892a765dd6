"""The legal centre's records: the clause library, consultations, document reviews and mediation cases.

Legal does not know the domains it serves. A review or a mediation case points at its subject (a homeshare
agreement version, a homeshare match, ...) through a generic foreign key; the domain registers how to describe
it, who its parties are and what to do when a review or a case is decided (see `legal.registry`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shiguang.core import clock
from shiguang.core.models import TimeStampedModel
from shiguang.legal.choices import (
    ConsultationOutcome,
    ConsultationStatus,
    ConsultationTopic,
    MediationCategory,
    MediationOutcome,
    MediationStatus,
    ReviewStatus,
)


def advisor_scope(actor: Any, community_path: str = "community") -> Q | None:
    """Legal advisors see the legal records of their district."""
    from shiguang.accounts.choices import Role

    if actor.role == Role.LEGAL_ADVISOR and actor.district_id:
        return Q(**{f"{community_path}__street__district_id": actor.district_id})
    return None


class Clause(TimeStampedModel):
    """One versioned clause of a document family (e.g. the homeshare agreement). Editing adds a version."""

    domain = models.CharField(_("文书类别"), max_length=30, default="homeshare", db_index=True)
    key = models.SlugField(_("条款标识"), max_length=60)
    version = models.PositiveIntegerField(_("版本"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=100)
    element = models.CharField(_("核心要件"), max_length=40, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("条款文本"))
    is_current = models.BooleanField(_("现行版本"), default=True)
    change_note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款库")
        ordering = ["domain", "position", "key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "key", "version"], name="clause_unique_version"),
            models.UniqueConstraint(
                fields=["domain", "key"], condition=Q(is_current=True), name="clause_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consultation(TimeStampedModel):
    """A legal question from an elder, a youth or a worker, answered by a legal advisor."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("咨询人")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    topic = models.CharField(_("类别"), max_length=20, choices=ConsultationTopic.choices)
    question = models.TextField(_("问题"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ConsultationStatus.choices, default=ConsultationStatus.OPEN
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("法律顾问"),
    )
    answer = models.TextField(_("解答"), blank=True)
    advisor_notes = models.TextField(_("内部备注"), blank=True)
    outcome = models.CharField(_("处理结果"), max_length=12, choices=ConsultationOutcome.choices, blank=True)
    answered_at = models.DateTimeField(_("解答时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=40, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")

    class Meta:
        verbose_name = _("法律咨询")
        verbose_name_plural = _("法律咨询")
        ordering = ["-created_at", "-id"]

    class Scoping:
        community = "community"
        self_path = "requester"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return Q(raised_by=actor) | (advisor_scope(actor) or Q(pk__in=[]))

    def __str__(self) -> str:
        return f"{self.get_topic_display()} · {self.requester}"


class ReviewRequest(TimeStampedModel):
    """A document waiting for a legal advisor's review (the review queue)."""

    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=40)
    subject = GenericForeignKey("subject_type", "subject_id")
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("摘要"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    notes = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("文书审核")
        verbose_name_plural = _("文书审核")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=Q(status="pending"),
                name="review_one_pending_per_subject",
            )
        ]

    class Scoping:
        community = "community"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return advisor_scope(actor)

    def __str__(self) -> str:
        return self.title


class MediationCase(TimeStampedModel):
    """A dispute the legal centre mediates first (the agreement names it), tied to its subject."""

    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=40)
    subject = GenericForeignKey("subject_type", "subject_id")
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    title = models.CharField(_("案件名称"), max_length=200)
    category = models.CharField(_("争议类别"), max_length=20, choices=MediationCategory.choices)
    issue = models.TextField(_("争议事项"))
    parties = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("当事人"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("调解员"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=MediationStatus.choices, default=MediationStatus.OPEN
    )
    outcome = models.CharField(_("调解结果"), max_length=20, choices=MediationOutcome.choices, blank=True)
    outcome_note = models.TextField(_("结果说明"), blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解案件")
        verbose_name_plural = _("调解案件")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", outcome="") | Q(status="closed") & ~Q(outcome=""),
                name="mediation_outcome_when_closed",
            )
        ]

    class Scoping:
        community = "community"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return Q(parties=actor) | (advisor_scope(actor) or Q(pk__in=[]))

    def __str__(self) -> str:
        return self.title


class MediationSession(TimeStampedModel):
    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"), default=clock.now)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("调解员")
    )
    attendees = models.CharField(_("参加人员"), max_length=300)
    summary = models.TextField(_("调解经过"))
    agreed_actions = models.TextField(_("商定事项"), blank=True)
    next_session_at = models.DateTimeField(_("下次调解"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_at", "id"]

    class Scoping:
        community = "case__community"

        @staticmethod
        def extra(actor: Any) -> Q | None:
            return Q(case__parties=actor) | (advisor_scope(actor, "case__community") or Q(pk__in=[]))

    def __str__(self) -> str:
        return f"{self.case} · {self.held_at:%Y-%m-%d}"
