"""Masked display of sensitive values. Pages show these unless an audited reveal was made."""

from __future__ import annotations

from collections.abc import Callable


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else value[:2] + "****"


def mask_text(value: str, keep: int = 6) -> str:
    if not value:
        return ""
    return value[:keep] + "****" if len(value) > keep else "****"


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "address": mask_text,
    "health_notes": lambda v: "****" if v else "",
}
