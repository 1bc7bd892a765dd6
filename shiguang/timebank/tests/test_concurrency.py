"""Several processes on PostgreSQL: transfers from one account never overdraw it, transfers both ways never
deadlock, and parallel posts with the same idempotency key post once."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from django.db import connection

from shiguang.core.testing.procs import run_parallel
from shiguang.timebank import selectors, services
from shiguang.timebank.models import LedgerTransaction
from shiguang.timebank.tests.concurrency_jobs import GO_LOCK
from shiguang.timebank.tests.conftest import assert_ledger_ok

pytestmark = [pytest.mark.postgres]
JOBS = "shiguang.timebank.tests.concurrency_jobs"


def run_together(target: str, args_list: list[tuple[Any, ...]]) -> list[Any]:
    """run_parallel, with every child held at an advisory lock until all of them are waiting there."""
    params = connection.settings_dict
    gate = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    )
    gate.execute("SELECT pg_advisory_lock(%s)", [GO_LOCK])
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.extend(run_parallel(target, args_list, timeout=180))
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        while thread.is_alive():
            waiting = gate.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
                [GO_LOCK],
            ).fetchone()
            if waiting and waiting[0] >= len(args_list):
                break
            time.sleep(0.05)
    finally:
        gate.execute("SELECT pg_advisory_unlock(%s)", [GO_LOCK])
        gate.close()
    thread.join(timeout=240)
    if errors:
        raise errors[0]
    return results


def test_parallel_transfers_from_one_account_never_overdraw(transactional_db, post, volunteer_a, elder_b):
    post(volunteer_a.user, 100)
    results = run_together(
        f"{JOBS}.transfer_many", [(volunteer_a.user.pk, elder_b.user.pk, 5, 7) for _ in range(6)]
    )
    done = sum(r["done"] for r in results)
    assert done == 100 // 7  # 14 transfers fit; the other 16 were refused with 409
    assert sum(r["refused"] for r in results) == 30 - done
    assert selectors.account_of(volunteer_a.user).balance == 100 - 7 * done
    assert selectors.account_of(elder_b.user).balance == 7 * done
    assert_ledger_ok()


def test_transfers_both_ways_do_not_deadlock(transactional_db, post, family_a, elder_a):
    post(family_a, 60)
    services.transfer(actor=family_a, sender=family_a, recipient=elder_a.user, minutes=30)
    results = run_together(f"{JOBS}.back_and_forth", [(family_a.pk, elder_a.user.pk, 20) for _ in range(4)])
    assert sum(results) > 0
    total = selectors.account_of(family_a).balance + selectors.account_of(elder_a.user).balance
    assert total == 60
    assert_ledger_ok()


def test_parallel_posts_with_the_same_key_post_once(transactional_db, volunteer_a, elder_a):
    ids = run_together(
        f"{JOBS}.post_same_key", [(volunteer_a.user.pk, elder_a.user.pk, "aid:42") for _ in range(6)]
    )
    assert len(set(ids)) == 1
    assert LedgerTransaction.objects.filter(idempotency_key="aid:42").count() == 1
    assert LedgerTransaction.objects.count() == 1
    assert selectors.account_of(volunteer_a.user).balance == 60
    assert_ledger_ok()


def test_parallel_services_keep_the_ledger_exact(
    transactional_db, volunteer_a, volunteer_b, elder_a, elder_b
):
    args = [
        (volunteer_a.user.pk, elder_a.user.pk, "a", 15),
        (volunteer_a.user.pk, elder_b.user.pk, "b", 15),
        (volunteer_b.user.pk, elder_a.user.pk, "c", 15),
        (volunteer_b.user.pk, elder_b.user.pk, "d", 15),
    ]
    assert sum(run_together(f"{JOBS}.post_many", args)) == 60
    assert selectors.account_of(volunteer_a.user).balance == 30 * 30
    assert selectors.account_of(volunteer_b.user).balance == 30 * 30
    assert_ledger_ok()


@pytest.fixture
def redis_url() -> str:
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    from django.conf import settings

    from shiguang.timebank import writer

    old, settings.REDIS_URL = settings.REDIS_URL, url
    client = redis.Redis.from_url(url)
    prefix = writer._prefix()
    for key in client.scan_iter(match=prefix + ":*"):
        client.delete(key)
    settings.REDIS_URL = old
    yield url
    for key in client.scan_iter(match=prefix + ":*"):
        client.delete(key)


def test_the_ledger_writer_group_commits_calls_from_several_processes(
    transactional_db, redis_url, post, volunteer_a, volunteer_b, elder_a, elder_b
):
    """Processes post through one ledger writer: transfers never overdraw, one key posts once, and the writer
    really did take calls from several processes at once."""
    post(volunteer_a.user, 100)
    transfers = [(f"{JOBS}.transfer_many", (volunteer_a.user.pk, elder_b.user.pk, 5, 7)) for _ in range(4)]
    same_key = [
        (f"{JOBS}.post_same_key", (volunteer_b.user.pk, elder_a.user.pk, "aid:writer")) for _ in range(3)
    ]
    many = [(f"{JOBS}.post_many", (volunteer_b.user.pk, elder_b.user.pk, f"w{i}", 10)) for i in range(2)]
    callers = [
        (f"{JOBS}.through_writer", (redis_url, target, args)) for target, args in transfers + same_key + many
    ]
    results = run_together(
        f"{JOBS}.run_job", [(f"{JOBS}.serve_ledger_writer", (redis_url, len(callers))), *callers]
    )
    by_job: dict[str, list[Any]] = {}
    for job, result in results:
        by_job.setdefault(job.rsplit(".", 1)[1], []).append(result)
    (stats,) = by_job["serve_ledger_writer"]
    transfer_results, keyed = by_job["transfer_many"], by_job["post_same_key"]
    done = sum(r["done"] for r in transfer_results)
    assert done == 100 // 7  # 14 fit; the rest were refused with 409
    assert selectors.account_of(volunteer_a.user).balance == 100 - 7 * done
    assert (
        len(set(keyed)) == 1 and LedgerTransaction.objects.filter(idempotency_key="aid:writer").count() == 1
    )
    assert selectors.account_of(volunteer_b.user).balance == 60 + 2 * 10 * 30
    # Most calls went through the writer (a caller whose call waits > 2 s takes it back and applies it itself,
    # which a loaded test machine can cause), and some of them shared a database transaction.
    assert stats["calls"] >= 5 and stats["largest"] > 1, stats
    assert_ledger_ok()
