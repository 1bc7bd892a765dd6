"""District rules as typed values (defaults apply until district staff change them)."""

from __future__ import annotations

from typing import Any

from shiguang.community.choices import RuleKey
from shiguang.community.models import DistrictRule
from shiguang.community.rulespec import RULES, coerce


def rule_value(key: str, district: Any = None) -> Any:
    """The value of `key` in `district` (a District or its id). Without a district: the strictest value
    any district has set for a switch, else the single district's value, else the default."""
    spec = RULES[key]
    rows = DistrictRule.objects.filter(key=key)
    if district is not None:
        district_id = getattr(district, "pk", district)
        row = rows.filter(district_id=district_id).first()
        return coerce(key, row.value) if row is not None else spec.default
    values = [coerce(key, v) for v in rows.values_list("value", flat=True)]
    if not values:
        return spec.default
    if spec.kind is bool:
        return any(values)
    return values[0] if len(values) == 1 else spec.default


def insurance_required(district: Any = None) -> bool:
    """Whether home visits require a valid volunteer accident insurance policy (district switch).

    Without a district: True if any district has turned the rule on (the safe answer for one deployment
    serving one district, which is how Futian runs)."""
    return bool(rule_value(RuleKey.INSURANCE_REQUIRED, district))


def rules_for(actor: Any) -> list[dict[str, Any]]:
    """Every rule with its current value in the actor's district (for the settings page and the API)."""
    district_id = actor.district_id
    rows = {
        r.key: r for r in DistrictRule.objects.filter(district_id=district_id).select_related("updated_by")
    }
    result = []
    for key, spec in RULES.items():
        row = rows.get(key)
        result.append(
            {
                "key": key,
                "label": str(RuleKey(key).label),
                "help": str(spec.help),
                "type": "bool" if spec.kind is bool else "number",
                "value": rule_value(key, district_id) if district_id else rule_value(key),
                "default": spec.default,
                "updated_by": str(row.updated_by) if row else "",
                "updated_at": row.updated_at if row else None,
            }
        )
    return result
