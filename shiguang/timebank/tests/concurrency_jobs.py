"""Functions the PostgreSQL concurrency tests run in child processes (see test_concurrency.py)."""

from __future__ import annotations

from typing import Any

GO_LOCK = 424_242


def wait_for_go() -> None:
    """Block until the test releases its advisory lock, so every child starts at the same moment."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock_shared(%s)", [GO_LOCK])
        cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [GO_LOCK])


def transfer_many(sender_id: int, recipient_id: int, times: int, minutes: int) -> dict[str, int]:
    from shiguang.accounts.models import User
    from shiguang.core.errors import Conflict
    from shiguang.timebank import services

    sender = User.objects.get(pk=sender_id)
    recipient = User.objects.get(pk=recipient_id)
    wait_for_go()
    done = refused = 0
    for _i in range(times):
        try:
            services.transfer(actor=sender, sender=sender, recipient=recipient, minutes=minutes)
            done += 1
        except Conflict:
            refused += 1
    return {"done": done, "refused": refused}


def back_and_forth(a_id: int, b_id: int, times: int) -> int:
    """Transfers in both directions between two relatives: locks are taken in one order, so no deadlock."""
    from shiguang.accounts.models import User
    from shiguang.core.errors import Conflict
    from shiguang.timebank import services

    a, b = User.objects.get(pk=a_id), User.objects.get(pk=b_id)
    wait_for_go()
    done = 0
    for i in range(times):
        sender, recipient = (a, b) if i % 2 == 0 else (b, a)
        try:
            services.transfer(actor=sender, sender=sender, recipient=recipient, minutes=1)
            done += 1
        except Conflict:
            pass
    return done


def post_same_key(provider_id: int, receiver_id: int, key: str) -> Any:
    from shiguang.accounts.models import User
    from shiguang.timebank import services

    provider = User.objects.get(pk=provider_id)
    receiver = User.objects.get(pk=receiver_id)
    wait_for_go()
    txn = services.post_service(
        actor=receiver,
        idempotency_key=key,
        provider=provider,
        receiver=receiver,
        minutes=60,
        category="companionship",
        source="concurrency",
    )
    return txn.pk


def post_many(provider_id: int, receiver_id: int, prefix: str, times: int) -> int:
    from shiguang.accounts.models import User
    from shiguang.timebank import services

    provider = User.objects.get(pk=provider_id)
    receiver = User.objects.get(pk=receiver_id)
    wait_for_go()
    for i in range(times):
        services.post_service(
            actor=receiver,
            idempotency_key=f"{prefix}:{i}",
            provider=provider,
            receiver=receiver,
            minutes=30,
            category="companionship",
            source="concurrency",
        )
    return times
