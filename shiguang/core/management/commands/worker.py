from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from shiguang.core import worker


class Command(BaseCommand):
    help = "Run the background worker: due rows (notifications, escalations, reminders) and queued tasks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.2, help="seconds to sleep when idle")
        parser.add_argument("--once", action="store_true", help="run every handler once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            handled = worker.run_once()
            worker.run_tasks_batch()
            self.stdout.write(f"handled {handled} rows")
            return
        stopping = {"flag": False}

        def stop(signum: int, frame: Any) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {worker.worker_id()} running; handlers: {', '.join(worker.handlers())}")
        worker.loop(interval=options["interval"], stop=lambda: stopping["flag"])
        self.stdout.write("worker stopped")
