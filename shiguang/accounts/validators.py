"""Chinese resident ID numbers (GB 11643-1999) and mainland mobile numbers."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalize_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    v = normalize_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", v):
        raise ValidationError(_("身份证号应为18位（最后一位可为X）。"), code="id_format")
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="id_birth") from None
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="id_checksum")


def birth_date_from_id(value: str) -> dt.date:
    v = normalize_id_number(value)
    return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def normalize_phone(value: str) -> str:
    v = re.sub(r"[\s\-()]", "", value.strip())
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v


def validate_phone(value: str) -> None:
    if not _PHONE.match(normalize_phone(value)):
        raise ValidationError(_("手机号应为11位，以1开头。"), code="phone_format")
