from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shiguang.accounts.models import Consent, User
from shiguang.core.scoping import scoped


def user_by_phone(phone: str) -> User | None:
    """Exact lookup through the blind index (phones are encrypted)."""
    from shiguang.accounts.backends import phone_index

    return User.objects.filter(phone_index=phone_index(phone), is_active=True).first()


def consents_of(actor: Any, subject: Any) -> QuerySet[Consent]:
    return (
        scoped(Consent.objects.filter(subject=subject), actor)
        .select_related("recorded_by")
        .order_by("-granted_at")
    )


def consent_row(c: Consent) -> dict[str, Any]:
    return {
        "id": c.id,
        "category": c.category,
        "category_label": str(c.get_category_display()),
        "method": c.method,
        "granted_at": c.granted_at.isoformat(),
        "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
        "recorded_by": str(c.recorded_by),
    }
