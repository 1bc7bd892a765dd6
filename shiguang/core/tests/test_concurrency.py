"""Several processes on PostgreSQL: the audit chain stays linear, and no notification is delivered twice."""

from __future__ import annotations

import pytest
from django.db.models import Count

from shiguang.core.audit import verify_chain
from shiguang.core.testing.procs import run_parallel
from shiguang.notify import services
from shiguang.notify.models import Delivery, Notification

pytestmark = [pytest.mark.postgres]


def test_concurrent_audit_appends_keep_one_valid_chain(transactional_db):
    run_parallel("shiguang.core.tests.concurrency_jobs.append_audit", [(40, f"p{i}") for i in range(4)])
    report = verify_chain()
    assert report.ok and report.checked == 160


def test_overlapping_transactions_write_to_separate_chains_and_keep_each_linear(transactional_db):
    from shiguang.core.models import AuditEvent

    run_parallel("shiguang.core.tests.concurrency_jobs.append_audit_pairs", [(25, f"p{i}") for i in range(4)])
    report = verify_chain()
    assert report.ok and report.checked == 200
    events = list(AuditEvent.objects.filter(code="test.pair").values("chain", "data"))
    # Writers that overlap never wait for one head: more than one chain carries events.
    assert len({e["chain"] for e in events}) > 1
    # Both events of one transaction extend the same chain.
    chains: dict[tuple[str, int], set[int]] = {}
    for e in events:
        chains.setdefault((e["data"]["tag"], e["data"]["i"]), set()).add(e["chain"])
    assert all(len(c) == 1 for c in chains.values())


def test_parallel_dispatchers_deliver_each_notification_exactly_once(transactional_db, elder_a):
    for i in range(120):
        services.enqueue(
            recipient=elder_a.user,
            template="system.message",
            data={"title": "t", "body": str(i)},
            channel="local_sink",
        )
    handled = run_parallel("shiguang.core.tests.concurrency_jobs.dispatch", [(f"w{i}",) for i in range(4)])
    assert sum(handled) == 120
    assert Notification.objects.filter(status="sent").count() == 120
    assert not Delivery.objects.values("notification").annotate(n=Count("id")).filter(n__gt=1).exists()
