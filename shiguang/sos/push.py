"""Live pushes for alarms, published only after commit (nobody sees an alarm that rolled back).

Every change is published once, on one pub/sub topic ("sos:events"), with the alarm's place and the people
following it. Each open stream keeps what its viewer may see: staff by place, volunteers and family when they
are among the alarm's people, the elder's status page by alarm id. One publish per change keeps a burst of
alarms cheap (one Redis round trip each, however many consoles are open).

A snapshot carries no sensitive field (no address, phone or health note).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from shiguang.core import pubsub

log = logging.getLogger(__name__)
TOPIC = "sos:events"
SCOPE = "_scope"


def snapshot(alarm: Any) -> dict[str, Any]:
    from shiguang.sos.selectors import status_text

    elder = alarm.elder
    ack_by = alarm.acknowledged_by if alarm.acknowledged_by_id else None
    return {
        "id": alarm.id,
        "version": alarm.version,
        "elder": elder.name,
        "age": elder.age(),
        "community": str(alarm.community),
        "community_id": alarm.community_id,
        "source": alarm.source,
        "source_label": str(alarm.get_source_display()),
        "status": alarm.status,
        "status_label": str(alarm.get_status_display()),
        "status_text": status_text(alarm),
        "drill": alarm.drill,
        "tier": alarm.current_tier,
        "raised_at": alarm.raised_at.isoformat(),
        "acknowledged_at": alarm.acknowledged_at.isoformat() if alarm.acknowledged_at else None,
        "acknowledged_by": str(ack_by) if ack_by else "",
        "outcome": alarm.outcome,
        "elder_ok": alarm.elder_ok_at is not None,
        "url": f"/sos/alarms/{alarm.id}/",
    }


def people_of(alarms: Iterable[Any], *, responders: bool = True) -> dict[int, set[int]]:
    """Responders and linked family of each alarm (who follow it besides staff)."""
    from shiguang.people.models import FamilyLink
    from shiguang.sos.models import AlarmResponder

    alarms = list(alarms)
    people: dict[int, set[int]] = {a.id: set() for a in alarms}
    if responders:
        rows = AlarmResponder.objects.filter(alarm_id__in=people).values_list("alarm_id", "user_id")
        for alarm_id, user_id in rows:
            people[alarm_id].add(user_id)
    by_elder: dict[int, list[int]] = {}
    for a in alarms:
        by_elder.setdefault(a.elder_id, []).append(a.id)
    links = FamilyLink.objects.filter(elder_id__in=by_elder).values_list("elder_id", "family_user_id")
    for elder_id, user_id in links:
        for alarm_id in by_elder[elder_id]:
            people[alarm_id].add(user_id)
    return people


def payload(alarm: Any, users: Iterable[int]) -> dict[str, Any]:
    street = alarm.community.street
    return {
        **snapshot(alarm),
        SCOPE: {
            "c": alarm.community_id,
            "s": street.pk,
            "d": street.district_id,
            "u": sorted(set(users)),
        },
    }


def publish_payloads(payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        try:
            pubsub.publish(TOPIC, p)
        except Exception:  # a push is a convenience; the streams also read the database
            log.warning("sos push failed for alarm %s", p.get("id"), exc_info=True)


def after_commit(alarms: list[Any], users: dict[int, set[int]] | None = None) -> None:
    """Capture the alarms as they are now; publish them when the transaction commits."""
    if not alarms:
        return
    try:
        users = users if users is not None else people_of(alarms)
        payloads = [payload(a, users.get(a.id, ())) for a in alarms]
    except Exception:
        log.warning("sos push could not be prepared", exc_info=True)
        return
    transaction.on_commit(lambda: publish_payloads(payloads))


def viewer_filter(user: Any) -> Any:
    """A predicate over pushed payloads: may this viewer see the alarm?"""
    from shiguang.accounts.choices import Role

    if user.is_superuser or user.role == Role.ADMIN:
        return lambda scope: True
    if user.role == Role.DISTRICT_STAFF and user.district_id:
        return lambda scope: scope.get("d") == user.district_id
    if user.role == Role.STREET_STAFF and user.street_id:
        return lambda scope: scope.get("s") == user.street_id
    if user.role == Role.COMMUNITY_WORKER and user.community_id:
        return lambda scope: scope.get("c") == user.community_id or user.pk in scope.get("u", ())
    return lambda scope: user.pk in scope.get("u", ())


def public(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != SCOPE}
