from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the ASGI web server (uvicorn) and the background worker together; Ctrl-C stops both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="background worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ}
        web = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "3",
        ]
        worker = [sys.executable, "manage.py", "worker"]
        # Fixed argv with our own interpreter: nothing user-supplied reaches the shell.
        procs = [subprocess.Popen(web, env=env)]  # noqa: S603
        procs += [subprocess.Popen(worker, env=env) for _ in range(options["workers"])]  # noqa: S603
        if settings.REDIS_URL:  # group commit for time-bank postings across web processes
            procs.append(subprocess.Popen([sys.executable, "manage.py", "ledger_writer"], env=env))
        # Compile what is compiled on first use (matching solver) while the server already answers.
        warm = subprocess.Popen([sys.executable, "manage.py", "warm", "--quiet"], env=env)
        self.stdout.write(
            self.style.SUCCESS(
                f"Shiguang is running on http://{options['host']}:{options['port']}/ "
                f"(web + {options['workers']} worker{' + ledger writer' if settings.REDIS_URL else ''}); "
                "press Ctrl-C to stop."
            )
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.3)
        finally:
            for p in [*procs, warm]:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 8
            for p in procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [str(p.args) for p in procs if p.returncode not in (0, -15, None)]
        if failed and not stopping:
            self.stderr.write(f"a process exited unexpectedly: {failed}")
            sys.exit(1)
