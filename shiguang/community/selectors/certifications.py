"""Certification and insurance gates: what dispatch (aid) and responder duty (sos) ask before assigning.

`has_certifications(volunteer, kinds)` is True only when every kind is held by a certification that is
issued, not revoked and not expired on the day asked; `has_valid_insurance` likewise for a policy;
`volunteer_may_visit_homes` adds the district rule "insurance required for home visits".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from shiguang.community.models import Certification, VolunteerInsurance
from shiguang.core import clock
from shiguang.core.scoping import scoped

EXPIRING_WITHIN_DAYS = 30


def valid_certifications(volunteer: Any, on: dt.date | None = None) -> QuerySet[Certification]:
    on = on or clock.today()
    return Certification.objects.filter(
        volunteer=volunteer, revoked_at__isnull=True, issued_on__lte=on, expires_on__gte=on
    )


def has_certifications(volunteer: Any, kinds: Iterable[str], on: dt.date | None = None) -> bool:
    needed = set(kinds)
    if not needed:
        return True
    held = set(valid_certifications(volunteer, on).values_list("kind", flat=True))
    return needed <= held


def missing_certifications(volunteer: Any, kinds: Iterable[str], on: dt.date | None = None) -> list[str]:
    """The kinds among `kinds` the volunteer does not validly hold on `on` (for a clear refusal message)."""
    held = set(valid_certifications(volunteer, on).values_list("kind", flat=True))
    return sorted(set(kinds) - held)


def certified_volunteer_ids(kinds: Iterable[str], on: dt.date | None = None) -> set[int]:
    """Ids of volunteers holding every one of `kinds` on `on` (for ranking many at once)."""
    needed = set(kinds)
    on = on or clock.today()
    if not needed:
        raise ValueError("certified_volunteer_ids needs at least one kind")
    rows = Certification.objects.filter(
        kind__in=needed, revoked_at__isnull=True, issued_on__lte=on, expires_on__gte=on
    ).values_list("volunteer_id", "kind")
    held: dict[int, set[str]] = {}
    for vid, kind in rows:
        held.setdefault(vid, set()).add(kind)
    return {vid for vid, kinds_held in held.items() if needed <= kinds_held}


def has_valid_insurance(volunteer: Any, on: dt.date | None = None) -> bool:
    on = on or clock.today()
    return VolunteerInsurance.objects.filter(
        volunteer=volunteer, valid_from__lte=on, valid_to__gte=on
    ).exists()


def insured_volunteer_ids(on: dt.date | None = None) -> set[int]:
    on = on or clock.today()
    return set(
        VolunteerInsurance.objects.filter(valid_from__lte=on, valid_to__gte=on).values_list(
            "volunteer_id", flat=True
        )
    )


def volunteer_may_visit_homes(volunteer: Any, on: dt.date | None = None) -> bool:
    """False only when the volunteer's district requires insurance for home visits and they hold none."""
    from shiguang.community.selectors.rules import insurance_required

    district_id = volunteer.community.street.district_id
    return not insurance_required(district_id) or has_valid_insurance(volunteer, on)


def certification_status(cert: Certification, on: dt.date | None = None) -> str:
    """valid | expiring (within 30 days) | expired | revoked | not_yet."""
    on = on or clock.today()
    if cert.revoked_at is not None:
        return "revoked"
    if cert.issued_on > on:
        return "not_yet"
    if cert.expires_on < on:
        return "expired"
    if (cert.expires_on - on).days <= EXPIRING_WITHIN_DAYS:
        return "expiring"
    return "valid"


def certifications_of(actor: Any, volunteer: Any) -> QuerySet[Certification]:
    return (
        scoped(Certification.objects.filter(volunteer=volunteer), actor)
        .select_related("issued_by")
        .order_by("kind", "-expires_on")
    )


def insurances_of(actor: Any, volunteer: Any) -> QuerySet[VolunteerInsurance]:
    return scoped(VolunteerInsurance.objects.filter(volunteer=volunteer), actor).order_by("-valid_to")


def expiring_certifications(actor: Any, within_days: int = EXPIRING_WITHIN_DAYS) -> QuerySet[Certification]:
    """Certifications in scope expiring within `within_days` and not yet renewed."""
    today = clock.today()
    renewed = Certification.objects.filter(
        volunteer_id=OuterRef("volunteer_id"),
        kind=OuterRef("kind"),
        revoked_at__isnull=True,
        expires_on__gt=OuterRef("expires_on"),
    )
    return (
        scoped(Certification.objects.all(), actor)
        .filter(
            revoked_at__isnull=True,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=within_days),
        )
        .annotate(renewed=Exists(renewed))
        .filter(renewed=False)
        .select_related("volunteer__community")
        .order_by("expires_on", "id")
    )
