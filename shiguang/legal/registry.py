"""How domains plug into the legal centre without legal importing them.

A domain (homeshare) registers, in its AppConfig.ready():
- `register_document(domain, label, placeholders=..., elements=...)`: the placeholders its clause texts
  may use
  and the core elements a complete document must cover (the clause library validates against these);
- `register_subject(model, SubjectHandler(...))`: how to describe a review or mediation subject, who its
  parties are, where its page is, and what to do when a review is decided or a mediation case closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass
class DocumentSpec:
    domain: str
    label: Any
    placeholders: dict[str, Any] = field(default_factory=dict)  # name -> description
    elements: dict[str, Any] = field(default_factory=dict)  # core element id -> label


@dataclass
class SubjectHandler:
    describe: Callable[[Any], str]
    url: Callable[[Any], str]
    parties: Callable[[Any], list[Any]] = lambda obj: []
    on_review_decided: Callable[..., None] | None = None  # (review=, actor=)
    on_mediation_closed: Callable[..., None] | None = None  # (case=, actor=)


_DOCUMENTS: dict[str, DocumentSpec] = {}
_SUBJECTS: dict[str, SubjectHandler] = {}


def register_document(
    domain: str, label: Any, *, placeholders: dict[str, Any], elements: dict[str, Any]
) -> None:
    _DOCUMENTS[domain] = DocumentSpec(domain, label, dict(placeholders), dict(elements))


def document(domain: str) -> DocumentSpec | None:
    return _DOCUMENTS.get(domain)


def documents() -> list[DocumentSpec]:
    return list(_DOCUMENTS.values())


def register_subject(model: type[models.Model], handler: SubjectHandler) -> None:
    _SUBJECTS[model._meta.label_lower] = handler


def handler_for(obj: Any) -> SubjectHandler | None:
    if obj is None:
        return None
    return _SUBJECTS.get(obj._meta.label_lower)


def describe(obj: Any) -> str:
    handler = handler_for(obj)
    return handler.describe(obj) if handler else str(obj)


def url_for(obj: Any) -> str:
    handler = handler_for(obj)
    return handler.url(obj) if handler else ""
