"""Prepare what is built on first use, so no user's first request pays for it (run once per release)."""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run every app's warm() (e.g. compile the homeshare matching solver into its on-disk cache)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="print nothing unless something fails")

    def handle(self, *args: Any, **options: Any) -> None:
        warmers = [config for config in apps.get_app_configs() if callable(getattr(config, "warm", None))]
        for i, config in enumerate(warmers, 1):
            started = time.monotonic()
            if not options["quiet"]:
                self.stdout.write(f"[{i}/{len(warmers)}] {config.label} …")
            config.warm()  # type: ignore[attr-defined]
            if not options["quiet"]:
                seconds = time.monotonic() - started
                self.stdout.write(f"[{i}/{len(warmers)}] {config.label} ready in {seconds:.1f} s")
