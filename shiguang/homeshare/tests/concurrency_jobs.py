"""Functions the PostgreSQL concurrency tests run in child processes."""

from __future__ import annotations


def propose(worker_id: int, offer_id: int, application_id: int) -> str:
    from shiguang.accounts.models import User
    from shiguang.core.errors import Conflict
    from shiguang.homeshare import services

    try:
        services.match_propose(
            actor=User.objects.get(pk=worker_id), offer_id=offer_id, application_id=application_id
        )
    except Conflict:
        return "conflict"
    return "ok"


def monitor(name: str) -> int:
    from shiguang.homeshare.services import run_monitoring

    total = 0
    while True:
        handled = run_monitoring(name, batch=3)
        if not handled:
            return total
        total += handled
