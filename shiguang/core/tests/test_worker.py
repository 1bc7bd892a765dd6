"""The worker loop and a failing handler: retried at once, then with growing pauses, never spamming."""

from __future__ import annotations

import logging

from shiguang.core import worker


def test_a_failing_handler_backs_off_and_recovers(monkeypatch, caplog):
    clock = [1000.0]
    monkeypatch.setattr(worker.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)  # no database in this test
    calls: list[str] = []
    broken = [True]

    def flaky(wid: str) -> int:
        calls.append(wid)
        if broken[0]:
            raise RuntimeError("database is down")
        return 1

    def steady(wid: str) -> int:
        return 0

    monkeypatch.setattr(worker, "_HANDLERS", {"flaky": flaky, "steady": steady})
    backoff = worker.Backoff()
    with caplog.at_level(logging.INFO, logger="shiguang.worker"):
        worker.run_once("w", backoff)  # fails: retried on the next round
        worker.run_once("w", backoff)  # fails again: pauses 1 s
        worker.run_once("w", backoff)  # skipped (pausing)
        assert len(calls) == 2
        clock[0] += 1.01
        worker.run_once("w", backoff)  # third failure: pauses 2 s
        assert len(calls) == 3
        clock[0] += 1.0
        worker.run_once("w", backoff)
        assert len(calls) == 3
        clock[0] += 1.01
        broken[0] = False
        assert worker.run_once("w", backoff) == 1  # works again
        assert worker.run_once("w", backoff) == 1  # and is no longer paused
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # one traceback per failure streak
    assert any("failed 3 times in a row" in r.getMessage() for r in caplog.records)
    assert any("works again" in r.getMessage() for r in caplog.records)


def test_pauses_are_capped():
    backoff = worker.Backoff()
    for _ in range(20):
        backoff.failed("h")
    assert backoff.until["h"] - worker.time.monotonic() <= worker.Backoff.MAX_SECONDS + 0.1
