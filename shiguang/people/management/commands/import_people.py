"""manage.py import_people FILE.xlsx --as USERNAME [--valid-only] [--dry-run]"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from shiguang.accounts.models import User
from shiguang.core.errors import DomainError
from shiguang.people import importer


class Command(BaseCommand):
    help = (
        "Import elders (sheet 长者) and volunteers (sheet 志愿者) from an .xlsx roster, "
        "acting as a staff user. "
        "Nothing is written unless every row is valid (or --valid-only is given); --dry-run only checks. "
        "Exits with an error when there were errors and nothing was written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx workbook (see the template on the import page)")
        parser.add_argument(
            "--as",
            dest="as_user",
            required=True,
            metavar="USERNAME",
            help="staff username the import is recorded under; their scope limits the communities allowed",
        )
        parser.add_argument("--valid-only", action="store_true", help="write the valid rows, skip the others")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["as_user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user named {options['as_user']!r}.")
        stream = getattr(self.stderr, "_out", sys.stderr)
        quiet = options["verbosity"] == 0

        def progress(items: Iterable[Any], total: int, description: str) -> Iterable[Any]:
            return tqdm(items, total=total, desc=str(description), unit="row", file=stream, disable=quiet)

        try:
            with open(options["file"], "rb") as handle:
                report = importer.import_workbook(
                    handle,
                    actor=actor,
                    valid_only=options["valid_only"],
                    dry_run=options["dry_run"],
                    progress=progress,
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror or exc}") from None
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None

        for error in report.errors:
            where = f"row {error['row']}" + (f" ({error['sheet']})" if error["sheet"] else "")
            label = f" {error['field']}" if error["field"] else ""
            self.stdout.write(f"{where}{label}: {error['message']}")
        for sheet, counts in report.sheets.items():
            self.stdout.write(
                f"{sheet}: {counts['rows']} rows, {counts['valid']} valid, {counts['written']} written"
            )
        summary = (
            f"{report.rows} rows, {report.valid_rows} valid, {len(report.errors)} errors, "
            f"{report.written} written"
        )
        if report.dry_run:
            summary += " (dry run: nothing written)"
        if report.errors and report.written == 0:
            raise CommandError(f"{summary}." if report.dry_run else f"{summary}. Nothing was imported.")
        self.stdout.write(self.style.SUCCESS(summary))
