"""`manage.py ledger_writer`: group commit for time-bank postings (see shiguang/timebank/writer.py)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shiguang.timebank import writer


class Command(BaseCommand):
    help = "Apply concurrent time-bank postings in shared database transactions (needs REDIS_URL)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threads", type=int, default=1, help="batches in flight at once (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError(
                "the ledger writer needs REDIS_URL (without it every call is applied in place)"
            )
        stopping = {"flag": False}

        def stop(signum: int, frame: Any) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        stats = {"calls": 0, "batches": 0, "since": time.monotonic()}
        total = {"calls": 0, "batches": 0}

        def on_batch(n: int) -> None:  # from several threads: the counts are a log line, not accounting
            stats["calls"] += n
            stats["batches"] += 1
            total["calls"] += n
            total["batches"] += 1
            if time.monotonic() - stats["since"] >= 60:
                self.stdout.write(
                    f"ledger writer: {stats['calls']} calls in {stats['batches']} batches in the last minute"
                )
                stats.update(calls=0, batches=0, since=time.monotonic())

        self.stdout.write("ledger writer running")
        writer.serve(lambda: stopping["flag"], threads=max(1, options["threads"]), on_batch=on_batch)
        self.stdout.write(f"ledger writer stopped: {total['calls']} calls in {total['batches']} batches")
