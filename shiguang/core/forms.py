from __future__ import annotations

from django import forms

from shiguang.core.errors import DomainError


def apply_errors(form: forms.Form, exc: DomainError) -> None:
    """Show a service's field errors on the form (unknown fields become form-wide errors)."""
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for field, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
