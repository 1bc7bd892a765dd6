"""Several processes on PostgreSQL: one room or one youth is never in two open matches, and each monitoring
task is handled exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from shiguang.core.testing.procs import run_parallel
from shiguang.homeshare import services
from shiguang.homeshare.models import Match, MonitoringTask
from shiguang.homeshare.tests.conftest import YOUTH2_ID, application_data, vet_application

pytestmark = [pytest.mark.postgres]


def test_parallel_proposals_for_one_room(
    transactional_db: Any, worker_a: Any, offer_a: Any, app_a: Any, youth: Any
) -> None:
    other = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data()
    )
    other = vet_application(worker_a, other)
    results = run_parallel(
        "shiguang.homeshare.tests.concurrency_jobs.propose",
        [(worker_a.pk, offer_a.pk, a.pk) for a in (app_a, other, app_a, other)],
    )
    assert sorted(results) == ["conflict", "conflict", "conflict", "ok"]
    assert Match.objects.filter(offer=offer_a, status="proposed").count() == 1


def test_parallel_monitoring_handles_each_task_once(
    transactional_db: Any, worker_a: Any, accepted: Any, legal: Any
) -> None:
    import datetime as dt

    from shiguang.core import clock

    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    for user in (accepted.offer.elder.user, accepted.application.volunteer.user, legal):
        services.agreement_sign(actor=user, version_id=version.pk)
    # make every task due now
    MonitoringTask.objects.update(due_at=clock.now() - dt.timedelta(minutes=1))
    total = MonitoringTask.objects.count()
    handled = run_parallel(
        "shiguang.homeshare.tests.concurrency_jobs.monitor", [(f"w{i}",) for i in range(3)]
    )
    # each help-week task schedules the next week, which is not due yet
    assert sum(handled) == total
    assert not MonitoringTask.objects.filter(done_at__isnull=True, due_at__lte=clock.now()).exists()
