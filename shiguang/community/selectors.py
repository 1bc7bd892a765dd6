"""Reads of community life. `valid_certifications` and `has_valid_insurance` gate dispatch and SOS duty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from shiguang.community.models import Certification, VolunteerInsurance
from shiguang.core import clock


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
