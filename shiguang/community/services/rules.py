"""District-level rules edited by district staff (e.g. "insurance required for home visits")."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.community.models import DistrictRule
from shiguang.community.rulespec import RULES, coerce
from shiguang.core import audit
from shiguang.core.errors import Forbidden, ValidationFailed


def _district_of(actor: Any, district: Any) -> Any:
    from shiguang.places.models import District

    if district is not None:
        return district
    if actor.district_id:
        return actor.district
    only = list(District.objects.all()[:2])
    if len(only) == 1:
        return only[0]
    raise ValidationFailed(fields={"district": [_("请选择区。")]})


@transaction.atomic
def rule_set(*, actor: Any, key: str, value: Any, district: Any = None, note: str = "") -> DistrictRule:
    if not (actor.is_superuser or actor.role in (Role.DISTRICT_STAFF, Role.ADMIN)):
        raise Forbidden(_("区级规则只能由区民政局工作人员修改。"))
    district = _district_of(actor, district)
    if actor.role == Role.DISTRICT_STAFF and actor.district_id != district.id:
        raise Forbidden(_("只能修改本区的规则。"))
    clean = coerce(key, value)
    rule = DistrictRule.objects.select_for_update().filter(district=district, key=key).first()
    before = rule.value if rule is not None else RULES[key].default
    if rule is None:
        rule = DistrictRule.objects.create(
            district=district, key=key, value=clean, updated_by=actor, note=note[:200]
        )
    else:
        rule.value = clean
        rule.updated_by = actor
        rule.note = note[:200]
        rule.save(update_fields=["value", "updated_by", "note"])
    audit.record(
        "community.rule.set", actor=actor, target=rule, data={"key": key, "from": before, "to": clean}
    )
    return rule
