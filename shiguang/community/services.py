"""Every write of community life."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shiguang.accounts.choices import Role
from shiguang.community.choices import CertificationKind
from shiguang.community.models import Certification, VolunteerInsurance
from shiguang.core import audit
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.core.scoping import in_scope

WORKER_ROLES = {Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}


def _require_worker(actor: Any, volunteer: Any) -> None:
    if not (actor.is_superuser or (actor.role in WORKER_ROLES and in_scope(volunteer, actor))):
        raise Forbidden(_("只有本辖区工作人员可以记录志愿者资质。"))


@transaction.atomic
def certification_record(
    *, actor: Any, volunteer: Any, kind: str, issued_on: dt.date, expires_on: dt.date, source: str = ""
) -> Certification:
    _require_worker(actor, volunteer)
    errors: dict[str, list[str]] = {}
    if kind not in CertificationKind.values:
        errors["kind"] = [_("未知的资质类别。")]
    if expires_on <= issued_on:
        errors["expires_on"] = [_("有效期必须晚于发证日期。")]
    if errors:
        raise ValidationFailed(fields=errors)
    cert = Certification.objects.create(
        volunteer=volunteer,
        kind=kind,
        issued_on=issued_on,
        expires_on=expires_on,
        issued_by=actor,
        source=source[:120],
    )
    audit.record(
        "community.certification.recorded",
        actor=actor,
        target=cert,
        data={"kind": kind, "expires_on": expires_on.isoformat()},
    )
    return cert


@transaction.atomic
def insurance_record(
    *, actor: Any, volunteer: Any, insurer: str, policy_number: str, valid_from: dt.date, valid_to: dt.date
) -> VolunteerInsurance:
    _require_worker(actor, volunteer)
    errors: dict[str, list[str]] = {}
    if not insurer.strip():
        errors["insurer"] = [_("请填写保险公司。")]
    if not policy_number.strip():
        errors["policy_number"] = [_("请填写保单号。")]
    if valid_to < valid_from:
        errors["valid_to"] = [_("到期日期不能早于生效日期。")]
    if errors:
        raise ValidationFailed(fields=errors)
    policy = VolunteerInsurance.objects.create(
        volunteer=volunteer,
        insurer=insurer.strip(),
        policy_number=policy_number.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        recorded_by=actor,
    )
    audit.record(
        "community.insurance.recorded", actor=actor, target=policy, data={"valid_to": valid_to.isoformat()}
    )
    return policy
