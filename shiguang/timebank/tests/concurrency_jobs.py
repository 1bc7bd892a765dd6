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


def _use_redis(redis_url: str) -> Any:
    import redis
    from django.conf import settings

    settings.REDIS_URL = redis_url
    return redis.Redis.from_url(redis_url)


def serve_ledger_writer(redis_url: str, callers: int) -> dict[str, int]:
    """Run the ledger writer until `callers` processes have said they are done (or two minutes pass)."""
    import time

    from shiguang.timebank import writer

    client = _use_redis(redis_url)
    done_key = writer._prefix() + ":test-done"
    wait_for_go()
    deadline = time.monotonic() + 120
    stats = {"calls": 0, "batches": 0, "largest": 0}

    def counted(n: int) -> None:
        stats["calls"] += n
        stats["batches"] += 1
        stats["largest"] = max(stats["largest"], n)

    writer.serve(
        lambda: time.monotonic() > deadline or int(client.get(done_key) or 0) >= callers, on_batch=counted
    )
    return stats


def through_writer(redis_url: str, target: str, args: tuple[Any, ...]) -> Any:
    """Wait for the ledger writer's heartbeat, then run `target(*args)` (its calls go to the writer)."""
    import time

    from django.utils.module_loading import import_string

    from shiguang.timebank import writer

    client = _use_redis(redis_url)
    prefix = writer._prefix()
    wait_for_go()  # everyone starts together; the target's own wait returns at once
    deadline = time.monotonic() + 30
    while not client.exists(prefix + ":alive") and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        return import_string(target)(*args)
    finally:
        client.incr(prefix + ":test-done")


def run_job(target: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    """run_parallel runs one function everywhere: this one runs a different job per process."""
    from django.utils.module_loading import import_string

    return args[1] if target.endswith("through_writer") else target, import_string(target)(*args)
