"""Scoring for capability assessments, driven by data/gbt42195_2022.json (see its source note)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from shiguang.core.errors import ValidationFailed

DATA_FILE = Path(__file__).parent / "data" / "gbt42195_2022.json"


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def items() -> list[tuple[str, str, dict[str, Any]]]:
    """(domain id, domain label, item) for every item, in form order."""
    return [(d["id"], d["label"], item) for d in table()["domains"] for item in d["items"]]


def score(answers: dict[str, Any]) -> dict[str, Any]:
    """Validate item scores and return domain subtotals, total and level. Raises ValidationFailed."""
    errors: dict[str, list[str]] = {}
    domain_scores: dict[str, int] = {}
    for domain_id, _label, item in items():
        raw: Any = answers.get(item["id"])
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors[item["id"]] = [_("请为“%(item)s”选择得分。") % {"item": item["label"]}]
            continue
        if not 0 <= value <= item["max"]:
            errors[item["id"]] = [
                _("“%(item)s”的得分应在0到%(max)s之间。") % {"item": item["label"], "max": item["max"]}
            ]
            continue
        domain_scores[domain_id] = domain_scores.get(domain_id, 0) + value
    if errors:
        raise ValidationFailed(_("评估表有未填写或超出范围的项目。"), fields=errors)
    total = sum(domain_scores.values())
    level = next(lv["level"] for lv in table()["levels"] if total >= lv["min_total"])
    return {"domains": domain_scores, "total": total, "level": level}
