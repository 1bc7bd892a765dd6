"""Dashboards: read-only aggregates, always inside the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from shiguang.core import clock
from shiguang.core.scoping import scoped
from shiguang.people.choices import LivingArrangement, VerificationStatus
from shiguang.people.models import CapabilityAssessment, ElderProfile, VolunteerProfile


def staff_dashboard(user: Any) -> dict[str, Any]:
    elders = scoped(ElderProfile.objects.all(), user)
    by_living = dict(
        elders.values_list("living_arrangement")
        .annotate(n=Count("id"))
        .values_list("living_arrangement", "n")
    )
    volunteers = scoped(VolunteerProfile.objects.all(), user)
    v_counts = volunteers.aggregate(
        total=Count("id"), pending=Count("id", filter=Q(verification_status=VerificationStatus.PENDING))
    )
    latest = scoped(CapabilityAssessment.objects.all(), user)
    overdue = latest.filter(reassess_due__lt=clock.today()).values("elder_id").distinct().count()
    by_level = dict(latest.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    return {
        "elder_total": elders.count(),
        "elders_by_living": [
            {"key": k, "label": str(label), "value": by_living.get(k, 0)}
            for k, label in LivingArrangement.choices
        ],
        "no_phone": elders.filter(has_phone=False).count(),
        "volunteer_total": v_counts["total"],
        "volunteer_pending": v_counts["pending"],
        "assessments_overdue": overdue,
        "assessments_by_level": by_level,
    }
