"""Functions the PostgreSQL concurrency tests run inside child processes (each is a separate process)."""

from __future__ import annotations

from typing import Any


def sign_up(activity_id: int, elder_ids: list[int]) -> list[str]:
    from shiguang.community import services
    from shiguang.people.models import ElderProfile

    statuses = []
    for elder in ElderProfile.objects.select_related("user").filter(id__in=elder_ids).order_by("id"):
        signup = services.activity_signup(actor=elder.user, activity_id=activity_id, elder=elder)
        statuses.append(signup.status)
    return statuses


def churn(activity_id: int, cancel_elder_ids: list[int], new_elder_ids: list[int]) -> dict[str, Any]:
    """Alternate cancellations and new sign-ups, as a busy morning at the station would."""
    from shiguang.community import services
    from shiguang.community.models import Signup
    from shiguang.people.models import ElderProfile

    cancels = list(
        Signup.objects.select_related("elder__user").filter(
            activity_id=activity_id, elder_id__in=cancel_elder_ids, status__in=["confirmed", "waitlisted"]
        )
    )
    newcomers = list(ElderProfile.objects.select_related("user").filter(id__in=new_elder_ids).order_by("id"))
    done = {"cancelled": 0, "signed": 0}
    while cancels or newcomers:
        if cancels:
            signup = cancels.pop(0)
            services.signup_cancel(actor=signup.elder.user, signup_id=signup.id)
            done["cancelled"] += 1
        if newcomers:
            elder = newcomers.pop(0)
            services.activity_signup(actor=elder.user, activity_id=activity_id, elder=elder)
            done["signed"] += 1
    return done
