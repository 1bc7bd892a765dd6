from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shiguang.core.audit import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit hash chain; name the first broken link and exit non-zero if any."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain OK: {report.checked} events verified"))
            return
        where = f"event id {report.broken_id}" if report.broken_id else "the chain head"
        raise CommandError(
            f"audit chain BROKEN at {where}: {report.reason} ({report.checked} events verified before it)"
        )
