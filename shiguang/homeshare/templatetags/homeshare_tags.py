"""Labels for the pilot's stored ids (help kinds, languages, interests, items included in the rent)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from shiguang.homeshare.choices import HelpKind, Included, Interest, OfferConsent
from shiguang.people.choices import LANGUAGES

register = template.Library()

_LABELS: dict[str, dict[str, Any]] = {
    "help": dict(HelpKind.choices),
    "language": dict(LANGUAGES),
    "interest": dict(Interest.choices),
    "included": dict(Included.choices),
    "consent": dict(OfferConsent.choices),
}


@register.filter
def labels(values: Any, kind: str) -> str:
    table = _LABELS.get(kind, {})
    return "、".join(str(table.get(v, v)) for v in values or []) or "—"


@register.filter
def yuan(value: Any) -> str:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return "—"
    return str(_("免租")) if amount == 0 else f"¥{amount}"
