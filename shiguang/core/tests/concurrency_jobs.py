"""Functions the concurrency tests run inside child processes."""

from __future__ import annotations

from django.db import transaction


def append_audit(n: int, tag: str) -> int:
    from shiguang.core import audit

    for i in range(n):
        with transaction.atomic():
            audit.record("test.concurrent", data={"tag": tag, "i": i})
    return n


def dispatch(worker: str) -> int:
    from shiguang.notify.services import dispatch_due

    total = 0
    while True:
        handled = dispatch_due(worker, batch=7)
        if not handled:
            return total
        total += handled


def append_audit_pairs(n: int, tag: str) -> int:
    """Transactions that each write two events and stay open a moment, so concurrent writers overlap."""
    import time

    from shiguang.core import audit

    for i in range(n):
        with transaction.atomic():
            audit.record("test.pair", data={"tag": tag, "i": i, "half": 1})
            time.sleep(0.01)
            audit.record("test.pair", data={"tag": tag, "i": i, "half": 2})
    return n
