"""manage.py verify_ledger — recompute the time bank from its postings; exit 1 naming the first violation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shiguang.timebank.verify import verify_ledger


class Command(BaseCommand):
    help = (
        "Prove every time-bank transaction sums to zero and every account balance equals the sum of its "
        "postings. Exits non-zero and names the first violation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--show", type=int, default=10, help="how many violations to list (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_ledger(limit=max(1, options["show"]))
        if not report.ok:
            for line in report.messages[1:]:
                self.stderr.write(line)
            raise CommandError(f"ledger violation ({report.violations} in all): {report.first}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger OK: {report.transactions} transactions, {report.postings} postings, "
                f"{report.accounts} accounts; every transaction sums to zero and every balance equals "
                "the sum of its postings."
            )
        )
