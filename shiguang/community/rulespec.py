"""The district rules that exist, their types, defaults and bounds (values live in DistrictRule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shiguang.community.choices import RuleKey
from shiguang.core.errors import ValidationFailed


@dataclass(frozen=True)
class RuleSpec:
    kind: type
    default: Any
    help: Any
    minimum: float | None = None
    maximum: float | None = None


RULES: dict[str, RuleSpec] = {
    RuleKey.INSURANCE_REQUIRED: RuleSpec(
        bool,
        False,
        gettext_lazy("开启后，没有有效志愿者意外险的志愿者不会被派去上门服务。"),
    ),
    RuleKey.ACTIVITY_RADIUS_KM: RuleSpec(
        float,
        3.0,
        gettext_lazy("长者首页“社区活动”显示这个距离以内（以及本社区）的活动。"),
        minimum=0.5,
        maximum=20.0,
    ),
}


def coerce(key: str, value: Any) -> Any:
    """Check and convert a rule value; raises ValidationFailed with a clear message."""
    spec = RULES.get(key)
    if spec is None:
        raise ValidationFailed(fields={"key": [_("未知的规则。")]})
    if spec.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "on", "yes"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "off", "no", ""):
            return False
        raise ValidationFailed(fields={"value": [_("请选择开启或关闭。")]})
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"value": [_("请填写数字。")]}) from None
    if (spec.minimum is not None and number < spec.minimum) or (
        spec.maximum is not None and number > spec.maximum
    ):
        raise ValidationFailed(
            fields={"value": [_("取值应在%(lo)s到%(hi)s之间。") % {"lo": spec.minimum, "hi": spec.maximum}]}
        )
    return number
