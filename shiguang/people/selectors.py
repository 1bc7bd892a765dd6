"""Reads of people, always through the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shiguang.accounts.backends import phone_index
from shiguang.accounts.validators import normalize_id_number
from shiguang.core.crypto import blind_index
from shiguang.core.scoping import get_scoped, scoped
from shiguang.people.models import CapabilityAssessment, ElderProfile, VolunteerProfile


def id_number_index(value: str) -> str:
    return blind_index(normalize_id_number(value), purpose="people.elderprofile.id_number")


def find_elder_by_id_number(value: str) -> ElderProfile | None:
    return ElderProfile.objects.filter(id_number_index=id_number_index(value)).first()


def elder_list(actor: Any, *, query: str = "", community_id: int | None = None) -> QuerySet[ElderProfile]:
    """Elders in scope. `query` matches a name fragment, or exactly an ID number or phone (blind index)."""
    qs = scoped(ElderProfile.objects.select_related("community__street", "user"), actor)
    if community_id:
        qs = qs.filter(community_id=community_id)
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(id_number_index=id_number_index(query))
            | Q(user__phone_index=phone_index(query))
        )
    return qs.order_by("community_id", "name", "id")


def elder_get(actor: Any, elder_id: Any) -> ElderProfile:
    return get_scoped(ElderProfile.objects.select_related("community__street", "user"), actor, pk=elder_id)


def elder_for_user(user: Any) -> ElderProfile | None:
    return ElderProfile.objects.select_related("community__street").filter(user=user).first()


def volunteer_list(actor: Any) -> QuerySet[VolunteerProfile]:
    return scoped(VolunteerProfile.objects.select_related("community", "user"), actor).order_by(
        "community_id", "id"
    )


def volunteer_get(actor: Any, volunteer_id: Any) -> VolunteerProfile:
    return get_scoped(VolunteerProfile.objects.select_related("community", "user"), actor, pk=volunteer_id)


def assessments_for(actor: Any, elder: ElderProfile) -> QuerySet[CapabilityAssessment]:
    return scoped(CapabilityAssessment.objects.filter(elder=elder), actor).select_related("assessor")


def family_elders(user: Any) -> QuerySet[ElderProfile]:
    return scoped(ElderProfile.objects.filter(family_links__family_user=user), user).select_related(
        "community"
    )
