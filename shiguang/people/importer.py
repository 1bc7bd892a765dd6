"""Roster import (being written)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def import_workbook(file: Any, *, actor: Any, valid_only: bool = False, dry_run: bool = False) -> ImportReport:
    return ImportReport()


def template_workbook() -> bytes:
    return b""
