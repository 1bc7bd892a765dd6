from __future__ import annotations

from django import template

from shiguang.aid.choices import Category

register = template.Library()
_LABELS = dict(Category.choices)


@register.filter
def category_label(value: str) -> str:
    return str(_LABELS.get(value, value))


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""
