"""Several processes on PostgreSQL: concurrent accepts (exactly one wins), concurrent confirmations (hours
posted once), and several workers sharing the due-time rows (each row handled once)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from shiguang.aid import checkin, services
from shiguang.aid.models import AidTimer, HelpRequest, Invitation
from shiguang.aid.tests.conftest import needs_timebank
from shiguang.core.audit import verify_chain
from shiguang.core.models import AuditEvent
from shiguang.core.testing.procs import run_parallel

pytestmark = [pytest.mark.postgres]


class RowGate(threading.Thread):
    """Holds a lock on one help request until `waiters` other sessions are queued behind it, then lets them
    all
    go at once: the children really race instead of arriving one after another."""

    def __init__(self, settings: dict[str, Any], request_id: int, waiters: int) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.request_id = request_id
        self.waiters = waiters
        self.locked = threading.Event()
        self.seen = 0

    def _connect(self) -> Any:
        import psycopg

        s = self.settings
        return psycopg.connect(
            dbname=s["NAME"],
            user=s["USER"],
            password=s["PASSWORD"] or None,
            host=s["HOST"] or None,
            port=s["PORT"] or None,
        )

    def run(self) -> None:
        holder, watcher = self._connect(), self._connect()
        watcher.autocommit = True
        try:
            holder.execute("SELECT id FROM aid_helprequest WHERE id = %s FOR UPDATE", [self.request_id])
            self.locked.set()
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                row = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> %s",
                    [holder.info.backend_pid],
                ).fetchone()
                self.seen = int(row[0]) if row else 0
                if self.seen >= self.waiters:
                    break
                time.sleep(0.05)
            holder.commit()
        finally:
            holder.close()
            watcher.close()


def _gate(request_id: int, waiters: int) -> RowGate:
    from django.db import connection

    gate = RowGate(dict(connection.settings_dict), request_id, waiters)
    gate.start()
    assert gate.locked.wait(30)
    return gate


def test_parallel_accepts_exactly_one_wins(transactional_db, elder, make_volunteer, post):
    volunteers = [make_volunteer(f"并发{i}", lat=22.541 + i * 0.0005) for i in range(6)]
    req = post()
    services.run_due_timers("parent")  # invitations go out to the best five
    gate = _gate(req.pk, waiters=len(volunteers))
    results = run_parallel(
        "shiguang.aid.tests.concurrency_jobs.accept", [(req.pk, v.user_id) for v in volunteers]
    )
    gate.join(10)
    assert gate.seen >= len(volunteers)  # all six were queued on the row at the same moment
    outcomes = [outcome for outcome, _user in results]  # in finishing order
    assert outcomes.count("won") == 1
    assert all(o == "conflict:taken" for o in outcomes if o != "won")
    req = HelpRequest.objects.get(pk=req.pk)
    winner_user = next(user for outcome, user in results if outcome == "won")
    winner = next(v for v in volunteers if v.user_id == winner_user)
    assert req.status == "accepted" and req.assignee_id == winner.pk
    assert AuditEvent.objects.filter(code="aid.request.accepted", target_id=str(req.pk)).count() == 1
    assert Invitation.objects.filter(request=req, status="accepted").count() <= 1
    assert not Invitation.objects.filter(request=req, status="pending").exists()
    assert verify_chain().ok


@needs_timebank
def test_parallel_confirmations_post_hours_once(transactional_db, elder, volunteer, post, family_a, worker_a):
    from shiguang.timebank.models import LedgerTransaction

    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_check_in(
        actor=volunteer.user, request_id=req.pk, method="code", code=checkin.current(elder).code
    )
    services.help_request_check_out(actor=volunteer.user, request_id=req.pk, summary="买好了")
    confirmers = [elder.user, family_a, worker_a, elder.user]
    gate = _gate(req.pk, waiters=len(confirmers))
    results = run_parallel(
        "shiguang.aid.tests.concurrency_jobs.confirm", [(req.pk, u.pk) for u in confirmers]
    )
    gate.join(10)
    assert results.count("won") == 1
    assert all(r == "conflict:already_confirmed" for r in results if r != "won")
    assert LedgerTransaction.objects.filter(idempotency_key=f"aid:{req.pk}").count() == 1
    assert HelpRequest.objects.get(pk=req.pk).ledger_transaction


def test_parallel_workers_handle_each_due_row_once(
    transactional_db, elder, make_volunteer, post, monkeypatch
):
    for i in range(8):
        make_volunteer(
            f"志愿者{i}", lat=22.541 + i * 0.001, skills=["shopping", "repair", "housework", "meal"]
        )
    monkeypatch.setattr(services, "run_request_timers", lambda request_id: 0)  # leave the rows to the workers
    requests = [post(category=c) for c in ("shopping", "repair", "housework", "meal", "companionship")]
    due = AidTimer.objects.filter(kind="dispatch", done_at__isnull=True).count()
    assert due == len(requests)
    handled = run_parallel("shiguang.aid.tests.concurrency_jobs.run_timers", [(f"w{i}",) for i in range(3)])
    assert sum(handled) == due
    for req in requests:
        req.refresh_from_db()
        assert req.status == "offered" and req.dispatch_round == 1  # dispatched once, not once per worker
    assert not AidTimer.objects.filter(kind="dispatch", done_at__isnull=True).exists()
