"""Functions the PostgreSQL concurrency tests run in child processes (each one a real, separate
connection)."""

from __future__ import annotations


def accept(request_id: int, user_id: int) -> tuple[str, int]:
    from shiguang.accounts.models import User
    from shiguang.aid import services
    from shiguang.core.errors import Conflict

    user = User.objects.get(pk=user_id)
    try:
        services.help_request_accept(actor=user, request_id=request_id)
    except Conflict as exc:
        return f"conflict:{exc.code}", user_id
    return "won", user_id


def confirm(request_id: int, user_id: int) -> str:
    from shiguang.accounts.models import User
    from shiguang.aid import services
    from shiguang.core.errors import Conflict

    user = User.objects.get(pk=user_id)
    try:
        services.help_request_confirm(actor=user, request_id=request_id)
    except Conflict as exc:
        return f"conflict:{exc.code}"
    return "won"


def run_timers(worker: str) -> int:
    from shiguang.aid import services

    total = 0
    while True:
        handled = services.run_due_timers(worker, batch=3)
        if not handled:
            return total
        total += handled
